// Conformance driven by the model's generated paths: which pair-level paths of the model (machines/
// explore-pair.ts) a real pair of QEMU processes can run, and each one translated into the steps the
// conformance runner plays (qemu/conformance.ts).
//
// A real pair moves by itself: once `migrate` is sent, QEMU connects, streams, switches over and
// completes without asking. A model path, though, may send a command in a state that QEMU leaves by
// itself (the source in `setup`, the destination a moment after the source cancelled). So each
// synchronised step of the model is one of:
//  - held: QEMU does not take it while a mechanism holds it, and the path causes it on purpose:
//      `converge` and `postcopy-complete` are held by max-bandwidth / max-postcopy-bandwidth 10 B/s
//      (set on the source at the start of every path; on 10.0 with zero-page-detection none too,
//      PACE_ARGS) and caused by lifting the limit;
//      `checkpoint-request` is held by the COLO checkpoint timer (x-checkpoint-delay, 20 s in 7.2)
//      and never caused (under TCG the primary deadlocks after a checkpoint: docs/findings.md F7);
//  - spontaneous: QEMU takes it by itself; the path awaits it (waits until both processes show the
//      next state in which nothing spontaneous is enabled: a "holdable" state).
// Faults: a crash is caused by killing the process by its pid; a channel break (and a heartbeat
// loss, which the model takes as a channel break) by `yank` (exec-oob) on a side where the model says
// yank has exactly that effect.
// A command or fault in a state where something spontaneous is enabled cannot be placed on a real
// pair (QEMU would have moved on): such a path is not runnable, and the reason says which step, in
// which state, and what QEMU would do first. Known QEMU faults the runner cannot survive (a hung
// monitor, a crash) and the model's one-role-per-process limit also make a step not runnable, with
// the finding named.
//
// The plan: (1) the model's generated paths: the shortest path (the pair explorer's breadth-first
// search) to the first pair state that reaches each target, a target being a source or destination
// status or a status / run-state chart transition of either side; each is translated or reported
// not runnable with its reason. (2) A breadth-first search restricted to runnable moves (commands,
// caused steps and faults only in holdable states) finds a runnable path for every target the real
// pair can reach. (3) A greedy cover orders the runnable paths, most new targets first: `--paths N`
// runs the first N.
import {
  decide, mayMove, movingRule, uriScheme, FAULTS, startChannel, stepChannel, stepPair, stepSide, stateKey,
  type ChannelSnapshot, type PairEvent, type PairState, type Profile, type Side, type SideEvent, type SideSnapshot,
} from '../machines/index.ts';
import { composeStep, enabledSyncs, snapshotStepper, type ChannelValue, type Stepper } from '../machines/pair.ts';
import { PairExplorer, capVariants, eventText, pairKey, rootStates, stateText, YANK_ARGS, type Start, type PairIds } from '../machines/explore-pair.ts';
import { edgeId, sideEdges, takenEdges, type QmpStep, type Scenario, type Step } from './conformance.ts';
import type { VmName } from './trace.ts';

// ---- what a real pair does by itself ---------------------------------------------------------------

/** Held by the bandwidth limits; caused by lifting them. */
export const HELD_BY_THROTTLE: ReadonlySet<string> = new Set(['converge', 'postcopy-complete']);
/**
 * Held while the source's connect() waits on a stalled listener (a UNIX socket whose accept queue is
 * full): the connection fails, or a cancel finishes, only when the listener goes away (caused).
 */
export const HELD_BY_STALL: ReadonlySet<string> = new Set(['connect-refused', 'cleanup']);
/** Held for the whole run; never caused. */
export const HELD_ALWAYS: ReadonlyMap<string, string> = new Map([
  ['checkpoint-request', 'the COLO checkpoint is held by the x-checkpoint-delay timer (20 s) and nothing causes it without changing the run (a new x-checkpoint-delay starts a checkpoint at once, and under TCG the primary deadlocks after a checkpoint: docs/findings.md F7)'],
  ['unplug-pending', 'the pair has no virtio-net failover device, so QEMU never waits for an unplug (wait-unplug needs a failover pair with a guest that negotiated STANDBY)'],
  ['unplug-done', 'the pair has no virtio-net failover device, so QEMU never waits for an unplug'],
  ['connect-after-cancel', 'the planned paths hold a source in setup by migrating to a stalled listener ($STALLED_URI): the pending connect of a source cancelled there goes to that listener, never to the destination'],
]);

export const THROTTLE_ARGS = { 'max-bandwidth': 10, 'max-postcopy-bandwidth': 10 };
/**
 * What a profile's QEMU needs beside THROTTLE_ARGS to be held. 10.0 checks the limit against the bytes
 * counted as its buffer is flushed (qemu_fflush; migration_rate_exceeded), so it sends a 32 KiB buffer
 * of zero pages (9 bytes each) every 100 ms and the idle 64 MiB guest is across in under a second;
 * with every page sent whole, a flush carries 32 pages and 10.0 stays in active (and postcopy-active)
 * for about 50 s. 7.2 counts every byte as it is queued and has no such parameter. The same pacing as
 * qemu/scenarios.ts PACE_10.
 */
export const PACE_ARGS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = { 'qemu-10.0': { 'zero-page-detection': 'none' } };
export const UNTHROTTLE_ARGS = { 'max-bandwidth': 1_000_000_000, 'max-postcopy-bandwidth': 0 };

/** What holds the pair in a path at a moment. */
export interface Hold {
  /** The bandwidth limits are on. */
  throttled: boolean;
  /** The source's connection waits on the stalled listener. */
  stalled: boolean;
  /** The stalled listener was used (one per run). */
  stallUsed: boolean;
}

function classify(enabled: readonly string[], h: Hold): { spontaneous: string[]; caused: string[]; held: string[] } {
  const out = { spontaneous: [] as string[], caused: [] as string[], held: [] as string[] };
  for (const n of enabled) {
    if (HELD_ALWAYS.has(n)) out.held.push(n);
    else if (h.stalled && n === 'connect') out.held.push(n); // the source talks to the stalled listener, not to the destination
    else if (h.stalled && HELD_BY_STALL.has(n)) out.caused.push(n);
    else if (h.throttled && HELD_BY_THROTTLE.has(n)) out.caused.push(n);
    else out.spontaneous.push(n);
  }
  return out;
}

/** A source `migrate` (not resume) to a destination that does not listen goes to the stalled listener, once per run. */
function stallsHere(p: Profile, s: PairState, e: PairEvent, h: Hold): boolean {
  if (!(e.type === 'qmp' && e.vm === 'source' && e.command === 'migrate' && !e.arguments?.resume && !h.stallUsed && s.source)) return false;
  if (s.destination?.context.listening && ['none', 'setup'].includes(s.destination.context.status)) return false;
  return decide(p, s.source.context, e.command, e.arguments ?? {}).allowed;
}

/** The hold after an event. */
function holdAfter(p: Profile, s: PairState, e: PairEvent, h: Hold): Hold {
  if (stallsHere(p, s, e, h)) return { ...h, stalled: true, stallUsed: true };
  if (e.type === 'sync' && h.stalled && HELD_BY_STALL.has(e.name)) return { ...h, stalled: false };
  if (e.type === 'sync' && h.throttled && HELD_BY_THROTTLE.has(e.name)) return { ...h, throttled: false };
  return h;
}

/**
 * QEMU 7.2 behaviour the runner cannot survive or the model does not follow: a state no path may
 * enter (null: fine), named after the finding.
 */
export function stateExclusion(s: PairState): string | null {
  const d = s.destination?.context;
  if (d && (d.status === 'postcopy-paused' || d.status === 'postcopy-recover') && d.runstate === 'running')
    return `F4: a destination in ${d.status} whose guest runs hangs its monitor (a vCPU waits on a page while holding the BQL); every in-band command, the runner's polls included, would time out`;
  return null;
}

/** A command no path may send here (null: fine). */
export function commandExclusion(p: Profile, s: PairState, e: Extract<PairEvent, { type: 'qmp' }>): string | null {
  const side = s[e.vm];
  if (!side) return null;
  const d = decide(p, side.context, e.command, e.arguments ?? {});
  if (e.command === 'migrate' && !e.arguments?.resume) {
    // The destination's case is modelled (Reject.outgoing); a source's (7.2's colo, 10.0's window
    // before cleanup) leaves its own status at setup, which the model does not follow yet.
    if (d.rule?.id.startsWith('migrate.yank-duplicate') && !d.allowed && !d.next)
      return `F2: migrate on the ${e.vm} in ${side.context.status} answers "duplicate yank instance" but leaves query-migrate at setup (an error that changes the status; the model changes nothing)`;
    if (e.vm === 'destination' && d.allowed)
      return `F3: migrate on a destination in ${side.context.status} is accepted and the process migrates on as a source: the next migration, with a third process, which the pair does not model`;
  }
  if (e.command === 'yank' && e.vm === 'destination' && side.context.status === 'postcopy-recover')
    return 'F5: yank on a destination in postcopy-recover crashes QEMU 7.2 (SIGSEGV)';
  return divergence(p, s, e);
}

/** A known model divergence the event runs into (null: none). */
export function divergence(p: Profile, s: PairState, e: PairEvent): string | null {
  for (const k of KNOWN_MODEL_DIVERGENCES) if (p.name === 'qemu-7.2' && k.applies(s, e)) return `${k.id} (a model bug the path runs found, reported; trace ${k.trace}): ${k.what}`;
  return null;
}

/**
 * Where the path runs showed the qemu-7.2 model wrong and the fix is the model owner's (machines/):
 * the plan goes around these steps (they are listed as not runnable, with this text) so that the
 * rest of the run still covers what lies behind them. Remove an entry once the model is fixed.
 */
export const KNOWN_MODEL_DIVERGENCES: readonly { id: string; what: string; trace: string; applies: (s: PairState, e: PairEvent) => boolean }[] = [
];

// ---- the pair step with the chart transitions it takes -------------------------------------------

export type Acc = Record<Side, string[]>;

/**
 * The pair's step (machines/pair.ts: composeStep, the one composition) over xstate snapshots,
 * recording the status / run-state chart transitions each process takes (edge ids as the runner's
 * coverage names them). Side steps are memoized. translate() checks its result against stepPair on
 * every step.
 */
export class EdgeStepper {
  private memo = new Map<string, { snap: SideSnapshot; changed: boolean; edges: string[]; allowed: boolean; shuts: boolean; crash: boolean }>();
  /** Where the edges of the step under way go. */
  private acc: Acc = { source: [], destination: [] };
  private readonly stepper: Stepper<SideSnapshot, ChannelSnapshot>;
  private readonly channels: Record<ChannelValue, ChannelSnapshot>;

  constructor(readonly p: Profile) {
    const closed = startChannel();
    const connected = stepChannel(closed, { type: 'connect' });
    this.channels = { closed, connected, broken: stepChannel(connected, { type: 'break' }) };
    const plain = snapshotStepper(p);
    this.stepper = {
      ...plain,
      internal: (vm, snap, event) => {
        if (!mayMove(p, snap.context, { type: event })) return null;
        const r = this.sideStep(vm, snap, { type: event });
        if (!r.changed) return null;
        this.acc[vm].push(...r.edges);
        return r.snap;
      },
      command: (vm, snap, e) => {
        const r = this.sideStep(vm, snap, e);
        this.acc[vm].push(...r.edges);
        return { next: r.changed ? r.snap : null, allowed: r.allowed, shutsChannel: r.shuts, crash: r.crash };
      },
      // The stepper's own channel snapshots, so that equal states share them (keys, `out === s`).
      channelStep: (c, e) => this.channels[plain.channel(plain.channelStep(c, e))],
      channelStart: () => this.channels.closed,
    };
  }

  sideStep(vm: Side, snap: SideSnapshot, e: SideEvent) {
    const k = `${vm}\u0000${stateKey(snap)}\u0000${JSON.stringify(e)}`;
    let v = this.memo.get(k);
    if (!v) {
      const r = stepSide(this.p, snap, e);
      const d = r.decision;
      v = {
        snap: r.snapshot,
        changed: r.changed,
        allowed: !d || d.allowed,
        shuts: !!d && d.allowed && !!d.rule.accept!.shutsChannel,
        crash: !!d?.rule?.crash,
        edges: r.changed ? takenEdges(this.p, vm, snap, e, r.snapshot, movingRule(d)) : [],
      };
      if (this.memo.size > 200_000) this.memo.clear();
      this.memo.set(k, v);
    }
    return v;
  }

  /** One pair step: the next state (null: it changes nothing) and the chart transitions taken. */
  step(s: PairState, e: PairEvent): { state: PairState; edges: Acc } | null {
    if (e.type === 'restart-destination') return null;
    const acc: Acc = (this.acc = { source: [], destination: [] });
    const out = composeStep(this.stepper, s, e);
    return out ? { state: out, edges: acc } : null;
  }

  /**
   * The synchronised steps enabled in a state. Not the guest's own (SyncSpec.guest): the conformance
   * guest is idle firmware that suspends only when a scenario makes it (conformance.ts GuestStep).
   * Nor a stray peer's (SyncSpec.stray): the planned paths run a pair with nothing else connecting.
   */
  enabledSyncs(s: PairState): string[] {
    this.acc = { source: [], destination: [] };
    return enabledSyncs(this.stepper, s).filter((x) => !x.guest && !x.stray).map((x) => x.name);
  }

  /** The same state, with the stepper's own channel snapshots (for keys). */
  normalise(s: PairState): PairState {
    return { ...s, channel: this.channels[s.channel.value as ChannelValue] };
  }
}

// ---- targets -----------------------------------------------------------------------------------

/** What the paths must cover: every status of each side, every status / run-state chart transition. */
export function targetsOf(p: Profile): string[] {
  const out: string[] = [];
  for (const side of ['source', 'destination'] as const) {
    for (const st of p.statuses[side]) out.push(`${side} status ${st}`);
    for (const e of sideEdges(p, side)) out.push(`${side}/${edgeId(e)}`);
  }
  return out;
}

function targetsOfStep(s: PairState, edges: Acc, out: Set<string>): void {
  for (const side of ['source', 'destination'] as const) {
    const c = s[side]?.context;
    if (c) out.add(`${side} status ${c.status}`);
    for (const e of edges[side]) {
      out.add(`${side}/${e}`);
      // the status a status-chart edge enters (a transient one may not survive the step)
      const m = /^(?:source|destination)-status:.*\]->([^\]]+)$/.exec(e);
      if (m) out.add(`${side} status ${m[1]}`);
    }
  }
}

// ---- translation -------------------------------------------------------------------------------

export interface ModelPath {
  start: Start;
  /** The pair events after the capabilities are set on both sides. */
  steps: PairEvent[];
}

export interface Translated {
  runnable: true;
  scenario: Scenario;
  /** The targets the model says the run covers. */
  covers: string[];
  /** The events added at the end to reach a holdable state. */
  settled: PairEvent[];
}
export interface NotRunnable {
  runnable: false;
  /** The index of the step that cannot be placed. */
  step: number;
  reason: string;
}

const S: VmName = 'source';

/** A model command as the runner's step; the model's URI becomes the real one the pair's state calls for. */
function qmpStepOf(p: Profile, s: PairState, e: Extract<PairEvent, { type: 'qmp' }>, stall: boolean): QmpStep {
  let args = e.arguments;
  if (args && typeof args.uri === 'string') {
    const d = s.destination?.context;
    const listens = !!d?.listening && ['none', 'setup'].includes(d.status);
    let uri: string;
    // A URI whose scheme QEMU does not know (Profile.uriSchemes) is sent as it is: the answer is about
    // the scheme. So is fd:NAME: the name is the monitor's (getfd), not an address of the pair.
    if (!p.uriSchemes.includes(uriScheme(args.uri)) || uriScheme(args.uri) === 'fd') uri = args.uri;
    else if (e.command === 'migrate-recover' || (e.command === 'migrate' && args.resume)) uri = '$RECOVER_URI';
    else if (e.command === 'migrate-incoming') uri = '$DST_URI';
    else if (e.vm === 'source') uri = stall ? '$STALLED_URI' : listens ? '$DST_URI' : '$REFUSED_URI';
    else uri = '$REFUSED_URI';
    args = { ...args, uri };
  }
  if (e.command === 'yank') return { vm: e.vm, qmp: 'yank', arguments: args, oob: true };
  return { vm: e.vm, qmp: e.command, ...(args ? { arguments: args } : {}) };
}

function observable(s: PairState, vm: Side): string {
  const c = s[vm]?.context;
  return c ? `${c.status}/${c.runstate}` : 'exited';
}

/**
 * A model path as the runner's steps, or why a real pair cannot run it. `check`: replay every step
 * through machines/pair.ts stepPair as well and insist on the same state (the stepper mirrors it).
 */
export function translate(p: Profile, st: EdgeStepper, path: ModelPath, name: string, opts: { check?: boolean; settleLimit?: number } = {}): Translated | NotRunnable {
  // A TLS start needs credentials objects on both processes (object-add), which no path makes.
  if (path.start.input.sourceUuid || path.start.input.destinationUuid) return { runnable: false, step: -1, reason: 'a start with -uuid on the command lines (the path runner starts its pairs without)' };
  if (path.start.tls) return { runnable: false, step: -1, reason: `a start with tls-creds set on the ${path.start.tls === 'both' ? 'source and the destination' : path.start.tls} (no credentials object is made for a path)` };
  const roots = rootStates(p, [path.start.caps], [path.start.input.incoming ?? 'defer']).filter(
    (r) => !!r.start.input.sourcePaused === !!path.start.input.sourcePaused && !!r.start.input.destinationPaused === !!path.start.input.destinationPaused,
  );
  if (!roots.length) return { runnable: false, step: -1, reason: `QEMU refuses the capability set [${path.start.caps.join(',')}] at start-up` };
  let s = st.normalise(roots[0].state);
  let hold: Hold = { throttled: true, stalled: false, stallUsed: false };
  const steps: Step[] = [];
  const covers = new Set<string>();
  targetsOfStep(s, { source: [], destination: [] }, covers);
  if (path.start.caps.length)
    for (const vm of ['source', 'destination'] as const)
      steps.push({ vm, qmp: 'migrate-set-capabilities', arguments: { capabilities: path.start.caps.map((capability) => ({ capability, state: true })) } });
  steps.push({ vm: S, qmp: 'migrate-set-parameters', arguments: { ...THROTTLE_ARGS } });
  if (PACE_ARGS[p.name]) steps.push({ vm: S, qmp: 'migrate-set-parameters', arguments: { ...PACE_ARGS[p.name] } });
  const seen: Record<Side, string> = { source: observable(s, 'source'), destination: observable(s, 'destination') };
  const waits = (state: PairState) => {
    // Exits first (a process that is gone cannot be polled), then the statuses.
    for (const vm of ['destination', 'source'] as const) {
      const now = observable(state, vm);
      if (now === seen[vm] || now !== 'exited') continue;
      steps.push({ wait: { vm, exit: true, timeoutMs: 20_000 } });
      seen[vm] = now;
    }
    for (const vm of ['source', 'destination'] as const) {
      const now = observable(state, vm);
      if (now === seen[vm]) continue;
      const c = state[vm]!.context;
      steps.push({ wait: { vm, status: c.status, runstate: c.runstate, timeoutMs: 30_000 } });
      seen[vm] = now;
    }
  };
  const enabledOf = (state: PairState) => classify(st.enabledSyncs(state), hold);
  let ref: PairState | null = opts.check ? roots[0].state : null;
  const advance = (e: PairEvent): PairState => {
    const r = st.step(s, e);
    if (!r) throw new Error(`${name}: ${eventText(e)} changes nothing in ${stateText(s)}`);
    targetsOfStep(r.state, r.edges, covers);
    if (ref) {
      const q = stepPair(p, ref, e);
      if (pairKey(q.state) !== pairKey(r.state)) throw new Error(`${name}: the edge stepper departs from stepPair at ${eventText(e)}: ${stateText(q.state)} vs ${stateText(r.state)}`);
      ref = q.state;
    }
    return r.state;
  };
  for (let i = 0; i < path.steps.length; i++) {
    const e = path.steps[i];
    const here = `in ${stateText(s)}`;
    const cls = enabledOf(s);
    const busy = cls.spontaneous.length ? `QEMU leaves this state by itself (${cls.spontaneous.join(', ')}) and nothing holds it there` : '';
    if (e.type === 'qmp') {
      if (busy) return { runnable: false, step: i, reason: `${eventText(e)} ${here}: ${busy}` };
      const ex = commandExclusion(p, s, e);
      if (ex) return { runnable: false, step: i, reason: `${eventText(e)} ${here}: ${ex}` };
      steps.push(qmpStepOf(p, s, e, stallsHere(p, s, e, hold)));
    } else if (e.type === 'sync') {
      if (cls.spontaneous.includes(e.name)) {
        /* awaited: the waits below */
      } else if (cls.caused.includes(e.name)) {
        const stall = hold.stalled && HELD_BY_STALL.has(e.name);
        if (busy) return { runnable: false, step: i, reason: `sync ${e.name} (caused by ${stall ? 'ending the stalled listener' : 'lifting the bandwidth limit'}) ${here}: ${busy}` };
        if (stall) steps.push({ fault: 'release-stalled' });
        else steps.push({ vm: S, qmp: 'migrate-set-parameters', arguments: { ...UNTHROTTLE_ARGS } });
      } else if (cls.held.includes(e.name)) {
        const why = HELD_ALWAYS.get(e.name) ?? 'the source is connected to the stalled listener, not to the destination';
        return { runnable: false, step: i, reason: `sync ${e.name} ${here}: ${why}` };
      } else return { runnable: false, step: i, reason: `sync ${e.name} ${here}: not enabled in the model` };
    } else if (e.type === 'fault') {
      if (busy) return { runnable: false, step: i, reason: `fault ${e.fault} ${here}: ${busy}` };
      const dv = divergence(p, s, e);
      if (dv) return { runnable: false, step: i, reason: `fault ${e.fault} ${here}: ${dv}` };
      if (e.fault === 'crash-source' || e.fault === 'crash-destination') steps.push({ fault: e.fault === 'crash-source' ? 'kill-source' : 'kill-destination' });
      else {
        const want = st.step(s, e);
        const by = (['source', 'destination'] as const).find((vm) => {
          const y = { type: 'qmp', vm, command: 'yank', arguments: YANK_ARGS } as const;
          const r = st.step(s, y);
          return r && want && pairKey(r.state) === pairKey(want.state) && !commandExclusion(p, s, y);
        });
        if (!by)
          return {
            runnable: false,
            step: i,
            reason: `fault ${e.fault} ${here}: no real action breaks the channel with exactly this effect (yank on either side ${s.source && s.destination ? 'changes more or is refused' : 'is not possible'}; a real heartbeat loss is the network failing, which yank is)`,
          };
        steps.push({ vm: by, qmp: 'yank', arguments: { ...YANK_ARGS }, oob: true });
      }
    } else return { runnable: false, step: i, reason: 'restart-destination: a fresh destination process is not part of a pair run' };
    hold = holdAfter(p, s, e, hold);
    s = advance(e);
    const ex = stateExclusion(s);
    if (ex) return { runnable: false, step: i, reason: `${eventText(e)} leads to ${stateText(s)}: ${ex}` };
    if (!enabledOf(s).spontaneous.length) waits(s);
  }
  // Settle: QEMU goes on by itself to the next holdable state; the path ends there.
  const settled: PairEvent[] = [];
  for (let n = 0; ; n++) {
    const cls = enabledOf(s);
    if (!cls.spontaneous.length) break;
    if (n >= (opts.settleLimit ?? 40)) return { runnable: false, step: path.steps.length, reason: `QEMU does not settle after the path: ${settled.map(eventText).join(', ')}…` };
    const e: PairEvent = { type: 'sync', name: cls.spontaneous[0] };
    settled.push(e);
    s = advance(e);
    const ex = stateExclusion(s);
    if (ex) return { runnable: false, step: path.steps.length, reason: `after the path QEMU goes on (${settled.map(eventText).join(', ')}) to ${stateText(s)}: ${ex}` };
  }
  waits(s);
  const start = path.start.input;
  const scenario: Scenario = {
    name,
    description: `${start.incoming === 'uri' ? '-incoming tcp:' : '-incoming defer'}${start.sourcePaused ? ', source -S' : ''}${start.destinationPaused ? ', destination -S' : ''}; caps [${path.start.caps.join(',')}]; ${[...path.steps, ...settled].map(eventText).join(' ; ')}`,
    incoming: start.incoming ?? 'defer',
    sourcePaused: !!start.sourcePaused,
    destinationPaused: !!start.destinationPaused,
    steps,
  };
  return { runnable: true, scenario, covers: [...covers], settled };
}

// ---- the plan ------------------------------------------------------------------------------------

export interface PlannedPath {
  name: string;
  /** The targets this path was chosen for (new to the cover when chosen). */
  adds: string[];
  path: ModelPath;
  scenario: Scenario;
  covers: string[];
}

export interface GeneratedPath {
  /** The targets this generated path is the first (shortest) to reach. */
  targets: string[];
  path: ModelPath;
  runnable: boolean;
  reason?: string;
  /** For a path that is not runnable: the runnable path chosen instead for its targets, if any. */
  replacedBy?: string[];
}

export interface PathPlan {
  profile: string;
  targets: string[];
  /** The cover, in order: most new targets first. */
  paths: PlannedPath[];
  /** The model's generated paths (one per target, shortest, deduplicated), with their runnability. */
  generated: GeneratedPath[];
  /** Targets that the model reaches but no runnable path does, with the reason of the generated path. */
  notRunnableTargets: { target: string; reason: string }[];
  /** Targets the model never reaches in this profile (no path at all). */
  unreachable: string[];
  stats: { restrictedStates: number; explorerStates: number | null; seconds: number };
}

type T = PairIds;

/** Capability sets of the paths: every variant of the profile, with `events` on (MIGRATION events are observations). */
export function planCaps(p: Profile): string[][] {
  const out = new Map<string, string[]>();
  for (const c of capVariants(p)) {
    const x = [...new Set([...c, ...(p.capabilities.includes('events') ? ['events'] : [])])].sort();
    out.set(x.join(','), x);
  }
  return [...out.values()];
}

interface Search {
  explorer: PairExplorer;
  step: (t: T, ei: number) => T | null;
  view: (t: T) => PairState;
  syncIdx: number[];
}

function searchOf(p: Profile): Search {
  const explorer = new PairExplorer(p);
  // The explorer's compiled step (the same composition as stepPair, over interned side states).
  const step = explorer.step.bind(explorer);
  const view = (t: T): PairState => explorer.view(t);
  const syncIdx = explorer.alphabet.map((e, i) => (e.type === 'sync' ? i : -1)).filter((i) => i >= 0);
  return { explorer, step, view, syncIdx };
}

/**
 * The plan for a profile. `analyse`: also run the unrestricted explorer to list the model's generated
 * paths with their runnability (~10 s more).
 */
export function planPaths(p: Profile, opts: { analyse?: boolean } = {}): PathPlan {
  const t0 = performance.now();
  const caps = planCaps(p);
  const targets = targetsOf(p);
  const st = new EdgeStepper(p);
  const { explorer, step, view, syncIdx } = searchOf(p);
  const alphabet = explorer.alphabet;
  const CH = ['closed', 'connected', 'broken'];

  // (2) breadth-first search restricted to runnable moves.
  const nodes: { t: T; hold: Hold; parent: number; via: number; root: number }[] = [];
  const index = new Map<string, number>();
  const roots = rootStates(p, caps);
  const starts: Start[] = [];
  /** Per target: the first node (breadth-first) whose path covers it; ei >= 0: one step further. */
  const firstNode = new Map<string, { node: number; ei: number }>();
  const note = (i: number, covered: Iterable<string>, ei = -1) => {
    for (const k of covered) if (!firstNode.has(k)) firstNode.set(k, { node: i, ei });
  };
  /** Moves to states reached before (not on the search tree): looked at for targets the tree misses. */
  const cross: { h: number; ei: number }[] = [];
  const add = (t: T, hold: Hold, parent: number, via: number, root: number): number => {
    const k = `${t.source},${t.destination},${t.channel},${+hold.throttled}${+hold.stalled}${+hold.stallUsed}`;
    if (index.has(k)) return -1;
    index.set(k, nodes.length);
    nodes.push({ t, hold, parent, via, root });
    return nodes.length - 1;
  };
  for (const r of roots) {
    starts.push(r.start);
    const t = explorer.ids(r.state);
    const i = add(t, { throttled: true, stalled: false, stallUsed: false }, -1, -1, starts.length - 1);
    if (i >= 0) {
      const c = new Set<string>();
      targetsOfStep(view(t), { source: [], destination: [] }, c);
      note(i, c);
    }
  }
  const yankIdx = { source: -1, destination: -1 };
  alphabet.forEach((e, i) => {
    if (e.type === 'qmp' && e.command === 'yank') yankIdx[e.vm] = i;
  });
  for (let h = 0; h < nodes.length; h++) {
    const { t, hold, root } = nodes[h];
    const enabled: string[] = [];
    const syncNext = new Map<number, T>();
    for (const ei of syncIdx) {
      const n = step(t, ei);
      if (n) {
        enabled.push((alphabet[ei] as { name: string }).name);
        syncNext.set(ei, n);
      }
    }
    const cls = classify(enabled, hold);
    const here = view(t);
    const moves: { ei: number; next: T }[] = [];
    if (cls.spontaneous.length) {
      for (const [ei, n] of syncNext) if (cls.spontaneous.includes((alphabet[ei] as { name: string }).name)) moves.push({ ei, next: n });
    } else {
      for (let ei = 0; ei < alphabet.length; ei++) {
        const e = alphabet[ei];
        if (e.type === 'qmp') {
          if (commandExclusion(p, here, e)) continue;
          const n = step(t, ei);
          if (n) moves.push({ ei, next: n });
        } else if (e.type === 'sync') {
          const n = syncNext.get(ei);
          if (n && cls.caused.includes(e.name)) moves.push({ ei, next: n });
        } else if (e.type === 'fault' && (e.fault === 'crash-source' || e.fault === 'crash-destination')) {
          if (divergence(p, here, e)) continue;
          const n = step(t, ei);
          if (n) moves.push({ ei, next: n });
        }
      }
    }
    for (const m of moves) {
      const nv = view(m.next);
      if (stateExclusion(nv)) continue;
      const j = add(m.next, holdAfter(p, here, alphabet[m.ei], hold), h, m.ei, root);
      if (j < 0) {
        cross.push({ h, ei: m.ei });
        continue;
      }
      const r = st.step(view(t), alphabet[m.ei]);
      if (!r) throw new Error(`edge stepper: ${eventText(alphabet[m.ei])} changes nothing in ${stateText(view(t))}, the explorer says it does`);
      const c = new Set<string>();
      targetsOfStep(r.state, r.edges, c);
      note(j, c);
    }
  }
  // Transitions the search tree does not take (their target state was reached another way first).
  const targetSet = new Set(targets);
  const missing = () => targets.some((x) => !firstNode.has(x));
  for (const { h, ei } of cross) {
    if (!missing()) break;
    const r = st.step(view(nodes[h].t), alphabet[ei]);
    if (!r) continue;
    const c = new Set<string>();
    targetsOfStep(r.state, r.edges, c);
    if ([...c].some((x) => targetSet.has(x) && !firstNode.has(x))) note(h, c, ei);
  }
  const pathOf = (i: number, extra = -1): ModelPath => {
    const ev: PairEvent[] = [];
    let k = i;
    while (nodes[k].parent >= 0) {
      ev.push(alphabet[nodes[k].via]);
      k = nodes[k].parent;
    }
    ev.reverse();
    if (extra >= 0) ev.push(alphabet[extra]);
    return { start: starts[nodes[k].root], steps: ev };
  };

  // (3) candidates: the runnable path to the first node covering each target; a greedy cover.
  const candidates = new Map<string, { path: ModelPath; tr: Translated }>();
  const failures: string[] = [];
  for (const [, { node, ei }] of firstNode) {
    const key = `${node}+${ei}`;
    if (candidates.has(key)) continue;
    const path = pathOf(node, ei);
    const tr = translate(p, st, path, `node-${key}`);
    if (!tr.runnable) {
      failures.push(`node ${key}: ${tr.reason}`);
      continue;
    }
    candidates.set(key, { path, tr });
  }
  if (failures.length) throw new Error(`paths of the runnable search that do not translate (a bug in the plan):\n${failures.join('\n')}`);
  const need = new Set(targets.filter((x) => [...candidates.values()].some((c) => c.tr.covers.includes(x))));
  const chosen: PlannedPath[] = [];
  const pool = [...candidates.values()];
  while (need.size) {
    let best: (typeof pool)[number] | null = null;
    let bestN = 0;
    for (const c of pool) {
      const n = c.tr.covers.filter((x) => need.has(x)).length;
      if (n > bestN || (n === bestN && best && n > 0 && c.path.steps.length < best.path.steps.length)) {
        best = c;
        bestN = n;
      }
    }
    if (!best) break;
    const adds = best.tr.covers.filter((x) => need.has(x));
    for (const x of adds) need.delete(x);
    const name = `path-${String(chosen.length + 1).padStart(3, '0')}`;
    chosen.push({ name, adds, path: best.path, scenario: { ...best.tr.scenario, name, description: `covers ${adds.join(', ')} | ${best.tr.scenario.description}` }, covers: best.tr.covers });
  }
  const runnableCovered = new Set(chosen.flatMap((c) => c.covers));

  // (1) the model's generated paths: unrestricted shortest paths, with their runnability.
  const generated: GeneratedPath[] = [];
  const notRunnableTargets: { target: string; reason: string }[] = [];
  let unreachable: string[] = targets.filter((x) => !runnableCovered.has(x));
  let explorerStates: number | null = null;
  if (opts.analyse) {
    const full = new PairExplorer(p);
    const res = full.explore({ caps });
    explorerStates = res.states;
    const first = new Map<string, number>();
    for (let i = 0; i < full.size; i++) {
      const c = new Set<string>();
      const here = full.stateAt(i);
      if (full.parent[i] < 0) targetsOfStep(here, { source: [], destination: [] }, c);
      else {
        const r = st.step(full.stateAt(full.parent[i]), full.alphabet[full.via[i]]);
        if (r) targetsOfStep(r.state, r.edges, c);
      }
      for (const k of c) if (!first.has(k)) first.set(k, i);
    }
    // Transitions off the explorer's tree, for the targets the tree misses.
    const fstep = full.step.bind(full);
    const firstX = new Map<string, { node: number; ei: number }>();
    for (const [k, i] of first) firstX.set(k, { node: i, ei: -1 });
    const fmissing = () => targets.some((x) => !firstX.has(x));
    for (let i = 0; i < full.size && fmissing(); i++) {
      const t = full.idsAt(i);
      for (let ei = 0; ei < full.alphabet.length; ei++) {
        if (!fstep(t, ei)) continue;
        const r = st.step(full.stateAt(i), full.alphabet[ei]);
        if (!r) continue;
        const c = new Set<string>();
        targetsOfStep(r.state, r.edges, c);
        for (const k of c) if (!firstX.has(k)) firstX.set(k, { node: i, ei });
      }
    }
    const byState = new Map<string, string[]>();
    for (const [k, v] of firstX) byState.set(`${v.node}+${v.ei}`, [...(byState.get(`${v.node}+${v.ei}`) ?? []), k]);
    for (const [key, tg] of byState) {
      const [node, ei] = key.split('+').map(Number);
      const pp = full.pathTo(node);
      const path: ModelPath = { start: pp.start, steps: ei >= 0 ? [...pp.steps, full.alphabet[ei]] : pp.steps };
      const tr = translate(p, st, path, `generated-${key}`);
      const g: GeneratedPath = { targets: tg.filter((x) => targets.includes(x)), path, runnable: tr.runnable };
      if (!g.targets.length) continue;
      if (!tr.runnable) {
        g.reason = `step ${tr.step}: ${tr.reason}`;
        g.replacedBy = [...new Set(chosen.filter((c) => c.covers.some((x) => g.targets.includes(x))).map((c) => c.name))];
        for (const x of g.targets) if (!runnableCovered.has(x)) notRunnableTargets.push({ target: x, reason: g.reason });
      }
      generated.push(g);
    }
    for (const k of firstX.keys()) first.set(k, 0);
    const reached = new Set(first.keys());
    unreachable = targets.filter((x) => !reached.has(x));
  }
  return {
    profile: p.name,
    targets,
    paths: chosen,
    generated,
    notRunnableTargets,
    unreachable,
    stats: { restrictedStates: nodes.length, explorerStates, seconds: (performance.now() - t0) / 1000 },
  };
}

/** The plan as text (what the CLI prints before the run). */
export function formatPlan(plan: PathPlan, selected: number): string {
  const lines: string[] = [];
  const covered = new Set(plan.paths.flatMap((x) => x.covers));
  const sel = new Set(plan.paths.slice(0, selected).flatMap((x) => x.covers));
  lines.push(
    `paths (${plan.profile}): ${plan.targets.length} targets (statuses and status/run-state chart transitions of both sides); ` +
      `${plan.paths.length} runnable paths cover ${plan.targets.filter((x) => covered.has(x)).length}; the ${selected} selected cover ${plan.targets.filter((x) => sel.has(x)).length} (model prediction); ` +
      `runnable search ${plan.stats.restrictedStates} pair states${plan.stats.explorerStates !== null ? `, explorer ${plan.stats.explorerStates}` : ''}; ${plan.stats.seconds.toFixed(1)} s`,
  );
  if (plan.generated.length) {
    const bad = plan.generated.filter((g) => !g.runnable);
    lines.push(`generated paths (shortest to each target): ${plan.generated.length}; runnable ${plan.generated.length - bad.length}; not runnable ${bad.length}:`);
    for (const g of bad) lines.push(`  - [${g.targets.join('; ')}] ${g.reason}${g.replacedBy?.length ? ` => covered instead by ${g.replacedBy.join(', ')}` : ' => no runnable path'}`);
    if (plan.notRunnableTargets.length) {
      lines.push(`targets the model reaches but no runnable path does: ${plan.notRunnableTargets.length}`);
      for (const x of plan.notRunnableTargets) lines.push(`  - ${x.target}`);
    }
  }
  if (plan.unreachable.length) lines.push(`targets no path reaches${plan.generated.length ? ' in the model' : ' (runnable search)'}: ${plan.unreachable.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** The chart transitions the selected paths were chosen for, against what the run on the real binary exercised. */
export interface PlannedCoverage {
  /** Chart transitions (`side/edge id`) the selected paths reach in the model. */
  planned: string[];
  /** Of those: on every explanation of the run that agrees with QEMU's events (exercised for certain). */
  exercised: string[];
  /** Of those: not for certain, with the paths meant to take them and whether some explanation took them. */
  notCertain: { edge: string; paths: string[]; onSomeExplanation: boolean }[];
}

export function plannedCoverage(plan: PathPlan, selected: number, results: readonly { edges: readonly string[]; possibleEdges: readonly string[] }[]): PlannedCoverage {
  const chosen = plan.paths.slice(0, selected);
  const planned = [...new Set(chosen.flatMap((x) => x.covers))].filter((t) => t.includes('->')).sort();
  const ex = new Set(results.flatMap((r) => r.edges));
  const pos = new Set(results.flatMap((r) => r.possibleEdges));
  return {
    planned,
    exercised: planned.filter((e) => ex.has(e)),
    notCertain: planned.filter((e) => !ex.has(e)).map((edge) => ({ edge, paths: chosen.filter((x) => x.covers.includes(edge)).map((x) => x.name), onSomeExplanation: pos.has(edge) })),
  };
}

export function formatPlannedCoverage(c: PlannedCoverage): string {
  const lines = [`planned chart transitions exercised on the binary: ${c.exercised.length}/${c.planned.length}`];
  for (const x of c.notCertain) lines.push(`    ${x.onSomeExplanation ? '?' : '-'} ${x.edge} (${x.paths.join(', ')}): ${x.onSomeExplanation ? 'taken on some explanation of the run, not on all: the observations cannot tell' : 'not taken'}`);
  return lines.join('\n') + '\n';
}
