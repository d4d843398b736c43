// The conformance runner: plays scenarios (data: QMP steps, waits, faults) against a real QEMU pair
// and, at every step, holds the model to what QEMU does.
//  - Before a command is sent, the model's current set of possible states for that VM predicts the
//    answer (allowed; error class and text); QEMU's reply must be one of those predictions.
//  - The hypotheses are advanced with applyCommand (internal events inferred: trace inclusion).
//  - After each step, query-migrate and query-status of both VMs are observations: explain() keeps
//    the states that internal events lead to and that agree; an empty set is a mismatch.
// Every QMP message is in the scenario's trace file; predictions, faults and mismatches are noted there.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import {
  replyViolation, advanceBy, agrees, announce, chartEdges, decideAll, loadFailureExits, runStateEvents, stampedPlace, destinationStatusChart, evalCond, internalClosure, runStateChart, sourceStatusChart, startSide, stateKey, stepSide,
  type ChartEdge, type CommandOutcome, type Hypothesis, type Observation, type Profile, type Side, type SideSnapshot,
} from '../machines/index.ts';
import { QmpClosedError, QmpTimeoutError, type QmpArgs, type QmpResult } from './qmp.ts';
import { freePort, Pair, type Vm } from './vm.ts';
import { silentClient, silentServer, stalledUnixListener, type Peer } from './peers.ts';
import { makeX509Dirs, type X509Dirs } from './tls-certs.ts';
import type { VmName } from './trace.ts';

// ---- scenarios as data -------------------------------------------------------------------------

/**
 * Placeholders allowed in string arguments: `$DST_URI` (where the destination listens),
 * `$REFUSED_URI` (a free port nobody listens on), `$RECOVER_URI` (a free port for migrate-recover
 * and the matching migrate resume), `$SILENT_URI` (a server that accepts and never talks),
 * `$STALLED_URI` (a UNIX listener whose accept queue is full: connect() blocks), `$TLS_PSK_DIR` and
 * `$TLS_PSK_OTHER_DIR` (folders of pre-shared keys for tls-creds-psk whose keys do not match),
 * `$TLS_X509_SERVER_DIR`, `$TLS_X509_CLIENT_DIR`, `$TLS_X509_ANON_DIR` (tls-creds-x509 folders from
 * one test CA: the server's, a client's, a client with no certificate; qemu/tls-certs.ts).
 */
export interface QmpStep {
  vm: VmName;
  qmp: string;
  arguments?: QmpArgs;
  /** QEMU may move between the last observation and this command: compare with the states internal events reach. */
  racy?: boolean;
  /** Send query-migrate (n times) and query-status in the same write, right behind the command. */
  pipelineQuery?: boolean | number;
  /** Send with exec-oob. */
  oob?: boolean;
  timeoutMs?: number;
  /**
   * Sent only where the run's profile is one of these (a setting the other versions lack, e.g. the
   * pacing of scenarios.ts); skipped elsewhere, with a note in the trace.
   */
  only?: readonly string[];
}
export interface WaitStep {
  /**
   * `throttle`: until query-migrate reports cpu-throttle-percentage (the auto-converge throttle
   * started), each reply checked against the model's bounds (rules.ts replyViolation).
   */
  wait: { vm: VmName; status?: string; runstate?: string; exit?: boolean; throttle?: boolean; timeoutMs?: number };
}
export type Fault =
  | 'kill-destination'
  | 'kill-source'
  | 'yank-source'
  | 'yank-destination'
  /** End the stalled UNIX listener: QEMU's blocked connect fails. */
  | 'release-stalled'
  /** Connect a silent client to $RECOVER_URI (destination postcopy-recover). */
  | 'silent-client-connect'
  | 'silent-client-close'
  | 'silent-server-close';
export interface FaultStep {
  fault: Fault;
}
export interface SleepStep {
  sleep: number;
}
/**
 * Start one more QEMU process, with -incoming: the destination of a scenario that starts it later
 * (`destinationLater`), or a further one (C of A→B→C; `$URI:C` is where it listens).
 */
export interface LaunchStep {
  launch: { vm: VmName; incoming: 'defer' | 'uri'; paused?: boolean };
}
/**
 * The guest does something of its own, which QMP cannot ask for. `suspend`: it enters ACPI S3 (the
 * model's guest-suspend). The runner makes it happen from outside: an HMP `o` (human-monitor-command)
 * writes SLP_TYP S3 | SLP_EN (0x2400) to the PM1a control register at 0x604 (SeaBIOS puts the
 * PIIX4 PM I/O base of `-M pc` at 0x600; hw/acpi/core.c: acpi_pm1_cnt_write), as the guest's kernel
 * would, then waits for the SUSPEND event.
 */
export interface GuestStep {
  guest: { vm: VmName; does: 'suspend' };
}
export type Step = QmpStep | WaitStep | FaultStep | SleepStep | LaunchStep | GuestStep;

export interface Scenario {
  name: string;
  description: string;
  /** How the destination is started (default 'uri': -incoming tcp:127.0.0.1:<port>). */
  incoming?: 'defer' | 'uri';
  sourcePaused?: boolean;
  destinationPaused?: boolean;
  /** Start the source only; a launch step starts the destination later (a restore after a save). */
  destinationLater?: boolean;
  /** -uuid on each command line (validate-uuid compares them). */
  uuids?: { source?: string; destination?: string };
  /** Both processes boot this firmware instead of SeaBIOS (qemu/guest-firmware.ts). */
  firmware?: 'dirty-loop';
  /** The accelerator of both VMs (default tcg; kvm: qemu/vm.ts kvmUsable). */
  accel?: 'tcg' | 'kvm';
  /** Run the whole scenario again (fresh pair) until `vm` was seen in `status`, at most `attempts` times. */
  retryUntil?: { vm: Side; status: string; attempts: number };
  /**
   * The profiles the scenario is written for, and why it is not played on the others (absent: every
   * profile). Where QEMU changed what a scenario is about (a later version refuses the command, never
   * enters the status), each version has its own scenario declaring where it holds; the runner
   * skips the others, and reports each skipped with `why`.
   */
  only?: { profiles: readonly string[]; why: string };
  steps: Step[];
}

/** Is the scenario played with this profile (Scenario.only)? */
export function scenarioPlaysOn(sc: Pick<Scenario, 'only'>, profile: string): boolean {
  return !sc.only || sc.only.profiles.includes(profile);
}

/** Is the step played with this profile (QmpStep.only)? */
export function stepPlaysOn(s: Step, profile: string): boolean {
  return !('qmp' in s) || !s.only || s.only.includes(profile);
}

// ---- results -----------------------------------------------------------------------------------

export type MismatchKind =
  /** QEMU answered a command differently than every prediction. */
  | 'reply'
  /** QEMU's reply to a query has other content than the model's. */
  | 'reply-content'
  /** query-migrate / query-status showed a state no internal event leads to. */
  | 'observation'
  /** A QEMU process exited where the model cannot explain it. */
  | 'exit'
  /** The scenario itself could not go on (timeout, a wait not met, a VM that would not start). */
  | 'scenario';

export interface Mismatch {
  scenario: string;
  attempt: number;
  step: number;
  stepText: string;
  vm: VmName | null;
  kind: MismatchKind;
  /** The model's states before the step (status/runstate/caps) and what it predicted. */
  state: string[];
  predicted: unknown;
  observed: unknown;
  trace: string;
}

export interface ScenarioResult {
  name: string;
  /** Not played: the scenario is written for other profiles (Scenario.only: its reason). */
  skipped?: string;
  attempts: number;
  ok: boolean;
  mismatches: Mismatch[];
  /** By the role each process started in. */
  statuses: Record<Side, string[]>;
  runstates: Record<Side, string[]>;
  /** `side/edge id`s on the trail of every surviving explanation of the run. */
  edges: string[];
  /** `side/edge id`s taken on some explanation of some step. */
  possibleEdges: string[];
  steps: number;
  commands: number;
  durationMs: number;
  traces: string[];
}

export interface RunOptions {
  profile: Profile;
  qemu?: string;
  jobs?: number;
  tracesDir: string;
  /** Called as each scenario that is played finishes (not for those skipped: Scenario.only). */
  onResult?: (r: ScenarioResult) => void;
}

export interface RunReport {
  profile: string;
  results: ScenarioResult[];
  mismatches: Mismatch[];
  coverage: Coverage;
  durationMs: number;
}

export interface Coverage {
  statuses: Record<Side, { reached: string[]; missing: string[] }>;
  edges: Record<Side, { total: number; exercised: string[]; possiblyOnly: string[]; missing: string[] }>;
}

// ---- chart edges -------------------------------------------------------------------------------

export function edgeId(e: ChartEdge): string {
  return `${e.chart}:${e.from}-[${e.meta.rule ?? e.meta.transition}]->${e.to}`;
}

const edgeCache = new WeakMap<Profile, Record<Side, ChartEdge[]>>();
/** The transitions of a side's status and run-state charts (chartEdges). */
export function sideEdges(p: Profile, side: Side): ChartEdge[] {
  let m = edgeCache.get(p);
  if (!m) {
    const mk = (s: Side) => [
      ...chartEdges(p, s === 'source' ? sourceStatusChart(p) : destinationStatusChart(p)),
      ...chartEdges(p, runStateChart(p, s, s === 'source' ? 'running' : 'inmigrate')),
    ];
    m = { source: mk('source'), destination: mk('destination') };
    edgeCache.set(p, m);
  }
  return m[side];
}

/** The status/run-state chart edges one event took from `before` to `after`. */
export function takenEdges(p: Profile, side: Side, before: SideSnapshot, event: { type: string }, after: SideSnapshot, rule: string | null): string[] {
  const out: string[] = [];
  const regions = [
    [false, before.context.status, after.context.status],
    [true, before.context.runstate, after.context.runstate],
  ] as const;
  // A self-loop (e.g. the globalstate section read in `active`) counts when the step changed the process's data.
  const dataChanged = JSON.stringify(before.context) !== JSON.stringify(after.context);
  for (const [run, from, to] of regions) {
    if (from === to && !dataChanged) continue;
    const hit = sideEdges(p, side).find(
      (e) =>
        (e.chart === 'run-state') === run && e.from === from && e.to === to && (from !== to || e.from === e.to) && e.event === event.type &&
        (e.meta.kind === 'qmp' ? e.meta.rule === rule : evalCond(p.transitions.find((t) => t.id === e.meta.transition)?.when, before.context, {}, p) !== false),
    );
    if (hit) out.push(edgeId(hit));
  }
  return out;
}

/** Replays internal events from a snapshot, collecting the edges they take. */
function replayEdges(p: Profile, side: Side, from: SideSnapshot, events: readonly string[]): { edges: string[]; end: SideSnapshot } {
  const edges: string[] = [];
  let s = from;
  for (const type of events) {
    const r = stepSide(p, s, { type } as never);
    edges.push(...takenEdges(p, side, s, { type }, r.snapshot, null));
    s = r.snapshot;
  }
  return { edges, end: s };
}

// ---- observation over a memoized closure -------------------------------------------------------
// explain() and applyCommand() of machines/observe.ts, computed per hypothesis over a closure that is
// memoized by state key: a step usually leaves the state as it was, and a closure over the many
// internal events costs ~100 ms. Same semantics: explainFrom(p, h, o) is explain(p, [h], o) and
// applyFrom(p, h, ...) is applyCommand(p, [h], ...); model-tests/conformance.test.ts checks both.

const closureCache = new WeakMap<Profile, Map<string, Hypothesis[]>>();
/** internalClosure(p, [{snapshot, assumed: []}]), memoized. */
export function closureOf(p: Profile, snap: SideSnapshot): Hypothesis[] {
  let m = closureCache.get(p);
  if (!m) closureCache.set(p, (m = new Map()));
  const k = stateKey(snap);
  let c = m.get(k);
  if (!c) {
    c = internalClosure(p, [{ snapshot: snap, assumed: [] }]);
    if (m.size > 20_000) m.clear();
    m.set(k, c);
  }
  return c;
}

export function explainFrom(p: Profile, from: SideSnapshot, o: Observation): Hypothesis[] {
  return closureOf(p, from).filter((h) => agrees(h.snapshot, o));
}

export function applyFrom(p: Profile, from: SideSnapshot, command: string, args: QmpArgs, observed: CommandOutcome): { hyp: Hypothesis; before: SideSnapshot; rule: string | null }[] {
  return advanceBy(p, closureOf(p, from), command, args, observed);
}

// ---- one scenario ------------------------------------------------------------------------------

interface Track {
  name: VmName;
  /** How the process started: without -incoming (source) or with it (destination). */
  role: Side;
  /** The step that launched it (-1: it started with the run). */
  launchedAt: number;
  hyps: Hypothesis[];
  /** Per hypothesis (same index): the chart edges its explanation took since the scenario began. */
  trails: Set<string>[];
  dead: null | { how: 'killed' | 'exited'; code: number | null; signal: string | null; stderr: string };
  /** How many of the VM's QMP events were taken into account (MIGRATION events are observations). */
  evIdx: number;
  /**
   * The last command's reply with the MIGRATION events of its window, while its outcome stands: a
   * later event stamped before one of them redoes it (redoOvertaken, docs/findings.md F20).
   */
  lastWindow?: Window & { base: HState; evs: TakenEvent[]; after: Hypothesis[] };
}

/** A command's reply as the window of events around it is explained against it. */
interface Window {
  qmp: string;
  args: QmpArgs | undefined;
  racy: boolean;
  preds: { outcome: CommandOutcome; rule: string | null; reply?: unknown }[];
  observed: CommandOutcome;
}

/** A MIGRATION event taken into account: its status and QEMU's stamp (µs; 0 without one). */
interface TakenEvent {
  status: string;
  ts: number;
}

/** A VM's possible states with their trails, as a value (for trying orders of events). */
interface HState {
  hyps: Hypothesis[];
  trails: Set<string>[];
  possible: Set<string>;
}

class Stop extends Error {}

function outcomeOf(r: QmpResult): CommandOutcome {
  return r.ok ? { allowed: true, reply: r.return } : { allowed: false, error: r.error };
}

function describeOutcome(o: CommandOutcome | { allowed: true; rule?: string } | { allowed: false; error: { class: string; desc: string } }): string {
  return o.allowed ? 'accepted' : `${o.error.class}: ${o.error.desc}`;
}

function sameOutcome(a: CommandOutcome, b: CommandOutcome): boolean {
  if (a.allowed !== b.allowed) return false;
  if (a.allowed || b.allowed) return true;
  return a.error.class === b.error.class && a.error.desc === b.error.desc;
}

export function stepText(s: Step): string {
  if ('qmp' in s) return `${s.vm}: ${s.oob ? 'exec-oob ' : ''}${s.qmp}${s.arguments ? ' ' + JSON.stringify(s.arguments) : ''}${s.racy ? ' (racy)' : ''}${s.pipelineQuery ? ' (+pipelined queries)' : ''}${s.only ? ` (only ${s.only.join(', ')})` : ''}`;
  if ('wait' in s) return `wait ${s.wait.vm} ${s.wait.exit ? 'exit' : s.wait.throttle ? 'throttle' : [s.wait.status, s.wait.runstate].filter(Boolean).join('/')}`;
  if ('fault' in s) return `fault ${s.fault}`;
  if ('launch' in s) return `launch ${s.launch.vm} (-incoming ${s.launch.incoming}${s.launch.paused ? ', -S' : ''})`;
  if ('guest' in s) return `the ${s.guest.vm}'s guest: ${s.guest.does}`;
  return `sleep ${s.sleep} ms`;
}

function stateSummary(h: readonly Hypothesis[]): string[] {
  return [...new Set(h.map((x) => `${x.snapshot.context.status}/${x.snapshot.context.runstate} caps=[${x.snapshot.context.caps.join(',')}]`))];
}

/** JSON with object keys sorted: QEMU's key order is not the model's. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `p`, or TIMED_OUT once `ms` of event-loop time went by first. QMP's own timers count wall time, and
 * this process is often busy with the model: a step's inclusion work takes 0.4 to 0.6 s on an idle
 * machine and 6 to 8 s on a loaded one, and with --jobs 2 the other scenario's replies wait unread
 * meanwhile. When the loop gets back, expired timers run before pending I/O, so a reply that came in
 * time was taken for a timeout (under load, postcopy-paused-cancel's query-migrate and
 * yank-destination-active's yank, each in 1 of 3 full test runs). So the clients get a far limit
 * (QMP_HARD_MS) and the limit that counts is here: 100 ms ticks, a late tick counting as at most two,
 * and a last look after pending I/O (setImmediate) before giving up.
 */
export const TIMED_OUT = Symbol('timed out');
const QMP_HARD_MS = (ms: number) => ms + 60_000;
export function withinLoopTime<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  const TICK = 100;
  return new Promise((resolve, reject) => {
    let done = false;
    let spent = 0;
    let last = performance.now();
    let timer = setTimeout(function tick() {
      const now = performance.now();
      spent += Math.min(now - last, 2 * TICK);
      last = now;
      if (spent < ms) timer = setTimeout(tick, TICK);
      else setImmediate(() => done || ((done = true), resolve(TIMED_OUT)));
    }, TICK);
    p.then(
      (v) => done || ((done = true), clearTimeout(timer), resolve(v)),
      (e) => done || ((done = true), clearTimeout(timer), reject(e)),
    );
  });
}

/**
 * Explanations of one state kept apart (with their own trails) before they are merged: the
 * scenario's events, known only at its end, can rule some out (collectEdges), and a trail merged
 * too early keeps only what all had in common. Past this many, trails of a state are merged.
 */
const TRAILS_PER_STATE = 4;

/** The next hypothesis set of a VM, by state; a state's explanations with their trails (TRAILS_PER_STATE). */
class Successors {
  readonly hyps: Hypothesis[] = [];
  readonly trails: Set<string>[] = [];
  readonly possible = new Set<string>();
  private index = new Map<string, number[]>();
  constructor(private readonly side: Side) {}
  add(snapshot: SideSnapshot, trail: Set<string>, edges: readonly string[]) {
    const ids = edges.map((e) => `${this.side}/${e}`);
    for (const e of ids) this.possible.add(e);
    const full = new Set([...trail, ...ids]);
    const k = stateKey(snapshot);
    let same = this.index.get(k);
    if (!same) this.index.set(k, (same = []));
    for (const i of same) if (this.trails[i].size === full.size && [...full].every((e) => this.trails[i].has(e))) return;
    if (same.length < TRAILS_PER_STATE) {
      same.push(this.hyps.length);
      this.hyps.push({ snapshot, assumed: [] });
      this.trails.push(full);
    } else {
      const last = same[same.length - 1];
      this.trails[last] = new Set([...this.trails[last]].filter((e) => full.has(e)));
    }
  }
}

/** What a VM's events say happened (ScenarioRun.collectEdges). */
interface EventsSeen {
  statuses: Map<string, number>;
  /** How many STOP, RESUME and SUSPEND events (the run-state events machines/inclusion.ts tracks). */
  runEvents: Map<string, number>;
  migrationEvents: boolean;
}

/**
 * Does a trail (one explanation's distinct edges) need no more events than the VM sent? `edges`:
 * the VM's chart edges by trail id (`side/edge id`).
 */
function agreesWithEvents(trail: Set<string>, edges: ReadonlyMap<string, ChartEdge>, seen: EventsSeen): boolean {
  const into = new Map<string, number>();
  const run = new Map<string, number>();
  for (const id of trail) {
    const e = edges.get(id);
    if (!e || e.from === e.to) continue;
    if (e.chart === 'run-state') for (const k of runStateEvents(e.from, e.to)) run.set(k, (run.get(k) ?? 0) + 1);
    else into.set(e.to, (into.get(e.to) ?? 0) + 1);
  }
  for (const [k, n] of run) if (n > (seen.runEvents.get(k) ?? 0)) return false;
  if (seen.migrationEvents) for (const [to, n] of into) if (n > (seen.statuses.get(to) ?? 0)) return false;
  return true;
}

class ScenarioRun {
  readonly tracks: Record<VmName, Track>;
  /** Statuses and run states seen, by the role each process started in. */
  readonly statuses: Record<Side, Set<string>> = { source: new Set(), destination: new Set() };
  readonly runstates: Record<Side, Set<string>> = { source: new Set(), destination: new Set() };
  readonly edges = new Set<string>();
  readonly possibleEdges = new Set<string>();
  readonly mismatches: Mismatch[] = [];
  commands = 0;
  stepIndex = -1;
  /** QEMU's reply to the last command sent (null: none, or the process went away first). */
  lastReply: QmpResult | null = null;
  private peers: Partial<Record<'stalled' | 'silentServer' | 'silentClient', Peer>> = {};
  /** Test certificates, made in prepare() when a step names a $TLS_X509_* folder. */
  private x509: X509Dirs | null = null;
  private ports: { refused: number; recover: number } = { refused: 0, recover: 0 };

  constructor(
    readonly p: Profile,
    readonly sc: Scenario,
    readonly pair: Pair,
    readonly attempt: number,
    readonly traceFile: string,
  ) {
    this.tracks = { source: this.newTrack('source', startSide(p, { side: 'source', paused: !!sc.sourcePaused, uuid: sc.uuids?.source }), -1) };
    if (!sc.destinationLater) this.tracks.destination = this.newTrack('destination', startSide(p, { side: 'destination', incoming: sc.incoming ?? 'uri', paused: !!sc.destinationPaused, uuid: sc.uuids?.destination }), -1);
  }

  private newTrack(name: VmName, start: SideSnapshot, launchedAt: number): Track {
    return { name, role: start.context.side, launchedAt, hyps: [{ snapshot: start, assumed: [] }], trails: [new Set()], dead: null, evIdx: 0 };
  }

  /** The process named `name`: a scenario error (it stops the run) if there is none yet. */
  private track(name: VmName): Track {
    const t = this.tracks[name];
    if (!t) this.mismatch('scenario', name, `a QEMU process named ${name}`, `none in this run (processes: ${Object.keys(this.tracks).join(', ')}); a launch step starts one`);
    return t;
  }

  private mismatch(kind: MismatchKind, vm: VmName | null, predicted: unknown, observed: unknown, state: string[] = []): never {
    this.record(kind, vm, predicted, observed, state);
    throw new Stop(kind);
  }

  /** Records a mismatch without stopping (the model's states are still right: both sides refused). */
  private record(kind: MismatchKind, vm: VmName | null, predicted: unknown, observed: unknown, state: string[] = []): void {
    const step = this.sc.steps[this.stepIndex];
    const m: Mismatch = {
      scenario: this.sc.name,
      attempt: this.attempt,
      step: this.stepIndex,
      stepText: step ? stepText(step) : this.stepIndex < 0 ? 'initial observation' : 'final observation',
      vm,
      kind,
      state,
      predicted,
      observed,
      trace: this.traceFile,
    };
    this.mismatches.push(m);
    this.pair.trace.note({ mismatch: m });
  }

  private async resolveArgs(a: QmpArgs | undefined): Promise<QmpArgs | undefined> {
    if (a === undefined) return undefined;
    // $URI:<name>: where the process <name> listens (qemu/vm.ts Pair.uriOf).
    const uris = new Map<string, string>();
    for (const m of JSON.stringify(a).matchAll(/"\$URI:([^"]+)"/g)) uris.set(m[0].slice(1, -1), await this.pair.uriOf(JSON.parse(`"${m[1]}"`) as string));
    const saved = join(this.pair.dir, 'saved-state');
    const map: Record<string, () => unknown> = {
      ...Object.fromEntries([...uris].map(([k, v]) => [k, () => v])),
      $DST_URI: () => this.pair.uri,
      // A save to a file and its restore (exec: runs /bin/sh -c; the folder is private to the run).
      $SAVE_URI: () => `exec:cat > ${saved}`,
      $LOAD_URI: () => `exec:cat ${saved}`,
      // The same file through the file: transport (QEMU >= 8.1), and at an offset.
      // The destination's address as a `channels` list (QEMU >= 9.1: migrate / migrate-incoming channels).
      $DST_CHANNELS: () => {
        const [host, port] = this.pair.uri.replace(/^tcp:/, '').split(':');
        return [{ 'channel-type': 'main', addr: { transport: 'socket', type: 'inet', host, port } }];
      },
      $FILE_URI: () => `file:${saved}`,
      $FILE_OFFSET_URI: () => `file:${saved},offset=0x1000`,
      $REFUSED_URI: () => `tcp:127.0.0.1:${this.ports.refused}`,
      $RECOVER_URI: () => `tcp:127.0.0.1:${this.ports.recover}`,
      $SILENT_URI: () => this.peers.silentServer!.uri,
      $STALLED_URI: () => this.peers.stalled!.uri,
      // TLS pre-shared keys (tls-creds-psk's dir holds keys.psk, "user:hexkey"): one key, and another that does not match it.
      $TLS_PSK_DIR: () => join(this.pair.dir, 'tls-psk'),
      $TLS_PSK_OTHER_DIR: () => join(this.pair.dir, 'tls-psk-other'),
      // x509 (qemu/tls-certs.ts): the destination's server credentials, the source's client ones, a client with none.
      $TLS_X509_SERVER_DIR: () => this.x509!.server,
      $TLS_X509_CLIENT_DIR: () => this.x509!.client,
      $TLS_X509_ANON_DIR: () => this.x509!.anon,
    };
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string' && v in map) return map[v]();
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(a) as QmpArgs;
  }

  async prepare(): Promise<void> {
    this.ports.refused = await freePort();
    this.ports.recover = await freePort();
    const uses = JSON.stringify(this.sc.steps);
    if (uses.includes('$SILENT_URI')) this.peers.silentServer = await silentServer();
    if (uses.includes('$STALLED_URI')) this.peers.stalled = await stalledUnixListener(this.pair.dir);
    if (uses.includes('$TLS_X509')) this.x509 = await makeX509Dirs(this.pair.dir);
    if (uses.includes('$TLS_PSK'))
      for (const d of ['tls-psk', 'tls-psk-other']) {
        mkdirSync(join(this.pair.dir, d), { mode: 0o700 });
        writeFileSync(join(this.pair.dir, d, 'keys.psk'), `qemu:${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      }
  }

  async cleanup(): Promise<void> {
    for (const peer of Object.values(this.peers)) await peer?.close().catch(() => {});
  }

  private vm(name: VmName): Vm {
    return this.pair.vm(name);
  }

  // -- observations

  /** Filters a VM's hypotheses by one observation, extending each survivor's trail of chart edges. */
  private observe(t: Track, o: Observation, what: string, fatal = true): boolean {
    const next = new Successors(t.role);
    t.hyps.forEach((h, i) => {
      for (const r of explainFrom(this.p, h.snapshot, o)) next.add(r.snapshot, t.trails[i], replayEdges(this.p, t.role, h.snapshot, r.assumed).edges);
    });
    if (next.hyps.length === 0) {
      if (!fatal) return false;
      const reachable = [...new Set(t.hyps.flatMap((h) => closureOf(this.p, h.snapshot)).map((h) => `${h.snapshot.context.status}/${h.snapshot.context.runstate}`))];
      this.mismatch('observation', t.name, { reachableByInternalEvents: reachable }, { ...o, via: what }, stateSummary(t.hyps));
    }
    if (o.status !== undefined) this.statuses[t.role].add(o.status);
    if (o.runstate !== undefined) this.runstates[t.role].add(o.runstate);
    this.adopt(t, next);
    return true;
  }

  private adopt(t: Track, next: Successors | HState) {
    for (const e of next.possible) this.possibleEdges.add(e);
    t.hyps = next.hyps;
    t.trails = next.trails;
  }

  /** observe() as a value: the states that agree with `o` (null: none). */
  private observePure(side: Side, st: HState, o: Observation): HState | null {
    const next = new Successors(side);
    st.hyps.forEach((h, i) => {
      for (const r of explainFrom(this.p, h.snapshot, o)) next.add(r.snapshot, st.trails[i], replayEdges(this.p, side, h.snapshot, r.assumed).edges);
    });
    if (next.hyps.length === 0) return null;
    return { hyps: next.hyps, trails: next.trails, possible: new Set([...st.possible, ...next.possible]) };
  }

  /** A command's outcome applied as a value (null: no state explains it). */
  private applyPure(side: Side, st: HState, command: string, args: QmpArgs, observed: CommandOutcome): HState | null {
    const next = new Successors(side);
    st.hyps.forEach((h, i) => {
      for (const a of applyFrom(this.p, h.snapshot, command, args, observed)) {
        const { edges } = replayEdges(this.p, side, h.snapshot, a.hyp.assumed);
        next.add(a.hyp.snapshot, st.trails[i], [...edges, ...takenEdges(this.p, side, a.before, { type: 'qmp' }, a.hyp.snapshot, a.rule)]);
      }
    });
    if (next.hyps.length === 0) return null;
    return { hyps: next.hyps, trails: next.trails, possible: new Set([...st.possible, ...next.possible]) };
  }

  /**
   * The statuses of a VM's MIGRATION events not yet taken into account, up to event index `upTo`.
   * `command`: the events came while this command ran. Not observations of the status: an event a
   * command sends without changing it (Rule.alwaysSends: QEMU 7.2's migrate-incoming and
   * migrate-recover send `setup`, docs/findings.md F7), and a destination's `failed` as its load
   * fails with exit-on-error (7.2 and 10.0 send it, then exit: inclusion.ts loadFailureExits), which
   * the exit is judged by.
   */
  private takeEvents(t: Track, upTo: number, command?: string): TakenEvent[] {
    const all = this.vm(t.name).client.events;
    // In QEMU's order: two threads' events can reach the wire in the other order than their
    // timestamps (7.2's migrate_cancel in pre-switchover: cancelling before device), as check-trace
    // reads them (machines/inclusion.ts: stampedPlace).
    const evs: typeof all = [];
    for (const e of all.slice(t.evIdx, Math.min(upTo, all.length))) evs.splice(stampedPlace(evs, (x) => x.timestampUs, e.timestampUs), 0, e);
    const out: TakenEvent[] = [];
    for (const e of evs) {
      if (e.event !== 'MIGRATION') continue;
      const status = String(e.data.status);
      if (command && this.p.rules.some((r) => r.command === command && r.alwaysSends?.includes(status as never))) {
        this.pair.trace.note({ step: this.stepIndex, vm: t.name, ignoredEvent: `MIGRATION ${status}`, why: `F7: ${command} sends it without changing the status` });
        continue;
      }
      if (status === 'failed' && t.hyps.some((h) => closureOf(this.p, h.snapshot).some((x) => loadFailureExits(x.snapshot.context)))) {
        this.pair.trace.note({ step: this.stepIndex, vm: t.name, ignoredEvent: 'MIGRATION failed', why: 'the load failed; QEMU exits (judged by the exit)' });
        continue;
      }
      out.push({ status, ts: e.timestampUs });
    }
    t.evIdx = Math.max(t.evIdx, Math.min(upTo, all.length));
    return out;
  }

  /** Observes a VM's MIGRATION events received before event index `upTo`, in order. */
  private drainEvents(t: Track, upTo: number): void {
    for (const e of this.takeEvents(t, upTo)) if (!this.redoOvertaken(t, e)) this.observe(t, { status: e.status }, `MIGRATION event ${e.status}`);
  }

  /**
   * An event taken after the last command's window, stamped before one of that window's events:
   * another thread made it first and queued it after the main thread's event and reply (7.2's
   * migrate_cancel in pre-switchover: cancelling, the reply, then device stamped before cancelling;
   * docs/findings.md F20). Made before an event that came before the reply, it came before the reply
   * too: the window is explained again with it in its stamped place, as check-trace does
   * (trace/check.ts: redoOvertaken). false: not such an event, or that does not explain it either.
   */
  private redoOvertaken(t: Track, e: TakenEvent): boolean {
    const w = t.lastWindow;
    if (!w || t.hyps !== w.after) return false;
    const at = stampedPlace(w.evs, (x) => x.ts, e.ts);
    if (at === w.evs.length) return false;
    const evs = [...w.evs.slice(0, at), e, ...w.evs.slice(at)];
    const chosen = this.explainWindow(t.role, w.base, w, evs.map((x) => x.status));
    if (!chosen) return false;
    this.pair.trace.note({ step: this.stepIndex, vm: t.name, overtakenEvent: `MIGRATION ${e.status}`, why: `stamped before MIGRATION ${w.evs[at].status}, which came before the ${w.qmp} reply: taken in its place (F20)` });
    this.statuses[t.role].add(e.status);
    this.adopt(t, chosen.st);
    t.lastWindow = { ...w, evs, after: t.hyps };
    return true;
  }

  /**
   * A command's reply and the MIGRATION events of its window (received between the command and its
   * reply, in QEMU's order): the first split of the events into before and after the command that
   * explains them, all-after first. null: none.
   */
  private explainWindow(side: Side, base: HState, w: Window, evs: string[]): { k: number; st: HState } | null {
    let before: HState | null = base;
    for (let k = 0; k <= evs.length && before; k++) {
      if (k > 0) before = this.observePure(side, before, { status: evs[k - 1] });
      if (!before) break;
      const strict = (k === 0 ? w.preds : this.predict(before.hyps, w.qmp, w.args)).some((x) => sameOutcome(x.outcome, w.observed));
      if (!strict && !w.racy) continue;
      let after = this.applyPure(side, before, w.qmp, w.args ?? {}, w.observed);
      for (const x of evs.slice(k)) after = after && this.observePure(side, after, { status: x });
      if (after) return { k, st: after };
    }
    return null;
  }

  /**
   * Edges on the trail of every surviving explanation of a VM (called as the scenario ends).
   * Explanations are searched one observation at a time, so some survive that the VM's events rule
   * out: QEMU sends a MIGRATION event for every status change once the events capability is on
   * (migration/migration.c: migrate_set_state -> migrate_generate_event), and STOP, RESUME or
   * SUSPEND for each run-state change (machines/inclusion.ts: runStateEvents). Each distinct edge of
   * a trail was taken at least once, so a trail with more distinct edges into a status than events
   * of that status, or more run-state edges sending an event than such events, is not what
   * happened; the trails that agree with the events decide.
   */
  collectEdges(): void {
    for (const t of Object.values(this.tracks)) {
      if (t.trails.length === 0) continue;
      const seen = this.eventsSeen(t.name);
      const edges = new Map(sideEdges(this.p, t.role).map((e) => [`${t.role}/${edgeId(e)}`, e]));
      const agreeing = t.trails.filter((tr) => agreesWithEvents(tr, edges, seen));
      const trails = agreeing.length ? agreeing : t.trails;
      for (const e of trails[0]) if (trails.every((x) => x.has(e))) this.edges.add(e);
    }
  }

  /** How many of each event a VM sent, and whether MIGRATION events were on before its status could first change. */
  private eventsSeen(vm: VmName): EventsSeen {
    const evs = this.vm(vm).client.events;
    const statuses = new Map<string, number>();
    for (const e of evs) if (e.event === 'MIGRATION') statuses.set(String(e.data.status), (statuses.get(String(e.data.status)) ?? 0) + 1);
    // The first step that can change a status is the source's migrate (the destination's status
    // moves when the source connects); the events capability must be set on this VM before it.
    // For a process launched later, the first migrate of any process after its launch (it may be
    // the target), or its own migrate-incoming.
    const steps = this.sc.steps.map((x) => (stepPlaysOn(x, this.p.name) ? x : { sleep: 0 }));
    const from = this.tracks[vm]?.launchedAt ?? -1;
    const first =
      from < 0
        ? steps.findIndex((x) => 'qmp' in x && x.vm === 'source' && x.qmp === 'migrate')
        : steps.findIndex((x, i) => i > from && 'qmp' in x && (x.qmp === 'migrate' || (x.vm === vm && x.qmp === 'migrate-incoming')));
    const on = steps.findIndex(
      (x) => 'qmp' in x && x.vm === vm && x.qmp === 'migrate-set-capabilities' && ((x.arguments?.capabilities ?? []) as { capability: string; state: boolean }[]).some((c) => c.capability === 'events' && c.state),
    );
    const runEvents = new Map<string, number>();
    for (const e of evs) if (e.event !== 'MIGRATION') runEvents.set(e.event, (runEvents.get(e.event) ?? 0) + 1);
    return { statuses, runEvents, migrationEvents: on >= 0 && first >= 0 && on < first };
  }

  /** A VM's connection closed: it exited. Record how; a mismatch unless the model explains it. */
  private async onExit(t: Track, expected: boolean, crashPredicted = false): Promise<void> {
    const vm = this.vm(t.name);
    await Promise.race([vm.exited, sleep(3000)]);
    const e = vm.exit;
    t.dead = { how: 'exited', code: e?.code ?? null, signal: e?.signal ?? null, stderr: vm.stderr.trim() };
    this.pair.trace.note({ exited: t.name, code: t.dead.code, signal: t.dead.signal, stderr: t.dead.stderr });
    // A 7.2 destination exits when its incoming (precopy) load fails: the model must allow a load
    // in progress (status active) from where it was.
    const explained = crashPredicted || (t.role === 'destination' && t.hyps.some((x) => closureOf(this.p, x.snapshot).some((h) => h.snapshot.context.status === 'active')));
    if (!explained)
      this.mismatch('exit', t.name, expected ? 'a destination whose precopy load can fail (status active)' : 'the process keeps running', t.dead, stateSummary(t.hyps));
  }

  /** query-migrate and query-status on one VM, as two observations in order. */
  private async poll(name: VmName): Promise<void> {
    const t = this.track(name);
    if (t.dead) return;
    const c = this.vm(name).client;
    // Events received before the queries were sent happened before them (taken into account once
    // the queries are answered: a process that exits before answering is judged by its exit).
    const sentAt = c.events.length;
    let replies: QmpResult[];
    try {
      const r = await withinLoopTime(Promise.all(c.executeBatch([{ command: 'query-migrate' }, { command: 'query-status' }], { timeoutMs: QMP_HARD_MS(5000) })), 5000);
      if (r === TIMED_OUT) throw new QmpTimeoutError('query-migrate', 5000, ['query-migrate', 'query-status']);
      replies = r;
    } catch (e) {
      if (e instanceof QmpClosedError) return this.onExit(t, false);
      if (e instanceof QmpTimeoutError) this.mismatch('scenario', name, 'an answer to query-migrate/query-status', `timeout: ${e.message}`, stateSummary(t.hyps));
      throw e;
    }
    const [qm, qs] = replies;
    this.drainEvents(t, sentAt);
    if (!qm.ok || !qs.ok) this.mismatch('scenario', t.name, 'queries answered', { queryMigrate: qm, queryStatus: qs });
    const status = ((qm.return as { status?: string }).status ?? 'none') as string;
    const runstate = (qs.return as { status: string }).status;
    const e2 = qs.eventsBefore ?? c.events.length;
    // MIGRATION events received while the queries were on their way are concurrent with them: QEMU
    // 7.2 may put an event on the wire before the reply of a query that read the status just before
    // the change (seen: a destination's `completed` event, then query-migrate `active`). Every
    // placement of the readings among those events is tried, the order on the wire first.
    const evs = this.takeEvents(t, e2).map((x) => x.status);
    if (!evs.length) return this.observeReplies(t, qm, qs, 'poll');
    const e1 = Math.max(0, (qm.eventsBefore ?? sentAt) - sentAt);
    const base: HState = { hyps: t.hyps, trails: t.trails, possible: new Set() };
    const seq = (obs: Observation[]): HState | null => obs.reduce<HState | null>((st, o) => st && this.observePure(t.role, st, o), base);
    const ev = (a: number, b: number): Observation[] => evs.slice(a, b).map((x) => ({ status: x }));
    const orders: Observation[][] = [];
    const joint: Observation = { status, runstate };
    for (const i of [e1, ...Array.from({ length: evs.length + 1 }, (_, k) => k).filter((k) => k !== e1)]) orders.push([...ev(0, i), joint, ...ev(i, evs.length)]);
    for (let i = 0; i <= evs.length; i++) for (let j = i; j <= evs.length; j++) orders.push([...ev(0, i), { status }, ...ev(i, j), { runstate }, ...ev(j, evs.length)]);
    for (const o of orders) {
      const st = seq(o);
      if (!st) continue;
      for (const x of evs) this.statuses[t.role].add(x);
      this.statuses[t.role].add(status);
      this.runstates[t.role].add(runstate);
      if (o !== orders[0]) this.pair.trace.note({ step: this.stepIndex, vm: t.name, order: o.map((x) => (x.status && x.runstate ? `read ${x.status}/${x.runstate}` : x.runstate ? `read ${x.runstate}` : x === joint ? '' : `event ${x.status}`)) });
      return this.adopt(t, st);
    }
    // None: observe in wire order, which records the mismatch.
    for (const o of orders[0]) this.observe(t, o, o === joint ? 'poll query-migrate+query-status' : `MIGRATION event ${o.status}`, o !== joint);
    this.observe(t, { status }, 'poll query-migrate');
    this.observe(t, { runstate }, 'poll query-status');
  }

  private observeReplies(t: Track, qm: QmpResult, qs: QmpResult, via: string) {
    if (!qm.ok || !qs.ok) this.mismatch('scenario', t.name, 'queries answered', { queryMigrate: qm, queryStatus: qs });
    const status = ((qm.return as { status?: string }).status ?? 'none') as string;
    const runstate = (qs.return as { status: string }).status;
    // Both readings at one moment if the model can; else one after the other (QEMU moved between).
    if (this.observe(t, { status, runstate }, `${via} query-migrate+query-status`, false)) return;
    this.observe(t, { status }, `${via} query-migrate`);
    this.observe(t, { runstate }, `${via} query-status`);
  }

  /** Polls every process of the run, in launch order. */
  private async pollAll(): Promise<void> {
    for (const name of Object.keys(this.tracks)) await this.poll(name);
  }

  // -- steps

  /** What the model answers to a command in each of the given states (distinct outcomes). */
  private predict(hyps: readonly Hypothesis[], command: string, args: QmpArgs | undefined): { outcome: CommandOutcome; rule: string | null; reply?: unknown }[] {
    const preds: { outcome: CommandOutcome; rule: string | null; reply?: unknown }[] = [];
    for (const h of hyps) {
      // Every answer QEMU may give here: the nominal one and the environment outcomes (a port in use).
      for (const d of decideAll(this.p, h.snapshot.context, command, args ?? {})) {
        const outcome: CommandOutcome = d.allowed ? { allowed: true, reply: d.reply } : { allowed: false, error: d.error };
        if (!preds.some((x) => sameOutcome(x.outcome, outcome) && x.rule === (d.rule?.id ?? null))) preds.push({ outcome, rule: d.rule?.id ?? null, reply: d.allowed ? d.reply : undefined });
      }
    }
    return preds;
  }

  private async qmpStep(s: QmpStep): Promise<void> {
    const t = this.track(s.vm);
    if (t.dead) this.mismatch('scenario', s.vm, 'a live VM', `the ${s.vm} is dead (${JSON.stringify(t.dead)})`);
    const args = await this.resolveArgs(s.arguments);
    const modelled = this.p.commands.includes(s.qmp) || this.p.absentCommands.includes(s.qmp);
    const c = this.vm(s.vm).client;
    // The events received so far happened before this command.
    this.drainEvents(t, c.events.length);
    // The model's prediction from the states it holds now (before internal events).
    const preds = modelled ? this.predict(t.hyps, s.qmp, args) : [];
    const predictedText = preds.map((x) => `${describeOutcome(x.outcome)}${x.rule ? ` [${x.rule}]` : ''}`);
    this.pair.trace.note({ step: this.stepIndex, vm: s.vm, command: s.qmp, predicted: modelled ? predictedText : 'not modelled', state: stateSummary(t.hyps) });
    const timeoutMs = s.timeoutMs ?? 5000;
    let r: QmpResult;
    let piped: QmpResult[] | null = null;
    this.commands++;
    this.lastReply = null;
    try {
      const within = async <T,>(x: Promise<T>): Promise<T> => {
        const v = await withinLoopTime(x, timeoutMs);
        if (v === TIMED_OUT) throw new QmpTimeoutError(s.qmp, timeoutMs, [s.qmp]);
        return v;
      };
      const hard = { timeoutMs: QMP_HARD_MS(timeoutMs) };
      if (s.oob) r = await within(c.executeOob(s.qmp, args, hard));
      else if (s.pipelineQuery) {
        const n = typeof s.pipelineQuery === 'number' ? s.pipelineQuery : 1;
        const queries = Array.from({ length: n }, () => ({ command: 'query-migrate' }));
        const all = await within(Promise.all(c.executeBatch([{ command: s.qmp, args }, ...queries, { command: 'query-status' }], hard)));
        r = all[0];
        piped = all.slice(1);
      } else r = await within(c.execute(s.qmp, args, hard));
    } catch (e) {
      if (e instanceof QmpClosedError) {
        // It exited before its reply went out (e.g. yank on a loading destination): a mismatch
        // unless the model explains the exit; the command's outcome is unknown.
        this.pair.trace.note({ step: this.stepIndex, noReply: s.qmp, reason: e.message });
        // A row whose handling kills QEMU before its reply (Rule.crash, afterReply false) explains it.
        const crashes = preds.some((x) => x.rule !== null && !!this.p.rules.find((r) => r.id === x.rule)?.crash && !this.p.rules.find((r) => r.id === x.rule)!.crash!.afterReply);
        return this.onExit(t, false, crashes);
      }
      if (e instanceof QmpTimeoutError) this.mismatch('scenario', s.vm, predictedText, `no reply within ${timeoutMs} ms`, stateSummary(t.hyps));
      throw e;
    }
    this.lastReply = r;
    const observed = outcomeOf(r);
    // MIGRATION events that came between the command and its reply: QEMU sent them before it ran the
    // command or while it ran it. Every split is tried, all-after first.
    const taken = this.takeEvents(t, r.eventsBefore ?? c.events.length, s.qmp);
    const evs = taken.map((x) => x.status);
    t.lastWindow = undefined;
    if (modelled) {
      const base: HState = { hyps: t.hyps, trails: t.trails, possible: new Set() };
      const w: Window = { qmp: s.qmp, args, racy: !!s.racy, preds, observed };
      const chosen = this.explainWindow(t.role, base, w, evs);
      if (!chosen) {
        const strict = preds.some((x) => sameOutcome(x.outcome, observed));
        // Refused where the model refuses too, with another error: the state is unchanged on both
        // sides, so the scenario goes on (the mismatch is recorded). Anything else stops it.
        if (!strict && !s.racy && !observed.allowed && preds.every((x) => !x.outcome.allowed)) {
          this.record('reply', s.vm, predictedText, describeOutcome(observed), stateSummary(t.hyps));
          for (const x of evs) this.observe(t, { status: x }, `MIGRATION event ${x}`);
          return;
        }
        if (!strict && !s.racy) this.mismatch('reply', s.vm, predictedText, describeOutcome(observed), stateSummary(t.hyps));
        if (evs.length && this.applyPure(t.role, base, s.qmp, args ?? {}, observed))
          this.mismatch('observation', s.vm, { reply: predictedText, thenEventsFrom: stateSummary(t.hyps) }, { reply: describeOutcome(observed), migrationEvents: evs, via: `MIGRATION events around ${s.qmp}` }, stateSummary(t.hyps));
        this.mismatch('reply', s.vm, predictedText, describeOutcome(observed), stateSummary(t.hyps));
      }
      if (chosen.k > 0) this.pair.trace.note({ step: this.stepIndex, vm: s.vm, eventsBeforeCommand: evs.slice(0, chosen.k) });
      for (const x of evs) this.statuses[t.role].add(x);
      this.adopt(t, chosen.st);
      t.lastWindow = { ...w, base, evs: taken, after: t.hyps };
      if (r.ok) this.checkQueryContent(t, s.qmp, r.return, preds);
    } else for (const x of evs) this.observe(t, { status: x }, `MIGRATION event ${x}`);
    if (piped) {
      for (const q of piped.slice(0, -2)) {
        this.drainEvents(t, q.eventsBefore ?? c.events.length);
        this.observe(t, { status: ((q.ok && (q.return as { status?: string }).status) || 'none') as string }, 'pipelined query-migrate');
      }
      const qm = piped[piped.length - 2];
      const qs = piped[piped.length - 1];
      this.drainEvents(t, qm.eventsBefore ?? c.events.length);
      if ((qs.eventsBefore ?? 0) <= (qm.eventsBefore ?? 0)) this.observeReplies(t, qm, qs, 'pipelined');
      else {
        this.observe(t, { status: ((qm.ok && (qm.return as { status?: string }).status) || 'none') as string }, 'pipelined query-migrate');
        this.drainEvents(t, qs.eventsBefore ?? c.events.length);
        this.observe(t, { runstate: (qs as { return: { status: string } }).return.status }, 'pipelined query-status');
      }
    }
  }

  /** Queries whose content does not depend on internal events are compared in full. */
  private checkQueryContent(t: Track, command: string, got: unknown, preds: { outcome: CommandOutcome; reply?: unknown }[]) {
    const replies = preds.filter((x) => x.outcome.allowed).map((x) => x.reply);
    if (replies.length === 0) return;
    // Values the model bounds rather than knows (rules.ts replyViolation: the auto-converge throttle).
    const why = t.hyps.map((h) => replyViolation(this.p, h.snapshot.context, command, got));
    if (why.length && why.every((x) => x !== null)) this.mismatch('reply-content', t.name, 'a reply within the bounds the model sets', { reply: got, why: why[0] }, stateSummary(t.hyps));
    if (command === 'query-migrate-capabilities') {
      if (!replies.some((x) => canonical(x) === canonical(got))) this.mismatch('reply-content', t.name, replies, got, stateSummary(t.hyps));
    } else if (command === 'query-migrate-parameters') {
      const g = got as Record<string, unknown>;
      const ok = replies.some((x) => Object.entries(x as Record<string, unknown>).every(([k, v]) => canonical(g[k]) === canonical(v)));
      if (!ok) {
        const diff = Object.entries(replies[0] as Record<string, unknown>).filter(([k, v]) => canonical(g[k]) !== canonical(v)).map(([k, v]) => ({ parameter: k, model: v, qemu: g[k] }));
        this.mismatch('reply-content', t.name, replies[0], diff, stateSummary(t.hyps));
      }
    } else if (command === 'query-fdsets') {
      // An fd's number is the process's own: each set's id and how many fds it holds are compared.
      const shape = (x: unknown) => (Array.isArray(x) ? canonical(x.map((f: { 'fdset-id'?: unknown; fds?: unknown }) => [f['fdset-id'], Array.isArray(f.fds) ? f.fds.length : null])) : canonical(x));
      if (!replies.some((x) => shape(x) === shape(got))) this.mismatch('reply-content', t.name, replies, got, stateSummary(t.hyps));
    }
  }

  private async waitStep(s: WaitStep): Promise<void> {
    const w = s.wait;
    const t = this.track(w.vm);
    const timeoutMs = w.timeoutMs ?? 10_000;
    const deadline = performance.now() + timeoutMs;
    if (w.exit) {
      if (!t.dead) {
        const vm = this.vm(w.vm);
        await withinLoopTime(vm.exited, timeoutMs);
        if (!vm.exit) this.mismatch('scenario', w.vm, 'the process exits', `still running after ${timeoutMs} ms`, stateSummary(t.hyps));
        vm.client.close();
        await this.onExit(t, true);
      }
      return;
    }
    if (w.throttle) {
      for (;;) {
        await this.qmpStep({ vm: w.vm, qmp: 'query-migrate' });
        const r = this.lastReply;
        if (r?.ok && typeof (r.return as Record<string, unknown>)['cpu-throttle-percentage'] === 'number') return;
        if (performance.now() > deadline) this.mismatch('scenario', w.vm, `query-migrate reporting cpu-throttle-percentage within ${timeoutMs} ms`, r?.ok ? r.return : r?.error, stateSummary(t.hyps));
        await sleep(250);
      }
    }
    for (;;) {
      await this.poll(w.vm);
      if (t.dead) this.mismatch('scenario', w.vm, `status ${w.status ?? '*'} / runstate ${w.runstate ?? '*'}`, `exited: ${JSON.stringify(t.dead)}`);
      const ctx = t.hyps.map((h) => h.snapshot.context);
      const hit = ctx.some((c) => (w.status === undefined || c.status === w.status) && (w.runstate === undefined || c.runstate === w.runstate));
      if (hit) return;
      if (performance.now() > deadline)
        this.mismatch('scenario', w.vm, `status ${w.status ?? '*'} / runstate ${w.runstate ?? '*'} within ${timeoutMs} ms`, stateSummary(t.hyps));
      await sleep(20);
    }
  }

  private async guestStep(s: GuestStep): Promise<void> {
    this.pair.trace.note({ step: this.stepIndex, guest: s.guest.does, vm: s.guest.vm });
    const c = this.vm(s.guest.vm).client;
    const from = c.events.length;
    // The register answers once the firmware has set the PM I/O base (SeaBIOS does it early in boot,
    // which a process started a moment ago may not have reached): write again until SUSPEND comes.
    const seen = () => c.events.slice(from).some((e) => e.event === 'SUSPEND');
    for (let i = 0; i < 20 && !seen(); i++) {
      await this.qmpStep({ vm: s.guest.vm, qmp: 'human-monitor-command', arguments: { 'command-line': 'o /h 0x604 0x2400' } });
      if (!seen()) await c.waitEvent((e) => e.event === 'SUSPEND', 500).catch((e: unknown) => {
        if (!(e instanceof QmpTimeoutError)) throw e;
      });
    }
    if (!seen()) this.mismatch('scenario', s.guest.vm, 'the guest suspends (a SUSPEND event) after its PM1a control register is written', 'no SUSPEND event in 20 writes, 500 ms apart');
    // The SUSPEND event announces the step (machines/inclusion.ts ANNOUNCED): take it now.
    const t = this.track(s.guest.vm);
    const next = new Successors(t.role);
    t.hyps.forEach((h, i) => {
      for (const a of announce(this.p, [h], 'guest-suspend')) next.add(a.snapshot, t.trails[i], replayEdges(this.p, t.role, h.snapshot, a.assumed).edges);
    });
    if (next.hyps.length === 0) this.mismatch('observation', t.name, 'a running guest that can suspend (guest-suspend)', { event: 'SUSPEND', via: 'the guest suspended' }, stateSummary(t.hyps));
    this.adopt(t, next);
  }

  private async faultStep(s: FaultStep): Promise<void> {
    this.pair.trace.note({ step: this.stepIndex, fault: s.fault });
    switch (s.fault) {
      case 'kill-destination':
      case 'kill-source': {
        const name: VmName = s.fault === 'kill-source' ? 'source' : 'destination';
        await this.vm(name).kill();
        const e = this.vm(name).exit;
        this.track(name).dead = { how: 'killed', code: e?.code ?? null, signal: e?.signal ?? null, stderr: this.vm(name).stderr.trim() };
        return;
      }
      case 'yank-source':
      case 'yank-destination':
        return this.qmpStep({ vm: s.fault === 'yank-source' ? 'source' : 'destination', qmp: 'yank', arguments: { instances: [{ type: 'migration' }] }, oob: true });
      case 'release-stalled':
        await this.peers.stalled?.close();
        delete this.peers.stalled;
        return;
      case 'silent-client-connect':
        this.peers.silentClient = await silentClient(this.ports.recover);
        return;
      case 'silent-client-close':
        await this.peers.silentClient?.close();
        delete this.peers.silentClient;
        return;
      case 'silent-server-close':
        await this.peers.silentServer?.close();
        delete this.peers.silentServer;
        return;
    }
  }

  private async launchStep(s: LaunchStep): Promise<void> {
    const { vm, incoming, paused } = s.launch;
    if (this.tracks[vm]) this.mismatch('scenario', vm, 'a new process name', `${vm} is already in this run`);
    try {
      await this.pair.launchMore(vm, { incoming, paused });
    } catch (e) {
      this.mismatch('scenario', vm, `QEMU ${vm} starts`, (e as Error).message);
    }
    this.tracks[vm] = this.newTrack(vm, startSide(this.p, { side: 'destination', incoming, paused: !!paused }), this.stepIndex);
  }

  private failed(e: unknown): void {
    if (e instanceof Stop) return;
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.mismatches.push({
      scenario: this.sc.name, attempt: this.attempt, step: this.stepIndex, stepText: this.sc.steps[this.stepIndex] ? stepText(this.sc.steps[this.stepIndex]) : 'setup',
      vm: null, kind: 'scenario', state: [], predicted: 'the scenario runs', observed: msg, trace: this.traceFile,
    });
    this.pair.trace.note({ error: msg });
  }

  /** Prepares the peers and takes the first observation; false if the run stopped there. */
  async begin(): Promise<boolean> {
    try {
      await this.prepare();
      await this.pollAll();
      return true;
    } catch (e) {
      this.failed(e);
      return false;
    }
  }

  /** Plays step i of the scenario and polls both VMs; false once the run stopped (a mismatch or an error). */
  async play(i: number): Promise<boolean> {
    this.stepIndex = i;
    const s = this.sc.steps[i];
    if (!stepPlaysOn(s, this.p.name)) {
      this.pair.trace.note({ step: i, skipped: stepText(s), why: `sent only on ${(s as QmpStep).only!.join(', ')}, not ${this.p.name}` });
      return true;
    }
    try {
      if ('qmp' in s) await this.qmpStep(s);
      else if ('wait' in s) await this.waitStep(s);
      else if ('fault' in s) await this.faultStep(s);
      else if ('launch' in s) await this.launchStep(s);
      else if ('guest' in s) await this.guestStep(s);
      else await sleep(s.sleep);
      await this.pollAll();
      return true;
    } catch (e) {
      this.failed(e);
      return false;
    }
  }

  /** Collects the chart edges and ends the helper peers. */
  async end(): Promise<void> {
    this.collectEdges();
    await this.cleanup();
  }

  /** What the model holds possible for a VM now (for choosing the next command). */
  possible(vm: VmName): readonly Hypothesis[] {
    return this.tracks[vm]?.hyps ?? [];
  }

  dead(vm: VmName): boolean {
    return !!this.tracks[vm]?.dead;
  }

  async run(): Promise<void> {
    try {
      if (!(await this.begin())) return;
      for (let i = 0; i < this.sc.steps.length; i++) if (!(await this.play(i))) return;
      this.stepIndex = this.sc.steps.length;
    } finally {
      await this.end();
    }
  }
}

/**
 * One pair driven step by step (the fast-check adapter): the same comparison as a scenario run, with
 * steps chosen as it goes. Every step's mismatches are returned; after one that stops the run, no
 * further step is played.
 */
/** A pair started as a scenario asks: how the destination listens, -S on either side, the accelerator. */
function launchFor(sc: Omit<Scenario, 'steps'>, qemu: string | undefined, traceFile: string): Promise<Pair> {
  return Pair.launch({ qemu, incoming: sc.incoming ?? 'uri', sourcePaused: sc.sourcePaused, destinationPaused: sc.destinationPaused, destinationLater: sc.destinationLater, accel: sc.accel, uuids: sc.uuids, firmware: sc.firmware, traceFile });
}

export class LiveRun {
  private stopped = false;
  private constructor(
    readonly pair: Pair,
    private readonly run: ScenarioRun,
    private readonly sc: Scenario,
    readonly traceFile: string,
  ) {}

  static async start(p: Profile, setup: Omit<Scenario, 'steps'>, o: { qemu?: string; traceFile: string }): Promise<LiveRun> {
    const sc: Scenario = { ...setup, steps: [] };
    const pair = await launchFor(sc, o.qemu, o.traceFile);
    pair.trace.note({ live: sc.name, description: sc.description });
    const run = new ScenarioRun(p, sc, pair, 1, o.traceFile);
    const live = new LiveRun(pair, run, sc, o.traceFile);
    if (!(await run.begin())) live.stopped = true;
    return live;
  }

  get mismatches(): readonly Mismatch[] {
    return this.run.mismatches;
  }

  get done(): boolean {
    return this.stopped;
  }

  possible(vm: VmName): readonly Hypothesis[] {
    return this.run.possible(vm);
  }

  dead(vm: VmName): boolean {
    return this.run.dead(vm);
  }

  /** QEMU's reply to the last command of the last step (null: none). */
  get lastReply(): QmpResult | null {
    return this.run.lastReply;
  }

  /** Plays one step; the mismatches it found (empty: QEMU did what the model allows). */
  async step(s: Step): Promise<Mismatch[]> {
    if (this.stopped) throw new Error(`${this.sc.name}: the run stopped at an earlier step`);
    const before = this.run.mismatches.length;
    this.sc.steps.push(s);
    if (!(await this.run.play(this.sc.steps.length - 1))) this.stopped = true;
    return this.run.mismatches.slice(before);
  }

  /** Ends the helper peers and both VMs (by pid); removes the temp folder. */
  async dispose(): Promise<void> {
    try {
      await this.run.end();
    } finally {
      await this.pair.dispose();
    }
  }
}

export async function runScenario(p: Profile, sc: Scenario, o: { qemu?: string; tracesDir: string }): Promise<ScenarioResult> {
  if (!scenarioPlaysOn(sc, p.name)) return skippedResult(sc);
  const t0 = performance.now();
  const attempts = sc.retryUntil?.attempts ?? 1;
  const statuses: Record<Side, Set<string>> = { source: new Set(), destination: new Set() };
  const runstates: Record<Side, Set<string>> = { source: new Set(), destination: new Set() };
  const edges = new Set<string>();
  const possible = new Set<string>();
  const mismatches: Mismatch[] = [];
  const traces: string[] = [];
  let steps = 0;
  let commands = 0;
  let attempt = 0;
  for (attempt = 1; attempt <= attempts; attempt++) {
    const traceFile = join(o.tracesDir, attempts > 1 ? `${sc.name}.${attempt}.jsonl` : `${sc.name}.jsonl`);
    traces.push(traceFile);
    let pair: Pair;
    try {
      pair = await launchFor(sc, o.qemu, traceFile);
    } catch (e) {
      mismatches.push({ scenario: sc.name, attempt, step: -1, stepText: 'launch', vm: null, kind: 'scenario', state: [], predicted: 'a VM pair', observed: (e as Error).message, trace: traceFile });
      break;
    }
    pair.trace.note({ scenario: sc.name, attempt, description: sc.description, steps: sc.steps });
    const run = new ScenarioRun(p, sc, pair, attempt, traceFile);
    try {
      await run.run();
    } finally {
      await pair.dispose();
    }
    for (const side of ['source', 'destination'] as const) {
      for (const s of run.statuses[side]) statuses[side].add(s);
      for (const s of run.runstates[side]) runstates[side].add(s);
    }
    for (const e of run.edges) edges.add(e);
    for (const e of run.possibleEdges) possible.add(e);
    mismatches.push(...run.mismatches);
    steps += Math.max(0, run.stepIndex);
    commands += run.commands;
    const want = sc.retryUntil;
    if (run.mismatches.length && (!want || run.mismatches.some((m) => m.kind === 'scenario'))) break;
    if (!want || statuses[want.vm].has(want.status)) break;
  }
  return {
    name: sc.name,
    attempts: Math.min(attempt, attempts),
    ok: mismatches.length === 0,
    mismatches,
    statuses: { source: [...statuses.source], destination: [...statuses.destination] },
    runstates: { source: [...runstates.source], destination: [...runstates.destination] },
    edges: [...edges],
    possibleEdges: [...possible],
    steps,
    commands,
    durationMs: Math.round(performance.now() - t0),
    traces,
  };
}

/** The result of a scenario not played with this profile (Scenario.only). */
function skippedResult(sc: Scenario): ScenarioResult {
  return {
    name: sc.name, skipped: `written for ${sc.only!.profiles.join(', ')}: ${sc.only!.why}`, attempts: 0, ok: true, mismatches: [],
    statuses: { source: [], destination: [] }, runstates: { source: [], destination: [] }, edges: [], possibleEdges: [], steps: 0, commands: 0, durationMs: 0, traces: [],
  };
}

/**
 * Runs scenarios with `jobs` pairs in parallel; results in scenario order. A scenario written for
 * other profiles (Scenario.only) is not played: its result says why (`skipped`).
 */
export async function runScenarios(scenarios: readonly Scenario[], o: RunOptions): Promise<RunReport> {
  const t0 = performance.now();
  mkdirSync(o.tracesDir, { recursive: true, mode: 0o700 });
  const results: ScenarioResult[] = scenarios.map((sc) => (scenarioPlaysOn(sc, o.profile.name) ? (undefined as unknown as ScenarioResult) : skippedResult(sc)));
  const played = scenarios.map((_, i) => i).filter((i) => !results[i]);
  let next = 0;
  const worker = async () => {
    while (next < played.length) {
      const i = played[next++];
      results[i] = await runScenario(o.profile, scenarios[i], { qemu: o.qemu, tracesDir: o.tracesDir });
      o.onResult?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.jobs ?? 1, played.length)) }, worker));
  return {
    profile: o.profile.name,
    results,
    mismatches: results.flatMap((r) => r.mismatches),
    coverage: coverageOf(o.profile, results),
    durationMs: Math.round(performance.now() - t0),
  };
}

export function coverageOf(p: Profile, results: readonly ScenarioResult[]): Coverage {
  const out = { statuses: {}, edges: {} } as Coverage;
  for (const side of ['source', 'destination'] as const) {
    const reached = new Set(results.flatMap((r) => r.statuses[side]));
    out.statuses[side] = { reached: p.statuses[side].filter((s) => reached.has(s)), missing: p.statuses[side].filter((s) => !reached.has(s)) };
    const all = sideEdges(p, side).map(edgeId);
    const mine = (ids: string[]) => ids.filter((e) => e.startsWith(`${side}/`)).map((e) => e.slice(side.length + 1));
    const ex = new Set(results.flatMap((r) => mine(r.edges)));
    const pos = new Set(results.flatMap((r) => mine(r.possibleEdges)));
    out.edges[side] = {
      total: all.length,
      exercised: all.filter((e) => ex.has(e)),
      possiblyOnly: all.filter((e) => !ex.has(e) && pos.has(e)),
      missing: all.filter((e) => !ex.has(e) && !pos.has(e)),
    };
  }
  return out;
}

/** A human-readable report. */
export function formatReport(r: RunReport): string {
  const lines: string[] = [];
  for (const x of r.results.filter((y) => y.skipped)) lines.push(`skip ${x.name.padEnd(40)} ${x.skipped}`);
  for (const x of r.results.filter((y) => !y.skipped))
    lines.push(`${x.ok ? 'ok  ' : 'FAIL'} ${x.name.padEnd(40)} ${String(x.steps).padStart(3)} steps ${String(x.commands).padStart(3)} commands ${String(x.durationMs).padStart(6)} ms${x.attempts > 1 ? ` (${x.attempts} attempts)` : ''}`);
  lines.push('');
  for (const side of ['source', 'destination'] as const) {
    const s = r.coverage.statuses[side];
    const e = r.coverage.edges[side];
    lines.push(`${side}: statuses reached ${s.reached.length}/${s.reached.length + s.missing.length}: ${s.reached.join(', ')}${s.missing.length ? `; not reached: ${s.missing.join(', ')}` : ''}`);
    lines.push(`${side}: chart transitions exercised ${e.exercised.length}/${e.total}${e.possiblyOnly.length ? ` (+${e.possiblyOnly.length} on some explanation only)` : ''}`);
    for (const x of e.exercised) lines.push(`    + ${x}`);
    for (const x of e.possiblyOnly) lines.push(`    ? ${x}`);
    for (const x of e.missing) lines.push(`    - ${x}`);
  }
  lines.push('');
  for (const m of r.mismatches) {
    lines.push(`MISMATCH [${m.kind}] ${m.scenario} step ${m.step} (${m.stepText})${m.vm ? ` on the ${m.vm}` : ''}`);
    if (m.state.length) lines.push(`    model state: ${m.state.join(' | ')}`);
    lines.push(`    predicted: ${JSON.stringify(m.predicted)}`);
    lines.push(`    observed:  ${JSON.stringify(m.observed)}`);
    lines.push(`    trace:     ${m.trace}`);
  }
  const bad = r.results.filter((x) => !x.ok).length;
  const skipped = r.results.filter((x) => x.skipped).length;
  lines.push(`scenarios: ${r.results.length - bad - skipped} matching, ${bad} with mismatches${skipped ? `, ${skipped} skipped (written for other profiles)` : ''}; ${r.mismatches.length} mismatches; ${(r.durationMs / 1000).toFixed(1)} s`);
  return lines.join('\n') + '\n';
}
