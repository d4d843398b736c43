// Breadth-first exploration of one side machine, and the queries built on it: "in the state this
// description names (reached by its shortest path), what does QEMU answer to this command?".
// Pure: searches step with fastStep (checked against xstate's `transition`), snapshots on demand.
import type { ChartTransition, Cond, Profile, SideState } from './profile.ts';
import { decide, evalCond, type Decision } from './rules.ts';
import { transitionApplies, MIRROR, CHART_REGION } from './chart.ts';
import { hasIncomingCpr, monitorUp, startSide, stepSide, stateKey, type SideInput, type SideSnapshot } from './side.ts';
import { fastStep, contextKey } from './fast-step.ts';
export { stateKey };
import { INTERNAL_EVENTS, type IncomingMode, type MigrationStatus, type QmpArguments, type RunState, type Side, type SideEvent } from './vocabulary.ts';

/** A QMP command with the arguments used to probe it, as the matrix and the explorer send it. */
export interface Probe {
  label: string;
  command: string;
  arguments?: QmpArguments;
}

export const MIGRATION_URI = 'tcp:127.0.0.1:4444';
/** migrate's channels for cpr-transfer: the main one (as MIGRATION_URI) and the cpr one the new QEMU waits on. */
export const CPR_TRANSFER_CHANNELS = [
  { 'channel-type': 'main', addr: { transport: 'socket', type: 'inet', host: '127.0.0.1', port: '4444' } },
  { 'channel-type': 'cpr', addr: { transport: 'socket', type: 'unix', path: '/tmp/migstate-cpr.sock' } },
];

/** The commands the explorer may send to move a side (state-changing ones, canonical arguments). */
export function movingProbes(p: Profile, side: Side): Probe[] {
  const out: Probe[] = [
    { label: 'migrate', command: 'migrate', arguments: { uri: MIGRATION_URI } },
    { label: 'migrate resume', command: 'migrate', arguments: { uri: MIGRATION_URI, resume: true } },
    // A scheme QEMU does not know: 7.2 fails the migration it has just set up (migrate.unknown-protocol).
    { label: 'migrate unknown scheme', command: 'migrate', arguments: { uri: 'unknown:0' } },
    // fd:NAME with no fd of that name on the monitor (no probe names one: the fds stay empty).
    { label: 'migrate unknown fd', command: 'migrate', arguments: { uri: 'fd:nosuch' } },
    { label: 'migrate-incoming', command: 'migrate-incoming', arguments: { uri: MIGRATION_URI } },
    { label: 'migrate-incoming unknown fd', command: 'migrate-incoming', arguments: { uri: 'fd:nosuch' } },
    { label: 'migrate-recover', command: 'migrate-recover', arguments: { uri: MIGRATION_URI } },
    { label: 'migrate_cancel', command: 'migrate_cancel' },
    { label: 'migrate-continue', command: 'migrate-continue', arguments: { state: 'pre-switchover' } },
    { label: 'migrate-pause', command: 'migrate-pause' },
    { label: 'migrate-start-postcopy', command: 'migrate-start-postcopy' },
    { label: 'cont', command: 'cont' },
    { label: 'stop', command: 'stop' },
    { label: 'system_wakeup', command: 'system_wakeup' },
    { label: 'x-colo-lost-heartbeat', command: 'x-colo-lost-heartbeat' },
  ];
  // file:/dev/fdset/N with no such set on the monitor, where fd sets are modelled (no probe adds one).
  if (p.commands.includes('add-fd') && p.uriSchemes.includes('file'))
    out.push(
      { label: 'migrate unknown fdset', command: 'migrate', arguments: { uri: 'file:/dev/fdset/9' } },
      { label: 'migrate-incoming unknown fdset', command: 'migrate-incoming', arguments: { uri: 'file:/dev/fdset/9' } },
    );
  // cpr-transfer (QEMU >= 10.0) needs a cpr channel beside the main one (migrate.cpr-channel-missing).
  if (side === 'source' && p.parameters.some((x) => x.name === 'mode' && x.values?.includes('cpr-transfer')))
    out.push({ label: 'migrate with a cpr channel', command: 'migrate', arguments: { channels: CPR_TRANSFER_CHANNELS } });
  // A cpr mode (QEMU >= 8.2) changes how migrate goes on (the cpr-stop step); the pair explores it
  // as a start of its own (ExploreOptions.cpr).
  if (side === 'source' && p.parameters.some((x) => x.name === 'mode' && x.values?.includes('cpr-reboot')))
    out.push({ label: 'migrate-set-parameters mode cpr-reboot', command: 'migrate-set-parameters', arguments: { mode: 'cpr-reboot' } });
  if (side === 'destination' && (p.commandArgs['migrate-incoming'] ?? []).includes('exit-on-error'))
    out.push({ label: 'migrate-incoming exit-on-error=false', command: 'migrate-incoming', arguments: { uri: MIGRATION_URI, 'exit-on-error': false } });
  return out.filter((x) => p.commands.includes(x.command));
}

/** The columns of the permission matrix: every modelled command, with representative arguments. */
export function matrixProbes(p: Profile): Probe[] {
  const args: Record<string, QmpArguments | undefined> = {
    migrate: { uri: MIGRATION_URI },
    'migrate-incoming': { uri: MIGRATION_URI },
    'migrate-recover': { uri: MIGRATION_URI },
    'migrate-continue': { state: 'pre-switchover' },
    'migrate-set-capabilities': { capabilities: [{ capability: 'events', state: true }] },
    'migrate-set-parameters': { 'max-bandwidth': 1000000 },
    yank: { instances: [{ type: 'migration' }] },
    getfd: { fdname: 'migfd' },
    closefd: { fdname: 'migfd' },
  };
  const out: Probe[] = [];
  // One pass over the rules, not one per command (the page builds its command lists from this).
  const opaque = new Set(p.rules.filter((r) => r.id.startsWith('opaque.')).map((r) => r.command));
  for (const c of p.commands) {
    if (opaque.has(c)) continue; // not migration: no column
    out.push({ label: c, command: c, arguments: args[c] });
    if (c === 'migrate') out.push({ label: 'migrate resume', command: c, arguments: { uri: MIGRATION_URI, resume: true } });
    if (c === 'migrate-set-parameters') {
      out.push({ label: 'migrate-set-parameters multifd-channels', command: c, arguments: { 'multifd-channels': 4 } });
      out.push({ label: 'migrate-set-parameters x-checkpoint-delay', command: c, arguments: { 'x-checkpoint-delay': 2000 } });
    }
  }
  for (const c of p.absentCommands) out.push({ label: c, command: c });
  return out;
}

export function probeEvent(x: Probe): SideEvent {
  return x.arguments ? { type: 'qmp', command: x.command, arguments: x.arguments } : { type: 'qmp', command: x.command };
}

/**
 * A state a search reached: its data, the shortest path to it, and how the process was started.
 * The XState snapshot is rebuilt on demand by replaying the path through the machine (searches step
 * with fastStep, which agrees with xstate; model-tests/fast-step.test.ts).
 */
export class Reached {
  private snap: SideSnapshot | undefined;
  constructor(
    private readonly p: Profile,
    readonly context: SideState,
    /** Events from the start, shortest first. */
    readonly path: SideEvent[],
    /** How the process was started. */
    readonly start: SideInput,
    snapshot?: SideSnapshot,
    /** The state this one was reached from (its snapshot is one xstate step further). */
    private readonly parent?: Reached,
  ) {
    this.snap = snapshot;
  }
  get snapshot(): SideSnapshot {
    if (!this.snap) {
      if (this.parent) this.snap = stepSide(this.p, this.parent.snapshot, this.path[this.path.length - 1]).snapshot;
      else {
        let s = startSide(this.p, this.start);
        for (const e of this.path) s = stepSide(this.p, s, e).snapshot;
        this.snap = s;
      }
    }
    return this.snap;
  }
}

const internalIndex = new WeakMap<Profile, Map<string, ChartTransition[]>>();
/**
 * Whether an event can change a side at all: lets the search skip most (state, event) pairs without
 * asking xstate (a QMP command that is refused or changes nothing; an internal event with no
 * enabled transition from the current states).
 */
export function mayMove(p: Profile, c: SideState, e: SideEvent): boolean {
  if (e.type === 'qmp') {
    const d = decide(p, c, e.command, e.arguments ?? {});
    // A refusal moves nothing, unless QEMU leaves the state changed (Reject.status, Reject.outgoing).
    if (!d.allowed) return !!d.next;
    const a = d.rule.accept!;
    // A process that takes the other role (a completed destination migrating on) leaves this side's
    // search: it goes on as a state of the other side's, which that side's search reaches itself.
    // Stepping it (stepSide, fastStep, trace inclusion) follows the switch.
    if (a.becomes) return false;
    return !!a.status || !!a.runstate || !!a.failover || (a.effects?.length ?? 0) > 0;
  }
  let idx = internalIndex.get(p);
  if (!idx) {
    internalIndex.set(p, (idx = new Map()));
    for (const t of p.transitions) {
      if (!idx.has(t.event)) idx.set(t.event, []);
      idx.get(t.event)!.push(t);
    }
  }
  return (idx.get(e.type) ?? []).some((t) => {
    const region = CHART_REGION[t.chart];
    return transitionApplies(t, t.chart, c.side, c[MIRROR[region]] as string) && (t.chart !== 'source-status' || c.side === 'source') &&
      (t.chart !== 'destination-status' || c.side === 'destination') && evalCond(t.when, c, {}, p) !== false;
  });
}


/**
 * A breadth-first search over one side that can be resumed: `find` expands only as far as needed to
 * meet a predicate, keeping the frontier for the next call; `all` runs it to the end. States come
 * out in breadth-first order, so the first state matching a description is reached by a shortest
 * path. Starts: a plain start first, then `-S` (source: prelaunch; destination: autostart off).
 */
export class SideSearch {
  readonly reached: Reached[] = [];
  private readonly queue: Reached[] = [];
  private readonly seen = new Set<string>();
  private readonly alphabet: SideEvent[];
  private head = 0;
  /** Whether the capability set could be applied at all (migrate_caps_check may refuse it). */
  readonly capsAccepted: boolean;

  constructor(
    private readonly p: Profile,
    side: Side,
    caps: readonly string[],
    incoming: IncomingMode = 'defer',
    private readonly maxStates = 50000,
    paused: readonly boolean[] = [false, true],
  ) {
    const starts: SideInput[] = paused.map((pz) => (side === 'source' ? { side, paused: pz } : { side, incoming, paused: pz }));
    // cpr-transfer (QEMU >= 10.0): a destination started with -incoming cpr too, waiting for the cpr state.
    if (side === 'destination' && hasIncomingCpr(p)) starts.push(...paused.map((pz) => ({ side, incoming, paused: pz, cpr: true })));
    this.alphabet = [...movingProbes(p, side).map(probeEvent), ...INTERNAL_EVENTS.map((type) => ({ type }) as SideEvent)];
    const setCaps: SideEvent = { type: 'qmp', command: 'migrate-set-capabilities', arguments: { capabilities: caps.map((capability) => ({ capability, state: true })) } };
    let accepted = false;
    for (const start of starts) {
      let snap = startSide(p, start);
      const path: SideEvent[] = [];
      if (caps.length) {
        const r = stepSide(p, snap, setCaps);
        if (!r.decision?.allowed) continue; // this combination is refused by migrate_caps_check
        snap = r.snapshot;
        path.push(setCaps);
      }
      accepted = true;
      const k = contextKey(snap.context);
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      this.queue.push(new Reached(p, snap.context, path, start, snap));
    }
    this.capsAccepted = accepted;
  }

  get done(): boolean {
    return this.head >= this.queue.length || this.reached.length >= this.maxStates;
  }

  private expandOne(): Reached {
    const cur = this.queue[this.head++];
    this.reached.push(cur);
    for (const e of this.alphabet) {
      if (e.type === 'qmp' && !monitorUp(cur.context)) continue;
      const next = fastStep(this.p, cur.context, e);
      // A process that takes the other role (Accept.becomes) leaves this side's search (mayMove).
      if (!next || next.side !== cur.context.side) continue;
      const k = contextKey(next);
      if (this.seen.has(k)) continue; // also covers "nothing changed": the current state is seen
      this.seen.add(k);
      this.queue.push(new Reached(this.p, next, [...cur.path, e], cur.start, undefined, cur));
    }
    return cur;
  }

  /** The first state (in breadth-first order) meeting `pred`, exploring only as far as needed. */
  find(pred: (r: Reached) => boolean): Reached | undefined {
    const hit = this.reached.find(pred);
    if (hit) return hit;
    while (!this.done) {
      const r = this.expandOne();
      if (pred(r)) return r;
    }
    return undefined;
  }

  all(): Reached[] {
    while (!this.done) this.expandOne();
    return this.reached;
  }
}

/** Every state of a side reachable with capabilities `caps` set before anything else (see SideSearch). */
export function exploreSide(p: Profile, side: Side, caps: readonly string[], incoming: IncomingMode = 'defer', maxStates = 50000): Reached[] {
  return new SideSearch(p, side, caps, incoming, maxStates).all();
}

/** A description of an observable state, as `migstate permitted` reads it. */
export interface StateQuery {
  side: Side;
  status: string;
  caps?: readonly string[];
  runstate?: string;
  incoming?: IncomingMode;
  listening?: boolean;
  /** COLO failover status (FailoverStatus). */
  failover?: string;
}

const searchCache = new WeakMap<Profile, Map<string, SideSearch>>();
function cachedSearch(p: Profile, side: Side, caps: readonly string[], incoming: IncomingMode, paused: boolean): SideSearch {
  let m = searchCache.get(p);
  if (!m) searchCache.set(p, (m = new Map()));
  const key = `${side}|${incoming}|${paused}|${[...caps].sort().join(',')}`;
  let r = m.get(key);
  if (!r) m.set(key, (r = new SideSearch(p, side, [...caps].sort(), incoming, 50000, [paused])));
  return r;
}

/** Whether a condition's capability tests can hold with exactly these capabilities. */
function capsCanHold(c: Cond | undefined, caps: ReadonlySet<string>): boolean {
  if (!c) return true;
  if (c.caps && Object.entries(c.caps).some(([cap, on]) => caps.has(cap) !== on)) return false;
  if (c.anyOf && !c.anyOf.some((x) => capsCanHold(x, caps))) return false;
  return true;
}

const staticCache = new WeakMap<Profile, Map<string, Set<string>>>();
/**
 * The statuses a side can reach at all with these capabilities (which never change during a
 * search), judging only by the status chart's transitions and the rows that move it and their
 * capability tests: a quick over-approximation that rules out most impossible queries at once.
 */
export function staticallyReachableStatuses(p: Profile, side: Side, caps: readonly string[]): Set<string> {
  let m = staticCache.get(p);
  if (!m) staticCache.set(p, (m = new Map()));
  const key = `${side}|${[...caps].sort().join(',')}`;
  const hit = m.get(key);
  if (hit) return hit;
  const set = new Set(caps);
  const chart = side === 'source' ? 'source-status' : 'destination-status';
  const edges: [string[] | undefined, string][] = [];
  for (const t of p.transitions) if (t.chart === chart && capsCanHold(t.when, set)) edges.push([[...t.from], t.to]);
  for (const r of p.rules)
    if ((r.side === side || r.side === 'both') && r.accept?.status && capsCanHold(r.when, set)) edges.push([r.when?.status ? [...r.when.status] : undefined, r.accept.status]);
  const out = new Set<string>(['none']);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, to] of edges) if (!out.has(to) && (!from || from.some((f) => out.has(f)))) (out.add(to), (changed = true));
  }
  m.set(key, out);
  return out;
}

function matches(c: SideState, q: StateQuery, caps: readonly string[]): boolean {
  if (c.status !== q.status) return false;
  if (q.runstate !== undefined && c.runstate !== q.runstate) return false;
  if (q.listening !== undefined && c.listening !== q.listening) return false;
  if (q.failover !== undefined && c.failover !== q.failover) return false;
  return c.caps.length === caps.length && caps.every((x) => c.caps.includes(x));
}

export type Located = { found: Reached } | { invalid: string };

/** The state a query describes, reached by its shortest path; or why there is none. */
export function locate(p: Profile, q: StateQuery): Located {
  const caps = [...new Set(q.caps ?? [])].sort();
  if (!p.statuses[q.side].includes(q.status as MigrationStatus) && q.status !== 'none')
    return { invalid: `status '${q.status}' does not exist on the ${q.side} in profile ${p.name} (it has: ${p.statuses[q.side].join(', ')})` };
  const unknownCap = caps.find((c) => !p.capabilities.includes(c));
  if (unknownCap) return { invalid: `unknown capability '${unknownCap}' in profile ${p.name}` };
  if (q.side === 'source' && (q.incoming !== undefined || q.listening !== undefined))
    return { invalid: "'incoming' and 'listening' describe a destination only" };
  if (!staticallyReachableStatuses(p, q.side, caps).has(q.status))
    return { invalid: `unreachable in profile ${p.name}: no transition can bring the ${q.side} to status ${q.status} with caps [${caps.join(', ')}]` };
  const search = cachedSearch(p, q.side, caps, q.incoming ?? 'defer', false);
  if (caps.length && !search.capsAccepted) {
    const d = decide(p, startSide(p, { side: q.side, incoming: q.incoming }).context, 'migrate-set-capabilities', {
      capabilities: caps.map((capability) => ({ capability, state: true })),
    });
    return { invalid: `capabilities [${caps.join(', ')}] cannot be set together: ${d.allowed ? 'refused' : d.error.desc}` };
  }
  // The plain start first; a state only -S reaches (prelaunch, autostart off) from the -S start.
  const hit = search.find((r) => matches(r.context, q, caps)) ?? cachedSearch(p, q.side, caps, q.incoming ?? 'defer', true).find((r) => matches(r.context, q, caps));
  if (!hit) {
    const parts = [`status ${q.status}`, q.runstate && `run state ${q.runstate}`, q.listening !== undefined && `listening ${q.listening}`, q.failover && `failover ${q.failover}`, `caps [${caps.join(', ')}]`].filter(Boolean);
    return { invalid: `unreachable in profile ${p.name}: no ${q.side} state with ${parts.join(', ')}` };
  }
  return { found: hit };
}

/** QEMU's answer to a command in a reached state. */
export function answer(p: Profile, r: Reached, command: string, args: QmpArguments = {}): Decision {
  return decide(p, r.context, command, args);
}

export type { RunState };
