// Explicit-state exploration of the pair (model checking): breadth-first over the composed state
// (source, destination, channel), checking the named invariants in every reached state and keeping
// the shortest path to each state for counterexamples.
//
// Speed: stepping xstate costs ~100-250 µs. Each side is compiled lazily into a table: side states
// are interned (stateKey -> integer id) and the effect of each (side state, event) is stepped through
// xstate once and remembered as the next id. The pair search then runs over integer triples, stepped
// by pair.ts's one composition (composeStep) with a Stepper over those ids; `explorePairPlain`
// (stepPair on xstate snapshots, no tables) checks that both reach the same states. Pure: no I/O.
import type { Profile, SideState } from './profile.ts';
import { mayMove, movingProbes, type Probe } from './explore.ts';
import { startSide, stepSide, stateKey, type SideInput, type SideSnapshot } from './side.ts';
import { contextKey, fastStep } from './fast-step.ts';
import { decide } from './rules.ts';
import { startChannel, stepChannel, type ChannelEvent, type ChannelSnapshot } from './channel.ts';
import {
  SYNC, FAULTS, composeStep, startPair, stepPair, enabledInternal, syncSpec,
  type CommandResult, type Composite, type PairState, type PairEvent, type PairInput, type PairReply, type Sent, type Stepper,
} from './pair.ts';
import { CAP_VARIANTS } from './matrix.ts';
import { INTERNAL_EVENTS, type IncomingMode, type InternalEventType, type QmpArguments, type Side, type SideEvent } from './vocabulary.ts';
import { invariantsFor, type Invariant } from './invariants.ts';

// ---- the alphabet ------------------------------------------------------------------------------

export const YANK_ARGS: QmpArguments = { instances: [{ type: 'migration' }] };

/** The QMP commands the explorer sends to one side: the moving probes, x-colo-lost-heartbeat and yank. */
export function pairProbes(p: Profile, vm: Side): Probe[] {
  // The pair is one migration between two processes. A destination that completed may migrate on
  // (rule migrate.start.dst: it becomes a source), but that is the next migration, another pair's;
  // the destination's `migrate` moves nothing else (it is refused everywhere else), so it is left out.
  // A cpr mode is a start of its own (ExploreOptions.cpr), not a step the explorer takes anywhere.
  const out = movingProbes(p, vm).filter((x) => !(vm === 'destination' && x.command === 'migrate') && x.command !== 'migrate-set-parameters');
  if (!out.some((x) => x.command === 'x-colo-lost-heartbeat') && p.commands.includes('x-colo-lost-heartbeat')) out.push({ label: 'x-colo-lost-heartbeat', command: 'x-colo-lost-heartbeat' });
  if (p.commands.includes('yank')) out.push({ label: 'yank', command: 'yank', arguments: YANK_ARGS });
  return out;
}

/**
 * A migration into a file and a load from one (exec:, which every profile has; file: behaves the
 * same for the pair): the file-* steps of pair.ts SYNC. Off by default (ExploreOptions.files).
 */
export function fileProbes(vm: Side): Probe[] {
  return vm === 'source'
    ? [{ label: 'migrate to a file', command: 'migrate', arguments: { uri: 'exec:cat > /dev/null' } }]
    : [{ label: 'migrate-incoming from a file', command: 'migrate-incoming', arguments: { uri: 'exec:cat /dev/null' } }];
}

export interface ExploreOptions {
  /** Capability sets, each enabled on both sides before anything else. Default: every CAP_VARIANTS entry the profile has. */
  caps?: readonly (readonly string[])[];
  maxDepth?: number;
  /** Stop after this many states (the result says it was cut). */
  maxStates?: number;
  /** Also explore `restart-destination` (a fresh destination process) wherever the destination has exited. */
  restart?: boolean;
  /** Invariants to check (default: the ones claimed in the profile). */
  invariants?: readonly Invariant[];
  incoming?: readonly IncomingMode[];
  /**
   * Also start with tls-creds set on the source, the destination or both (with no capability set):
   * the states where the TLS steps of pair.ts SYNC are enabled. Off by default: a real pair needs
   * credentials objects for these (object-add), which the path planner does not make.
   */
  tls?: boolean;
  /** Also try migrating into a file and loading from one (fileProbes): the states of the file-* steps. */
  files?: boolean;
  /** Also start with different -uuid on the two processes and validate-uuid on (the uuid-mismatch step). */
  uuids?: boolean;
  /** Also let each guest suspend itself (the guest-suspend steps of pair.ts SYNC): the suspended run state. */
  suspend?: boolean;
  /** Also start with mode cpr-reboot on the source (QEMU >= 8.2): the cpr-stop step of pair.ts SYNC. */
  cpr?: boolean;
  /** Also let a process's stream meet a peer that is not the other QEMU (the stray steps of pair.ts SYNC). */
  stray?: boolean;
}

/** The starts besides the capability sets (ExploreOptions of the same names). */
export type RootOptions = Pick<ExploreOptions, 'tls' | 'uuids' | 'cpr'>;

/** The -uuid pair of a `uuids` start: two different UUIDs. */
export const MISMATCHED_UUIDS = { sourceUuid: '11111111-1111-1111-1111-111111111111', destinationUuid: '22222222-2222-2222-2222-222222222222' } as const;

/** Which processes have tls-creds set at the start (Start.tls). */
export type TlsStart = 'source' | 'destination' | 'both';
export const TLS_STARTS: readonly TlsStart[] = ['source', 'destination', 'both'];
/** The tls-creds a TLS start names (the credentials object itself is opaque to the model). */
export const TLS_CREDS_ID = 'tlscreds0';

/** How a root state was made: the processes' command lines, then capabilities set on both sides (and tls-creds where `tls` says). */
export interface Start {
  input: PairInput;
  caps: readonly string[];
  tls?: TlsStart;
  /** Parameters set on the source after the capabilities (a cpr start: mode cpr-reboot). */
  sourceParams?: Readonly<Record<string, string>>;
}

/** The commands that make a start's root state once both processes are up, in order. */
export function startEvents(start: Start): PairEvent[] {
  const out: PairEvent[] = start.caps.length ? (['source', 'destination'] as const).map((vm) => setCapsEvent(vm, start.caps)) : [];
  for (const vm of ['source', 'destination'] as const)
    if (start.tls === vm || start.tls === 'both') out.push({ type: 'qmp', vm, command: 'migrate-set-parameters', arguments: { 'tls-creds': TLS_CREDS_ID } });
  if (start.sourceParams) out.push({ type: 'qmp', vm: 'source', command: 'migrate-set-parameters', arguments: { ...start.sourceParams } });
  return out;
}

export function setCapsEvent(vm: Side, caps: readonly string[]): PairEvent {
  return { type: 'qmp', vm, command: 'migrate-set-capabilities', arguments: { capabilities: caps.map((capability) => ({ capability, state: true })) } };
}

/** Every compatible capability variant of a profile. */
export function capVariants(p: Profile): (readonly string[])[] {
  return CAP_VARIANTS.filter((c) => c.every((x) => p.capabilities.includes(x)));
}

/** The root states: every start (-incoming defer/uri, -S or not on each side), with caps set on both sides; null where refused. */
export function rootStates(p: Profile, caps: readonly (readonly string[])[], incoming: readonly IncomingMode[] = ['defer', 'uri'], o: RootOptions = {}): { start: Start; state: PairState }[] {
  const out: { start: Start; state: PairState }[] = [];
  type Kind = Omit<Start, 'input'> & { input?: Partial<PairInput> };
  const kinds: Kind[] = [
    ...caps.map((c) => ({ caps: c })),
    ...(o.tls ? TLS_STARTS.map((t) => ({ caps: [], tls: t })) : []),
    ...(o.uuids && p.capabilities.includes('validate-uuid') ? [{ caps: ['validate-uuid'], input: MISMATCHED_UUIDS }] : []),
    ...(o.cpr && p.parameters.some((x) => x.name === 'mode' && x.values?.includes('cpr-reboot')) ? [{ caps: [], sourceParams: { mode: 'cpr-reboot' } }] : []),
    // cpr-exec (master): the source alone; its exec makes the destination (the cpr-exec step).
    ...(o.cpr && p.parameters.some((x) => x.name === 'mode' && x.values?.includes('cpr-exec')) ? [{ caps: [], sourceParams: { mode: 'cpr-exec' }, input: { noDestination: true } }] : []),
    // cpr-transfer: the new QEMU started with -incoming cpr as well, the old one in mode cpr-transfer.
    ...(o.cpr && p.parameters.some((x) => x.name === 'mode' && x.values?.includes('cpr-transfer')) ? [{ caps: [], sourceParams: { mode: 'cpr-transfer' }, input: { cprTransfer: true } }] : []),
  ];
  for (const { input: extra, ...k } of kinds)
    for (const inc of incoming)
      for (const sp of [false, true])
        for (const dp of [false, true]) {
          const start: Start = { input: { incoming: inc, sourcePaused: sp, destinationPaused: dp, ...extra }, ...k };
          let s: PairState | null = startPair(p, start.input);
          for (const e of startEvents(start)) {
            const r = stepPair(p, s!, e);
            if (!r.reply || !('return' in r.reply)) {
              s = null; // refused (migrate_caps_check, or a listening destination that blocks it)
              break;
            }
            s = r.state;
          }
          if (s) out.push({ start, state: s });
        }
  return out;
}

/** A canonical key of a pair state (the channel's connection count is not part of it). */
export function pairKey(s: PairState): string {
  return `${s.source ? stateKey(s.source) : 'exited'}|${s.destination ? stateKey(s.destination) : 'exited'}|${s.channel.value}`;
}

/** Which optional parts of the alphabet to try (ExploreOptions of the same names). */
export type AlphabetOptions = Pick<ExploreOptions, 'restart' | 'files' | 'suspend' | 'stray'>;

/** Every event the explorer tries in a pair state, in a fixed order. */
export function pairAlphabet(p: Profile, o: AlphabetOptions = {}): PairEvent[] {
  const out: PairEvent[] = [];
  for (const vm of ['source', 'destination'] as const)
    for (const x of [...pairProbes(p, vm), ...(o.files ? fileProbes(vm) : [])]) out.push(x.arguments ? { type: 'qmp', vm, command: x.command, arguments: x.arguments } : { type: 'qmp', vm, command: x.command });
  for (const s of SYNC) if ((!s.guest || o.suspend) && (!s.stray || o.stray)) out.push({ type: 'sync', name: s.name });
  for (const f of FAULTS) out.push({ type: 'fault', fault: f });
  if (o.restart) out.push({ type: 'restart-destination' });
  return out;
}

// ---- compiled side tables ------------------------------------------------------------------------

const UNKNOWN = -2;
const NONE = -1;
const ASKED = 1;
const ALLOWED = 2;
const CRASH = 4;
const SHUTS = 8;
const INTERNAL_INDEX = new Map<string, number>(INTERNAL_EVENTS.map((e, i) => [e, i]));

/**
 * One side of one profile compiled into a table: side states interned as integers, and for each
 * (state, event) the next state (or NONE: the event does not change it). Cells are computed with
 * fastStep (the profile's data, no interpreter); xstate is stepped once per new side state, from
 * the state it was first reached from, to build its snapshot, and that snapshot must agree with
 * fastStep's result (else the model's two readings disagree: an error, never silently used).
 */
export class SideTable {
  readonly snaps: SideSnapshot[] = [];
  private readonly ids = new Map<string, number>();
  /** QMP events of this side, then the internal events. */
  readonly events: SideEvent[];
  private readonly nq: number;
  private readonly rows: Int32Array[] = [];
  /** Per state and QMP event: 0 not asked yet, else ASKED | ALLOWED | CRASH | SHUTS bits. */
  private readonly verdict: Uint8Array[] = [];
  /** How many times xstate was stepped (once per side state reached by a step). */
  xstateSteps = 0;

  constructor(readonly p: Profile, readonly side: Side, qmp: readonly SideEvent[]) {
    this.nq = qmp.length;
    this.events = [...qmp, ...INTERNAL_EVENTS.map((type) => ({ type }) as SideEvent)];
  }

  get size(): number {
    return this.snaps.length;
  }

  intern(snap: SideSnapshot): number {
    return this.internContext(snap.context, () => snap);
  }

  /** The id of a state given by its data; `snapshot` builds its xstate snapshot when it is new. */
  private internContext(c: SideState, snapshot: () => SideSnapshot): number {
    const k = contextKey(c);
    let id = this.ids.get(k);
    if (id === undefined) {
      const snap = snapshot();
      if (contextKey(snap.context) !== k)
        throw new Error(`${this.p.name} ${this.side}: fastStep and xstate disagree: ${k} vs ${contextKey(snap.context)}`);
      id = this.snaps.length;
      this.ids.set(k, id);
      this.snaps.push(snap);
      this.rows.push(new Int32Array(this.events.length).fill(UNKNOWN));
      this.verdict.push(new Uint8Array(this.nq));
    }
    return id;
  }

  /** The next state of `id` under event index `i` (NONE when it does not change). */
  private next(id: number, i: number): number {
    const snap = this.snaps[id];
    const e = this.events[i];
    const c = fastStep(this.p, snap.context, e);
    if (!c) return NONE;
    return this.internContext(c, () => {
      this.xstateSteps++;
      return stepSide(this.p, snap, e).snapshot;
    });
  }

  /** QMP event `q` (index into this side's QMP events): what it does to state `id` (next: NONE when unchanged). */
  command(id: number, q: number): CommandResult<number> & { next: number } {
    const row = this.rows[id];
    if (row[q] === UNKNOWN) {
      const e = this.events[q] as Extract<SideEvent, { type: 'qmp' }>;
      const d = decide(this.p, this.snaps[id].context, e.command, e.arguments ?? {});
      this.verdict[id][q] = ASKED | (d.allowed ? ALLOWED : 0) | (d.rule?.crash ? CRASH : 0) | (d.allowed && d.rule.accept!.shutsChannel ? SHUTS : 0);
      row[q] = this.next(id, q);
    }
    const v = this.verdict[id][q];
    return { next: row[q], allowed: (v & ALLOWED) !== 0, crash: (v & CRASH) !== 0, shutsChannel: (v & SHUTS) !== 0 };
  }

  /** An internal event: the next state, or NONE when it cannot move this state (pair.ts: take). */
  internal(id: number, event: InternalEventType): number {
    const i = this.nq + INTERNAL_INDEX.get(event)!;
    const row = this.rows[id];
    if (row[i] === UNKNOWN) row[i] = mayMove(this.p, this.snaps[id].context, { type: event }) ? this.next(id, i) : NONE;
    return row[i];
  }
}

// ---- the compiled pair ---------------------------------------------------------------------------

/** Channel values as small integers. */
const CH_NAMES = ['closed', 'connected', 'broken'] as const;
const CLOSED = 0;
const CONNECTED = 1;
const BROKEN = 2;

/** A pair state over interned side states (null: exited) and the channel as CLOSED / CONNECTED / BROKEN: what the compiled step works on. */
export type PairIds = Composite<number, number>;
type T = PairIds;

const EXITED = -1;
const SHIFT = 2 ** 22;
const tkey = (t: T) => ((t.source ?? EXITED) + 1) * SHIFT * 4 + ((t.destination ?? EXITED) + 1) * 4 + t.channel;
/** The channel chart over CLOSED / CONNECTED / BROKEN (channel.ts: what each event does in each state). */
const CHANNEL_STEP: Record<ChannelEvent['type'], readonly number[]> = {
  connect: [1, 1, 1],
  break: [0, 2, 2],
  close: [0, 0, 2],
};

export interface Violation {
  invariant: string;
  /** States in which it fails. */
  count: number;
  /** The first failing state in breadth-first order (reached by a shortest path). */
  state: number;
  depth: number;
}

export interface ExploreResult {
  profile: string;
  caps: (readonly string[])[];
  roots: number;
  states: number;
  transitions: number;
  depth: number;
  /** The search stopped at maxDepth / maxStates before the frontier was empty. */
  truncated: boolean;
  sideStates: Record<Side, number>;
  xstateSteps: number;
  invariants: string[];
  violations: Violation[];
}

/** One step of a path from a root: the pair event taken. */
export interface PathStep {
  event: PairEvent;
}

export interface PairPath {
  start: Start;
  steps: PairEvent[];
}

export class PairExplorer {
  readonly tables: Record<Side, SideTable>;
  readonly alphabet: PairEvent[];
  private readonly qIndex: { vm: Side; q: number }[] = [];
  private readonly channels: ChannelSnapshot[];
  // The search: parallel arrays indexed by pair-state number.
  readonly src: number[] = [];
  readonly dst: number[] = [];
  readonly ch: number[] = [];
  readonly parent: number[] = [];
  readonly via: number[] = [];
  readonly depthOf: number[] = [];
  readonly rootOf: number[] = [];
  readonly starts: Start[] = [];
  private readonly index = new Map<number, number>();
  private readonly restart: boolean;
  /** The QMP event index of the command being stepped (composeStep hands the stepper the event, not its index). */
  private pendingQ = -1;
  private readonly stepper: Stepper<number, number>;

  constructor(readonly p: Profile, opts: AlphabetOptions = {}) {
    this.restart = !!opts.restart;
    this.alphabet = pairAlphabet(p, opts);
    const qmp: Record<Side, SideEvent[]> = { source: [], destination: [] };
    for (const e of this.alphabet) {
      if (e.type !== 'qmp') {
        this.qIndex.push({ vm: 'source', q: -1 });
        continue;
      }
      this.qIndex.push({ vm: e.vm, q: qmp[e.vm].length });
      qmp[e.vm].push(e.arguments ? { type: 'qmp', command: e.command, arguments: e.arguments } : { type: 'qmp', command: e.command });
    }
    this.tables = { source: new SideTable(p, 'source', qmp.source), destination: new SideTable(p, 'destination', qmp.destination) };
    const closed = startChannel();
    const connected = stepChannel(closed, { type: 'connect' });
    this.channels = [closed, connected, stepChannel(connected, { type: 'break' })];
    const tables = this.tables;
    // pair.ts's composition over interned ids: a side state is its id in its table, the channel 0/1/2.
    this.stepper = {
      ctx: (vm, id) => tables[vm].snaps[id].context,
      internal: (vm, id, event) => {
        const n = tables[vm].internal(id, event);
        return n < 0 ? null : n;
      },
      command: (vm, id) => {
        const r = tables[vm].command(id, this.pendingQ);
        return { ...r, next: r.next < 0 ? null : r.next };
      },
      start: (input) => tables[input.side].intern(startSide(p, input)),
      channel: (c) => CH_NAMES[c],
      channelStep: (c, e) => CHANNEL_STEP[e][c],
      channelStart: () => CLOSED,
    };
  }

  get size(): number {
    return this.src.length;
  }

  /** The pair state number i as a PairState (shared snapshots; the channel's connection count is not kept). */
  stateAt(i: number): PairState {
    return this.view(this.idsAt(i));
  }

  /** A PairState as ids (its processes interned). */
  ids(s: PairState): T {
    return {
      source: s.source === null ? null : this.tables.source.intern(s.source),
      destination: s.destination === null ? null : this.tables.destination.intern(s.destination),
      channel: CH_NAMES.indexOf(s.channel.value as never),
    };
  }

  /** The pair state number i as ids. */
  idsAt(i: number): T {
    return { source: this.src[i] < 0 ? null : this.src[i], destination: this.dst[i] < 0 ? null : this.dst[i], channel: this.ch[i] };
  }

  /** A compiled pair state as a PairState (shared snapshots). */
  view(t: T): PairState {
    return {
      source: t.source === null ? null : this.tables.source.snaps[t.source],
      destination: t.destination === null ? null : this.tables.destination.snaps[t.destination],
      channel: this.channels[t.channel],
    };
  }

  /**
   * pair.ts: composeStep, over integer states, for event `ei` of `alphabet`. Null: the event changes
   * nothing. Public for planners that search the pair themselves (qemu/path-plan.ts).
   */
  step(t: T, ei: number): T | null {
    const e = this.alphabet[ei];
    if (e.type === 'qmp') {
      this.pendingQ = this.qIndex[ei].q;
      const out = composeStep(this.stepper, t, e);
      return out === null || (out.source === t.source && out.destination === t.destination && out.channel === t.channel) ? null : out;
    }
    if (e.type === 'restart-destination' && t.destination !== null) return null; // explored only where the destination has exited
    return composeStep(this.stepper, t, e);
  }

  private add(t: T, parent: number, via: number, depth: number, root: number): number {
    const k = tkey(t);
    const have = this.index.get(k);
    if (have !== undefined) return -1;
    const i = this.src.length;
    this.index.set(k, i);
    this.src.push(t.source ?? EXITED);
    this.dst.push(t.destination ?? EXITED);
    this.ch.push(t.channel);
    this.parent.push(parent);
    this.via.push(via);
    this.depthOf.push(depth);
    this.rootOf.push(root);
    return i;
  }

  /** Breadth-first search from the roots; checks the invariants in every new state. */
  explore(opts: ExploreOptions = {}): ExploreResult {
    const p = this.p;
    const caps = opts.caps ? opts.caps.map((c) => [...c].sort()) : capVariants(p);
    const invs = opts.invariants ?? invariantsFor(p);
    const maxDepth = opts.maxDepth ?? Infinity;
    const maxStates = opts.maxStates ?? Infinity;
    const violations = new Map<string, Violation>();
    const check = (i: number) => {
      const s = this.stateAt(i);
      for (const inv of invs) {
        if (inv.holds(s, p)) continue;
        const v = violations.get(inv.name);
        if (v) v.count++;
        else violations.set(inv.name, { invariant: inv.name, count: 1, state: i, depth: this.depthOf[i] });
      }
    };
    const roots = rootStates(p, caps, opts.incoming, { tls: opts.tls, uuids: opts.uuids, cpr: opts.cpr });
    for (const r of roots) {
      const t = this.ids(r.state);
      this.starts.push(r.start);
      const i = this.add(t, -1, -1, 0, this.starts.length - 1);
      if (i >= 0) check(i);
    }
    let transitions = 0;
    let truncated = false;
    let head = 0;
    const n = this.alphabet.length;
    while (head < this.src.length) {
      const i = head++;
      const depth = this.depthOf[i];
      if (depth >= maxDepth || this.src.length >= maxStates) {
        truncated = true;
        break;
      }
      const t = this.idsAt(i);
      for (let ei = 0; ei < n; ei++) {
        const out = this.step(t, ei);
        if (!out) continue;
        transitions++;
        const j = this.add(out, i, ei, depth + 1, this.rootOf[i]);
        if (j >= 0) check(j);
      }
    }
    return {
      profile: p.name,
      caps,
      roots: roots.length,
      states: this.src.length,
      transitions,
      depth: this.depthOf.length ? this.depthOf[this.depthOf.length - 1] : 0,
      truncated,
      sideStates: { source: this.tables.source.size, destination: this.tables.destination.size },
      xstateSteps: this.tables.source.xstateSteps + this.tables.destination.xstateSteps,
      invariants: invs.map((x) => x.name),
      violations: [...violations.values()],
    };
  }

  /** The shortest path from a root to state i. */
  pathTo(i: number): PairPath {
    const steps: PairEvent[] = [];
    let k = i;
    while (this.parent[k] >= 0) {
      steps.push(this.alphabet[this.via[k]]);
      k = this.parent[k];
    }
    return { start: this.starts[this.rootOf[k]], steps: steps.reverse() };
  }

  /**
   * The stateKeys of the side states the pair's steps pass through: the sides of reached pair states
   * and the states in between the steps of a synchronised step.
   */
  sideKeys(vm: Side): Set<string> {
    return new Set(this.tables[vm].snaps.map((s) => stateKey(s)));
  }

  /** Canonical keys of every reached state (for comparing with the plain search). */
  keys(): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < this.size; i++) out.add(pairKey(this.stateAt(i)));
    return out;
  }
}

/** Explores a profile (see PairExplorer). */
export function explorePair(p: Profile, opts: ExploreOptions = {}): { explorer: PairExplorer; result: ExploreResult } {
  const explorer = new PairExplorer(p, { restart: opts.restart, files: opts.files, suspend: opts.suspend, stray: opts.stray });
  const result = explorer.explore(opts);
  return { explorer, result };
}

/**
 * The same search without tables: stepPair on whole pair states, canonical string keys. Slow; it is
 * the reference the compiled search is checked against.
 */
export function explorePairPlain(p: Profile, opts: ExploreOptions = {}): Set<string> {
  const caps = opts.caps ? opts.caps.map((c) => [...c].sort()) : capVariants(p);
  const maxDepth = opts.maxDepth ?? Infinity;
  const qmps = pairAlphabet(p).filter((e) => e.type === 'qmp');
  const seen = new Set<string>();
  let frontier: PairState[] = [];
  for (const r of rootStates(p, caps, opts.incoming)) {
    const k = pairKey(r.state);
    if (!seen.has(k)) {
      seen.add(k);
      frontier.push(r.state);
    }
  }
  for (let depth = 0; depth < maxDepth && frontier.length; depth++) {
    const next: PairState[] = [];
    for (const s of frontier) {
      const events: PairEvent[] = [...qmps, ...enabledInternal(p, s).filter((e) => e.type !== 'sync' || ((opts.suspend || !syncSpec(e.name).guest) && (opts.stray || !syncSpec(e.name).stray)))];
      if (opts.restart && !s.destination) events.push({ type: 'restart-destination' });
      for (const e of events) {
        const r = stepPair(p, s, e);
        if (!r.changed) continue;
        const k = pairKey(r.state);
        if (seen.has(k)) continue;
        seen.add(k);
        next.push(r.state);
      }
    }
    frontier = next;
  }
  return seen;
}

// ---- traces --------------------------------------------------------------------------------------

/** One line of a trace (the trace format: {"t","vm","dir","msg"}, or a note {"t","note"}). */
export type TraceLine = { t: number; vm: Side; dir: 'send' | 'recv'; msg: Record<string, unknown> } | { t: number; note: Record<string, unknown> };

function replyMsg(r: PairReply | undefined, id: string): Record<string, unknown> | null {
  if (!r || 'exited' in r || 'noMonitor' in r) return null;
  return 'return' in r ? { return: r.return, id } : { error: r.error, id };
}

/**
 * A path as trace lines, replayed through stepPair (so it is also checked): the start as a note,
 * capabilities set on both sides, then each command sent with the model's reply; internal steps
 * (synchronised steps, faults) are notes, since they are not QMP messages.
 */
export function pathTrace(p: Profile, path: PairPath): { lines: TraceLine[]; final: PairState } {
  const lines: TraceLine[] = [];
  let t = 0;
  let n = 0;
  lines.push({ t: t++, note: { start: { profile: p.name, incoming: path.start.input.incoming ?? 'defer', sourcePaused: !!path.start.input.sourcePaused, destinationPaused: !!path.start.input.destinationPaused } } });
  let s = startPair(p, path.start.input);
  const events = [...startEvents(path.start), ...path.steps];
  // The events each step sends (stepPair's `sent`): a command's own before its reply, the rest after.
  const eventLines = (sent: readonly Sent[] | undefined, which: (x: Sent) => boolean) => {
    for (const x of sent ?? [])
      if (which(x))
        for (const ev of x.events) lines.push({ t: t++, vm: x.vm, dir: 'recv', msg: ev.startsWith('MIGRATION:') ? { event: 'MIGRATION', data: { status: ev.slice(10) } } : { event: ev } });
  };
  for (const e of events) {
    const r = stepPair(p, s, e, { events: true });
    if (e.type === 'qmp') {
      const id = `m${n++}`;
      const msg: Record<string, unknown> = { execute: e.command };
      if (e.arguments) msg.arguments = e.arguments;
      msg.id = id;
      lines.push({ t: t++, vm: e.vm, dir: 'send', msg });
      eventLines(r.sent, (x) => !!x.command);
      const rm = replyMsg(r.reply, id);
      if (rm) lines.push({ t: t++, vm: e.vm, dir: 'recv', msg: rm });
      eventLines(r.sent, (x) => !x.command);
      if (!rm || (s[e.vm] && !r.state[e.vm])) lines.push({ t: t++, note: { exited: e.vm } });
    } else {
      lines.push({ t: t++, note: e.type === 'sync' ? { internal: e.name } : e.type === 'fault' ? { fault: e.fault } : { restart: 'destination' } });
      eventLines(r.sent, () => true);
    }
    s = r.state;
  }
  return { lines, final: s };
}

/** A pair event as a short label ("source: migrate", "sync connect", "fault crash-source"). */
export function eventText(e: PairEvent): string {
  if (e.type === 'qmp') return `${e.vm}: ${e.command}${e.arguments ? ' ' + JSON.stringify(e.arguments) : ''}`;
  if (e.type === 'sync') return `sync ${e.name}`;
  if (e.type === 'fault') return `fault ${e.fault}`;
  return 'restart-destination';
}

/** A one-line summary of a pair state. */
export function stateText(s: PairState): string {
  const side = (vm: Side) => {
    const c = s[vm]?.context;
    if (!c) return `${vm}=exited`;
    return `${vm}=${c.status}/${c.runstate}${c.colo !== 'none' ? ` colo:${c.colo}` : ''}${c.failover !== 'none' ? ` failover:${c.failover}` : ''}${c.rp !== 'closed' ? ` rp:${c.rp}` : ''}`;
  };
  return `${side('source')} ${side('destination')} channel=${s.channel.value}`;
}

export type { SideInput };

// ---- one side alone, compiled ---------------------------------------------------------------------

/**
 * Every state of one side machine alone (the alphabet of exploreSide: moving probes and every
 * internal event), with capabilities `caps` set first, over its compiled table. Returns the
 * stateKeys in breadth-first order. Used to compare with @xstate/graph's traversal of the same machine.
 */
export function exploreSideCompiled(p: Profile, side: Side, caps: readonly string[], starts: readonly SideInput[], table?: SideTable): { keys: string[]; table: SideTable } {
  const t = table ?? new SideTable(p, side, movingProbes(p, side).map((x) => (x.arguments ? { type: 'qmp', command: x.command, arguments: x.arguments } : { type: 'qmp', command: x.command }) as SideEvent));
  const nq = t.events.length - INTERNAL_EVENTS.length;
  const seen = new Set<number>();
  const queue: number[] = [];
  for (const start of starts) {
    let snap = startSide(p, start);
    if (caps.length) {
      const r = stepSide(p, snap, { type: 'qmp', command: 'migrate-set-capabilities', arguments: { capabilities: caps.map((capability) => ({ capability, state: true })) } });
      if (!r.decision?.allowed) continue;
      snap = r.snapshot;
    }
    const id = t.intern(snap);
    if (!seen.has(id)) {
      seen.add(id);
      queue.push(id);
    }
  }
  for (let h = 0; h < queue.length; h++) {
    const id = queue[h];
    for (let q = 0; q < nq; q++) {
      if (!mayMove(p, t.snaps[id].context, t.events[q])) continue;
      const n = t.command(id, q).next;
      if (n >= 0 && !seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
    for (const ev of INTERNAL_EVENTS) {
      const n = t.internal(id, ev);
      if (n >= 0 && !seen.has(n)) {
        seen.add(n);
        queue.push(n);
      }
    }
  }
  return { keys: queue.map((id) => stateKey(t.snaps[id])), table: t };
}
