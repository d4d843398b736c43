// The simulated pair: a source and a destination QEMU joined by the migration channel, stepped by the
// model's composed pair (machines/pair.ts: stepPair). QMP commands go to one process; synchronised
// steps (connect, complete, the COLO messages, ...) move both at once; faults act on the channel and
// the processes. A process that exited (crash, failed load) is null and answers nothing. Pure
// stepping: history is a list of pair events; undo replays all but the last from the start.
// The inspector gets xstate-style inspection events for every step (event, then each snapshot that
// changed), so it still shows what the machines do.
import type { InspectionEvent, Observer } from 'xstate';
import {
  bootSide, decide, enabledInternal, getProfile, startChannel, stepPair, SYNC,
  type Decision, type PairEvent, type Sent, type PairReply, type PairState, type Profile, type QmpArguments, type Side, type SideSnapshot,
} from '../../machines/index.ts';
import { blockedReason } from '../../machines/pair.ts';

export interface SimConfig {
  profile: string;
  /** Capabilities set on both sides before anything else (migrate-set-capabilities). */
  caps: string[];
  incoming: 'defer' | 'uri';
  /** Started with -S. */
  pausedSource: boolean;
  pausedDestination: boolean;
}

export const DEFAULT_CONFIG: SimConfig = { profile: 'qemu-7.2', caps: [], incoming: 'defer', pausedSource: false, pausedDestination: false };

export interface SimStep {
  event: PairEvent;
  /** Part of the start-up (capabilities from the setup form, -incoming URI); not undone. */
  setup?: boolean;
}

export interface SideView {
  /** The process's role now: a destination that migrates on is a source (Accept.becomes, F3). */
  side: Side;
  status: string;
  runstate: string;
  value: unknown;
  caps: readonly string[];
  colo: string;
  failover: string;
  /** A destination with its incoming channel set up (migrate-incoming, -incoming URI). */
  listening: boolean;
}

export interface StepRecord {
  step: SimStep;
  /** For a QMP command: QEMU's decision (null also when the process had exited). */
  decision: Decision | null;
  /** For a QMP command, what came back: {"return": ...}, {"error": {...}}, or {exited: true}. */
  reply: PairReply | null;
  /** Each process before and after (null: exited). */
  before: Record<Side, SideView | null>;
  after: Record<Side, SideView | null>;
  channelBefore: string;
  channelAfter: string;
  changed: boolean;
  /** The events each process sent in this step (MIGRATION, STOP, RESUME), in order (machines/pair.ts: Sent). */
  sent: readonly Sent[];
  /** Seconds since the simulation started. */
  t: number;
}

export const SIDES: readonly Side[] = ['source', 'destination'];

/** The process a step is addressed to (QMP), or null for steps of the pair. */
export function vmOf(e: PairEvent): Side | null {
  return e.type === 'qmp' ? e.vm : null;
}

/** A short name for a pair event ("migrate", "connect", "crash-destination", "restart-destination"). */
export function eventName(e: PairEvent): string {
  return e.type === 'qmp' ? e.command : e.type === 'sync' ? e.name : e.type === 'fault' ? e.fault : 'restart-destination';
}

export function qmpReply(d: Decision): PairReply {
  return d.allowed ? { return: d.reply ?? {} } : { error: { class: d.error.class, desc: d.error.desc } };
}

const view = (s: SideSnapshot | null): SideView | null =>
  s && { side: s.context.side, status: s.context.status as string, runstate: s.context.runstate as string, value: s.value, caps: s.context.caps, colo: s.context.colo as string, failover: s.context.failover as string, listening: !!s.context.listening };

/** Internal events each synchronised step may take on each side (to mark the edges it took). */
const SYNC_EVENTS = new Map(SYNC.map((s) => [s.name, s.steps.map((x) => ({ vm: x.vm, event: x.event as string }))]));

/** The side-chart labels a step may have taken on `side`. */
export function labelsTaken(e: PairEvent, side: Side): Set<string> {
  if (e.type === 'qmp') return new Set(e.vm === side ? [e.command] : ['channel-error']);
  if (e.type === 'sync') return new Set((SYNC_EVENTS.get(e.name) ?? []).filter((x) => x.vm === side).map((x) => x.event));
  if (e.type === 'fault') return new Set(['channel-error']);
  return new Set();
}

const actorRef = (id: string) => ({ id, sessionId: `migstate.${id}`, systemId: id });

export class Simulation {
  readonly profile: Profile;
  readonly config: SimConfig;
  records: StepRecord[] = [];
  state!: PairState;
  private t0 = performance.now();
  private enabledFor: PairState | null = null;
  private enabledList: PairEvent[] = [];
  /** Set while steps are replayed (undo, deep link), so listeners can tell. */
  replaying = false;

  constructor(config: SimConfig, private inspect: Observer<InspectionEvent> = { next() {} }) {
    this.config = config;
    this.profile = getProfile(config.profile);
    this.start();
  }

  private start() {
    const p = this.profile;
    const c = this.config;
    // Like startPair, but capabilities from the setup form come before -incoming URI is acted on
    // (given on the command line, -global migration.x-..., they are set before qemu_init calls
    // qmp_migrate_incoming).
    this.state = {
      source: bootSide(p, { side: 'source', paused: c.pausedSource }),
      destination: bootSide(p, { side: 'destination', incoming: c.incoming, paused: c.pausedDestination }),
      channel: startChannel(),
    };
    this.records = [];
    for (const side of SIDES) this.emit({ type: '@xstate.actor', actorRef: actorRef(side), rootId: side });
    const setup: PairEvent[] = [];
    if (c.caps.length)
      for (const vm of SIDES)
        setup.push({ type: 'qmp', vm, command: 'migrate-set-capabilities', arguments: { capabilities: c.caps.map((capability) => ({ capability, state: true })) } });
    // -incoming URI: QEMU calls qmp_migrate_incoming itself at start-up (system/vl.c: qemu_init).
    if (c.incoming === 'uri') setup.push({ type: 'qmp', vm: 'destination', command: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:4444' } });
    for (const e of setup) this.send(e, true);
  }

  private emit(ev: Record<string, unknown>) {
    this.inspect.next?.(ev as unknown as InspectionEvent);
  }

  /** A process's snapshot, or null if it has exited. */
  snapshot(side: Side): SideSnapshot | null {
    return this.state[side];
  }

  /** The role of the process in slot `side` (null: exited): a destination that migrated on is a source. */
  role(side: Side): Side | null {
    return this.state[side]?.context.side ?? null;
  }

  /** QEMU's answer to a command in the current state, without sending it (null: the process exited). */
  decide(side: Side, command: string, args?: QmpArguments): Decision | null {
    const s = this.state[side];
    return s ? decide(this.profile, s.context, command, args ?? {}) : null;
  }

  /** The synchronised steps and faults possible now (machines/pair.ts: enabledInternal). */
  enabled(): PairEvent[] {
    if (this.enabledFor !== this.state) {
      this.enabledList = enabledInternal(this.profile, this.state);
      this.enabledFor = this.state;
    }
    return this.enabledList;
  }

  /**
   * Steps the pair. A QMP command QEMU rejects is recorded with its error and changes nothing; one
   * sent to an exited process is recorded with {exited: true}.
   */
  send(event: PairEvent, setup = false): StepRecord {
    const before = this.state;
    const r = stepPair(this.profile, before, event, { events: true });
    this.state = r.state;
    const after = r.state;
    const rec: StepRecord = {
      step: setup ? { event, setup } : { event },
      decision: r.decision ?? null,
      reply: r.reply ? ('exited' in r.reply || 'noMonitor' in r.reply ? r.reply : r.decision ? qmpReply(r.decision) : r.reply) : null,
      before: { source: view(before.source), destination: view(before.destination) },
      after: { source: view(after.source), destination: view(after.destination) },
      channelBefore: String(before.channel.value),
      channelAfter: String(after.channel.value),
      changed: r.changed,
      sent: r.sent ?? [],
      t: (performance.now() - this.t0) / 1000,
    };
    this.records.push(rec);
    // For the inspector: the event, then every snapshot that changed.
    const target = vmOf(event) ?? 'pair';
    this.emit({ type: '@xstate.event', actorRef: actorRef(target), rootId: target, sourceRef: undefined, event });
    for (const side of SIDES)
      if (before[side] !== after[side])
        this.emit({ type: '@xstate.snapshot', actorRef: actorRef(side), rootId: side, event, snapshot: after[side] ?? { status: 'done', value: 'exited', context: null } });
    if (before.channel !== after.channel) this.emit({ type: '@xstate.snapshot', actorRef: actorRef('channel'), rootId: 'channel', event, snapshot: after.channel });
    return rec;
  }

  /** Steps taken by the user (not the start-up ones). */
  userSteps(): SimStep[] {
    return this.records.filter((r) => !r.step.setup).map((r) => r.step);
  }

  canUndo(): boolean {
    return this.records.some((r) => !r.step.setup);
  }

  /** Takes back the last user step: the pair is started anew and the other steps replayed. */
  undo(): void {
    if (!this.canUndo()) return;
    this.truncate(this.userSteps().length - 1);
  }

  /** Keeps the first `n` user steps. */
  truncate(n: number): void {
    const keep = this.userSteps().slice(0, n);
    const times = this.records.filter((r) => !r.step.setup).map((r) => r.t);
    this.replaying = true;
    try {
      this.start();
      keep.forEach((s, i) => {
        const r = this.send(s.event);
        r.t = times[i];
      });
    } finally {
      this.replaying = false;
    }
  }

  stop(): void {
    /* nothing runs: the pair is stepped purely */
  }
}

/** Why a synchronised step or fault cannot happen now, or '': machines/pair.ts blockedReason, the composition's own reason. */
export function whyNot(sim: Simulation, e: PairEvent): string {
  return blockedReason(sim.profile, sim.state, e);
}

/** The simulation as a trace: the QMP traffic each process would show, in the replay format. */
export function toTrace(sim: Simulation): string {
  const lines: string[] = [];
  let id = 0;
  const stamp = (t: number) => ({ seconds: Math.floor(t), microseconds: Math.round((t % 1) * 1e6) });
  const [major, minor] = sim.profile.qemuVersion.split('.').map((x) => Number(x) || 0);
  // A monitor starts as QEMU's does: the greeting, then capabilities negotiation.
  const hello = (vm: Side, t: number) => {
    id++;
    lines.push(JSON.stringify({ t, vm, dir: 'recv', msg: { QMP: { version: { qemu: { major, minor: minor ?? 0, micro: 0 }, package: `migstate ${sim.profile.name}` }, capabilities: ['oob'] } } }));
    lines.push(JSON.stringify({ t, vm, dir: 'send', msg: { execute: 'qmp_capabilities', id } }));
    lines.push(JSON.stringify({ t, vm, dir: 'recv', msg: { return: {}, id } }));
  };
  for (const vm of SIDES) hello(vm, 0);
  // What QEMU sends on its own (MIGRATION, STOP, RESUME) is what the model's step sent (stepPair's
  // `sent`, machines/inclusion.ts): the one reading of events, in QEMU's order.
  const eventLines = (sent: readonly Sent[], t: number, which: (x: Sent) => boolean) => {
    for (const x of sent) {
      if (!which(x)) continue;
      for (const ev of x.events) {
        const msg = ev.startsWith('MIGRATION:') ? { event: 'MIGRATION', data: { status: ev.slice(10) }, timestamp: stamp(t) } : { event: ev, timestamp: stamp(t) };
        lines.push(JSON.stringify({ t, vm: x.vm, dir: 'recv', msg }));
      }
    }
  };
  for (const r of sim.records) {
    const t = Math.round(r.t * 1e6) / 1e6;
    const e = r.step.event;
    if (e.type === 'restart-destination') {
      hello('destination', t);
      continue;
    }
    if (e.type === 'qmp') {
      // Nothing can be sent to a process that has exited: its monitor socket is closed.
      if (r.reply && ('exited' in r.reply || 'noMonitor' in r.reply)) continue;
      id++;
      const msg: Record<string, unknown> = { execute: e.command, id };
      if (e.arguments) msg.arguments = e.arguments;
      lines.push(JSON.stringify({ t, vm: e.vm, dir: 'send', msg }));
      // The command's own events come before its reply; what follows from it (the channel it shut) after.
      eventLines(r.sent, t, (x) => !!x.command);
      if (r.reply) lines.push(JSON.stringify({ t, vm: e.vm, dir: 'recv', msg: { ...r.reply, id } }));
      eventLines(r.sent, t, (x) => !x.command);
      continue;
    }
    eventLines(r.sent, t, () => true);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
