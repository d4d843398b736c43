// Replaying a trace through the model. Each VM is tracked as a set of hypotheses (the states the
// model allows, given everything observed so far); each observation (a command and its reply, a
// query's answer, an event) keeps the hypotheses that explain it, after any internal events. An
// observation no hypothesis explains is a departure: it is reported, and the set is re-seeded
// from the observation so the lines after it are still checked.
//
// Speed: a hypothesis set is interned (same states = same object, with a number); the effect of an
// observation on a set is a pure function of (set, what was observed), so it is cached under
// (set number, the observation's shape). A million polls of query-migrate cost a million map
// look-ups, not a million model steps.
import {
  CAP_VARIANTS, exploreSide, knownCommands, reportedStatus, startSide,
  type Profile, type Side, type SideState, type UnmodelledCommand,
} from '../machines/index.ts';
import {
  closure, graphOf, hypKey, hypsOf, runCommand, settleEnd, settleReply, stampedPlace, startObservation, takeEvent,
  type EventKey, type GNode, type Hyp, type StateGraph,
} from '../machines/inclusion.ts';
import { parseTraceLine, type QmpArgs, type Vm } from './format.ts';
import { REC_WIDTH, RecKind, extractLine, extractParsed, idJson, idKey, safeJson, statusOfEvent, statusOfReply } from './extract.ts';

export { isDeparture, type Finding, type FindingKind } from './finding.ts';
import { isDeparture, type Finding, type FindingKind } from './finding.ts';

const NO_TEXT = (): string => '';
const stampOf = (e: EventIn): number | undefined => e.ts;
const NO_EVENTS: EventIn[] = [];
const NOTHING_OWED: readonly EventKey[] = [];

const NEGOTIATION_ERROR = "Expecting capabilities negotiation with 'qmp_capabilities'";
/** Run states a STOP event can leave a VM in (it was running or suspended: vm_stop / vm_stop_force_state). */
const AFTER_STOP = new Set(['paused', 'finish-migrate', 'postmigrate', 'colo']);
/** The run-state events the engine tracks (machines/inclusion.ts: runStateEvents), each with the run states it can leave a VM in. */
const RUN_EVENTS: Readonly<Record<string, { after: ReadonlySet<string>; words: string }>> = {
  STOP: { after: AFTER_STOP, words: 'from running or suspended' },
  RESUME: { after: new Set(['running', 'suspended']), words: 'to running or suspended' },
  SUSPEND: { after: new Set(['suspended']), words: 'from running to suspended' },
};

// ---- interned hypothesis sets -----------------------------------------------------------------

interface HSet {
  id: number;
  /** The hypotheses: states, each with the events it still owes (machines/inclusion.ts). */
  hyps: readonly Hyp[];
  label?: string;
  /**
   * What each observation shape does to this set: one map per (capabilities known exactly or not,
   * text report or not), since both change the outcome.
   */
  steps: (Map<string, Outcome> | undefined)[];
  /**
   * The same for the commonest shape, a reply with no event before it, under two keys (the
   * command's head, then the reply) that are already strings: nothing to concatenate per line.
   */
  replies: (Map<string, Map<string, Outcome>> | undefined)[];
}

/**
 * Per profile, shared by every checker in the process: the interned sets (with their step
 * caches), the fresh starts and the universes (every reachable state: seconds to explore).
 */
interface Shared {
  graph: StateGraph;
  interned: Map<string, HSet>;
  nextId: number;
  universes: Map<Role, HSet>;
  fresh: Map<Role, HSet>;
}

const sharedByProfile = new WeakMap<Profile, Shared>();
function sharedOf(p: Profile): Shared {
  let s = sharedByProfile.get(p);
  if (!s) sharedByProfile.set(p, (s = { graph: graphOf(p), interned: new Map(), nextId: 1, universes: new Map(), fresh: new Map() }));
  return s;
}

function ctxOf(h: Hyp): SideState {
  return h.n.ctx;
}

function labelOf(h: HSet): string {
  if (h.label === undefined) {
    const pairs = [...new Set(h.hyps.map((x) => (x.n.ctx ? `${x.n.ctx.status}/${x.n.ctx.runstate}` : 'exited')))].sort();
    const owing = h.hyps.some((x) => x.owed.length) ? ` owing ${[...new Set(h.hyps.map((x) => x.owed.join(' ')).filter((x) => x))].join(' | ')}` : '';
    h.label = `{${pairs.join(', ')}}` + (h.hyps.length > pairs.length ? ` (${h.hyps.length} states)` : '') + owing;
  }
  return h.label;
}

/** What one step did to a set: the set after it, its departures, and the internal events assumed. */
interface StepFinding {
  /** Which observation of the step departed: 0 = the command (or the single event), i = the i-th event after it. */
  step: number;
  kind: FindingKind;
  expected: unknown;
  observed: unknown;
  note?: string;
}
interface Outcome {
  next: HSet;
  findings: StepFinding[];
  assumed: string;
  /** The set was re-seeded from an observation: capabilities are no longer known exactly. */
  reseeded: boolean;
}

/** What one observation does to a list of hypotheses; on a departure, how to re-seed. */
interface StepResult {
  hyps: Hyp[];
  finding?: Omit<StepFinding, 'step'>;
  reseedBy?: (c: SideState) => boolean;
  note?: string;
}

/** One observation, as a step function input. */
type Obs =
  | { type: 'cmd'; command: string; args: QmpArgs; argsText: string; oob: boolean; outcome: CmdOutcome; pipelined: boolean }
  | { type: 'event'; event: string; status: string | undefined };
/** A reply: accepted (with the status a query's reply shows: 'none' when absent, undefined when not an object), rejected, or none. */
type CmdOutcome = { allowed: true; status: string | undefined } | { allowed: false; error: { class: string; desc: string } } | { allowed: 'unknown' };
/** A command and its reply, as apply() takes it (the outcome is built only when the cache misses). */
interface CmdIn {
  p: Pending;
  replyLine: number;
  /** Reply: the status a return shows; or the error; or no reply at all. */
  status: string | undefined;
  error: { class: string; desc: string } | null;
  noReply: boolean;
  /**
   * The command was sent before the process's previous observation was applied (pipelined behind
   * another command): events owed since then may still trail its reply.
   */
  pipelined: boolean;
  /** The observation's cache key in two parts: the command (Pending.head, '!' added for an error), then the reply. */
  k1: string;
  k2: string;
}

interface Pending {
  line: number;
  command: string;
  /** The arguments' JSON text as in the trace ('' when absent): parsed only when the model needs them. */
  argsText: string;
  oob: boolean;
  /** The command's part of a cache key (headOf): same command, arguments and band, same string. */
  head: string;
  /** Its id (extract.ts: idKey); undefined: it has none. */
  idk: string | undefined;
  modelled: boolean;
  /** Events received while this command (the oldest in-band one) awaited its reply. */
  events: EventIn[];
  /** Answered: left in its queue until the head passes it (PendingQueue). */
  done?: boolean;
}

/**
 * Commands awaiting replies, oldest first. A reply may take one from anywhere (by id), so removal
 * marks it and the head skips what is marked: each command is pushed and passed once, whatever
 * the number left unanswered (an indexOf per reply made 400k unanswered commands quadratic).
 */
class PendingQueue {
  private items: Pending[] = [];
  private head = 0;
  push(p: Pending): void {
    this.items.push(p);
  }
  /** The oldest not yet answered. */
  first(): Pending | undefined {
    while (this.head < this.items.length && this.items[this.head].done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
  /** The ones not yet answered, oldest first. */
  live(): Pending[] {
    return this.items.slice(this.head).filter((p) => !p.done);
  }
}
interface EventIn {
  line: number;
  /** QEMU's timestamp (µs), when the event has one. */
  ts?: number;
  event: string;
  status: string | undefined;
  key: string;
}

/**
 * What a process can be at its start: `source` (no -incoming) or `destination` (-incoming defer or
 * URI) for the trace names that fix it, `any` for every other name: the role follows from what the
 * process does, as the hypotheses of both starts meet the trace.
 */
type Role = Side | 'any';
const roleOf = (vm: Vm): Role => (vm === 'source' || vm === 'destination' ? vm : 'any');

interface VmState {
  vm: Vm;
  side: Role;
  /** null: nothing known yet (no greeting): every reachable state of the side. */
  set: HSet | null;
  capsExact: boolean;
  fromUniverse: boolean;
  negotiated: boolean;
  /** In-band commands awaiting replies (QMP answers them in order). */
  inband: PendingQueue;
  /** Those of them without an id: a reply without an id answers the oldest. */
  noId: PendingQueue;
  byId: Map<unknown, Pending>;
  sentAny: boolean;
  /** The last line of this process. */
  lastLine: number;
  /** The line of the last observation applied to this process. */
  appliedAt: number;
  unchanged: number;
  /**
   * The last step applied (a reply with the events of its window, or events alone), kept while it
   * stands and departed from nothing: an event stamped before one of its events that arrives after
   * it redoes it (redoOvertaken, docs/findings.md F20).
   */
  last: { before: HSet; cmd: CmdIn | null; events: EventIn[]; after: HSet; describe: () => string } | null;
}

export interface CheckOptions {
  /** Keep a readable report (the state path and the internal events assumed). */
  text?: boolean;
  /** At most this many findings are kept (listed); the rest are counted. Default MAX_FINDINGS. */
  maxFindings?: number;
}

/**
 * Findings kept for the listing: a trace in which every line departs would otherwise hold one object
 * a line (a 1M-line trace: 933 MiB). The rest are counted by kind, and the summary says how many.
 */
export const MAX_FINDINGS = 100_000;
/** The same bound for the lines of the readable report (--format text). */
export const MAX_REPORT_LINES = 200_000;

export interface CheckSummary {
  lines: number;
  departures: number;
  pending: number;
  /** Commands that change migration state and are not modelled (not departures; the trace is not shown to conform). */
  unchecked: number;
  byKind: Record<string, number>;
  /** Findings counted but not listed (past CheckOptions.maxFindings). */
  unlisted: number;
  skippedCommands: Record<string, number>;
  ignoredEvents: Record<string, number>;
}

function distinct<T>(xs: T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const x of xs) {
    const k = JSON.stringify(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}

export class TraceChecker {
  readonly findings: Finding[] = [];
  /** Report lines past MAX_REPORT_LINES: counted, not kept. */
  private reportCut = 0;
  private say(line: string): void {
    if (this.report.length < MAX_REPORT_LINES) this.report.push(line);
    else if (this.reportCut++ === 0) this.report.push(`… the report stops here: only its first ${MAX_REPORT_LINES} lines are kept (the findings go on)`);
  }
  /** Findings past maxFindings: counted by kind, not kept. */
  readonly unlisted: Record<string, number> = {};
  private readonly maxFindings: number;
  private addFinding(f: Finding): void {
    if (this.findings.length < this.maxFindings) this.findings.push(f);
    else this.unlisted[f.kind] = (this.unlisted[f.kind] ?? 0) + 1;
  }
  readonly report: string[] = [];
  private lineNo = 0;
  private lines = 0;
  private readonly vms = new Map<Vm, VmState>();
  private readonly shared: Shared;
  private readonly modelled: Set<string>;
  private readonly unmodelled: Map<string, UnmodelledCommand>;
  private readonly skipped: Record<string, number> = {};
  private readonly ignored: Record<string, number> = {};
  private readonly text: boolean;

  constructor(
    readonly profile: Profile,
    opts: CheckOptions = {},
  ) {
    this.modelled = new Set(knownCommands(profile));
    this.unmodelled = new Map(profile.unmodelledCommands.map((c) => [c.id, c]));
    this.shared = sharedOf(profile);
    this.text = !!opts.text;
    this.maxFindings = opts.maxFindings ?? MAX_FINDINGS;
  }

  // ---- sets ------------------------------------------------------------------------------------

  private readonly byId = new Map<number, HSet>();
  /** The number of a process's current set of possible states (0: nothing seen of it yet). */
  setIdOf(vm: Vm): number {
    return this.vms.get(vm)?.set?.id ?? 0;
  }
  /** The processes of the trace so far, by name, in the order they first appeared. */
  processes(): Vm[] {
    return [...this.vms.keys()];
  }
  /** The states of a set by its number (null: the process has exited). */
  statesOfSet(id: number): (SideState | null)[] {
    return (this.byId.get(id)?.hyps ?? []).map((h) => h.n.ctx ?? null);
  }

  private intern(hyps: readonly Hyp[]): HSet {
    const byKey = new Map<string, Hyp>();
    for (const h of hyps) {
      const k = hypKey(h);
      if (!byKey.has(k)) byKey.set(k, h.drain === undefined ? h : { n: h.n, owed: h.owed, assumed: h.assumed });
    }
    const keys = [...byKey.keys()].sort();
    const key = keys.join('\n');
    let h = this.shared.interned.get(key);
    if (!h) {
      h = { id: this.shared.nextId++, hyps: keys.map((k) => { const x = byKey.get(k)!; return x.assumed.length ? { n: x.n, owed: x.owed, assumed: [] } : x; }), steps: [], replies: [] };
      this.shared.interned.set(key, h);
    }
    this.byId.set(h.id, h);
    return h;
  }

  private fromContexts(ctxs: readonly SideState[]): HSet {
    return this.intern(hypsOf(this.shared.graph, ctxs));
  }

  private freshSet(side: Role): HSet {
    let h = this.shared.fresh.get(side);
    if (!h && side === 'any') this.shared.fresh.set(side, (h = this.union(this.freshSet('source'), this.freshSet('destination'))));
    else if (!h && side !== 'any') {
      const p = this.profile;
      const snaps =
        side === 'source'
          ? [startSide(p, { side }), startSide(p, { side, paused: true })]
          : (['defer', 'uri'] as const).flatMap((incoming) => [startSide(p, { side, incoming }), startSide(p, { side, incoming, paused: true })]);
      this.shared.fresh.set(side, (h = this.fromContexts(snaps.map((x) => x.context))));
    }
    return h!;
  }

  /** Every state the side reaches, under every capability variant and start (computed once). */
  private universe(side: Role): HSet {
    let h = this.shared.universes.get(side);
    if (!h && side === 'any') this.shared.universes.set(side, (h = this.union(this.universe('source'), this.universe('destination'))));
    else if (!h && side !== 'any') {
      const p = this.profile;
      const ctxs: SideState[] = [];
      for (const caps of CAP_VARIANTS) {
        if (!caps.every((c) => p.capabilities.includes(c))) continue;
        for (const inc of side === 'destination' ? (['defer', 'uri'] as const) : (['defer'] as const))
          for (const r of exploreSide(p, side, caps, inc)) ctxs.push(r.context);
      }
      this.shared.universes.set(side, (h = this.fromContexts(ctxs)));
    }
    return h!;
  }

  private union(a: HSet, b: HSet): HSet {
    return this.intern([...a.hyps, ...b.hyps]);
  }

  // The two fixed names are looked up on every line of the fast path: kept at hand.
  private src: VmState | null = null;
  private dst: VmState | null = null;
  private vm(vm: Vm): VmState {
    let s = vm === 'source' ? this.src : vm === 'destination' ? this.dst : this.vms.get(vm);
    if (!s) {
      s = { vm, side: roleOf(vm), set: null, capsExact: false, fromUniverse: true, negotiated: true, inband: new PendingQueue(), noId: new PendingQueue(), byId: new Map(), sentAny: false, unchanged: 0, lastLine: 0, appliedAt: 0, last: null };
      this.vms.set(vm, s);
      if (vm === 'source') this.src = s;
      else if (vm === 'destination') this.dst = s;
    }
    return s;
  }

  private setOf(s: VmState): HSet {
    if (!s.set) {
      s.set = this.universe(s.side);
      this.byId.set(s.set.id, s.set);
      s.fromUniverse = true;
      s.capsExact = false;
    }
    return s.set;
  }

  // ---- one observation against a list of hypotheses (machines/inclusion.ts does the stepping) ---

  /** Re-seeds from the reachable states that satisfy `pred`, preferring the capabilities held so far. */
  private reseed(side: Role, current: Hyp[], pred: (c: SideState) => boolean): Hyp[] {
    // A re-seed stands for internal steps the model missed, never for a command the trace would
    // show: a destination's outgoing status is set only by a refused `migrate` (Reject.outgoing).
    const cands = this.universe(side).hyps.filter((h) => h.n.ctx.outgoing === 'none' && pred(h.n.ctx));
    if (!cands.length) return current;
    const held = current.filter((h) => h.n.ctx).map((h) => h.n.ctx.caps);
    const caps = new Set(held.map((c) => c.join(',')));
    const same = cands.filter((h) => caps.has(h.n.ctx.caps.join(',')));
    if (same.length) return same;
    // Else those that keep every capability held so far.
    const more = cands.filter((h) => held.some((c) => c.every((x) => h.n.ctx.caps.includes(x))));
    if (more.length) return more;
    // `events` moves no chart (it only decides which MIGRATION events are sent), and the explored
    // capability variants may lack it: keep it on where it was on.
    if (!held.length || !held.every((c) => c.includes('events'))) return cands;
    const g = this.shared.graph;
    return cands.map((h) => (h.n.ctx.caps.includes('events') ? h : { n: g.node({ ...h.n.ctx, caps: [...h.n.ctx.caps, 'events'].sort() }), owed: h.owed, assumed: h.assumed }));
  }

  private stepCmd(from: Hyp[], o: Extract<Obs, { type: 'cmd' }>): StepResult {
    const g = this.shared.graph;
    const out = o.outcome;
    // qapi/qmp-dispatch.c: a command without 'allow-oob' sent with exec-oob never reaches its handler.
    // Which commands have it is the profile's (Profile.oobCommands: a QEMU version's schema).
    if (o.oob && !this.profile.oobCommands.includes(o.command)) {
      const want = { class: 'GenericError', desc: `The command ${o.command} does not support OOB` };
      if (out.allowed === 'unknown') return { hyps: from };
      if (!out.allowed && out.error.class === want.class && out.error.desc === want.desc) return { hyps: from };
      return { hyps: from, finding: { kind: out.allowed ? 'unexpected-accept' : 'wrong-error', expected: [want], observed: out.allowed ? 'accepted' : out.error } };
    }
    if (out.allowed === 'unknown') {
      // No reply: the command may or may not have run; keep both, and owe nothing before a reply that never came.
      const ran = runCommand(g, from, o.command, o.args, o.argsText, null).map((r) => ({ n: r.hyp.n, owed: r.hyp.owed, assumed: r.hyp.assumed }));
      return { hyps: [...from, ...ran] };
    }
    const next = runCommand(g, from, o.command, o.args, o.argsText, out.allowed ? { allowed: true } : { allowed: false, error: out.error }).map((r) => r.hyp);
    if (next.length) {
      if (!out.allowed) return { hyps: next };
      if (o.command === 'query-migrate') {
        const status = out.status;
        if (status === undefined) return { hyps: next };
        const ok = next.filter((h) => reportedStatus(h.n.ctx) === status);
        if (ok.length) return { hyps: ok };
        return {
          hyps: next,
          reseedBy: (c) => reportedStatus(c) === status,
          finding: { kind: 'unexpected-status', expected: distinct(next.map((h) => reportedStatus(h.n.ctx))).sort(), observed: status },
        };
      }
      if (o.command === 'query-status') {
        const rs = out.status;
        if (rs === undefined || rs === 'none') return { hyps: next };
        const ok = next.filter((h) => h.n.ctx.runstate === rs);
        if (ok.length) return { hyps: ok };
        return {
          hyps: next,
          reseedBy: (c) => c.runstate === rs,
          finding: { kind: 'unexpected-runstate', expected: distinct(next.map((h) => h.n.ctx.runstate)).sort(), observed: rs },
        };
      }
      return { hyps: next };
    }
    // No hypothesis answers the same way: say what the model answers instead.
    const cl = closure(g, from).filter((h) => h.n.ctx);
    const decisions = cl.map((h) => g.command(h.n, o.command, o.args, o.argsText));
    const errors = distinct(decisions.filter((d) => !d.allowed).map((d) => d.error!));
    const accepts = decisions.some((d) => d.allowed);
    const expected = [...(accepts ? ['accepted'] : []), ...errors];
    if (!cl.length) return { hyps: from, finding: { kind: 'unexpected-accept', expected: 'no reply: the process has exited', observed: out.allowed ? 'accepted' : out.error } };
    if (out.allowed) return { hyps: cl, finding: { kind: 'unexpected-accept', expected, observed: 'accepted' } };
    const kept = cl.filter((_, i) => !decisions[i].allowed);
    return { hyps: kept.length ? kept : cl, finding: { kind: errors.length ? 'wrong-error' : 'unexpected-reject', expected, observed: out.error } };
  }

  private stepEvent(side: Role, from: Hyp[], o: Extract<Obs, { type: 'event' }>, capsExact: boolean, unseenPast: boolean): StepResult {
    const p = this.profile;
    const g = this.shared.graph;
    const mig = o.event === 'MIGRATION';
    if (mig && typeof o.status !== 'string') return { hyps: from, finding: { kind: 'unexpected-event', expected: 'data.status, a MigrationStatus', observed: o.status ?? null } };
    const key: EventKey = mig ? 'MIGRATION:' + o.status : o.event;
    const ok = takeEvent(g, from, key);
    const cl = closure(g, from).filter((h) => h.n.ctx);
    const pred = mig ? (c: SideState) => c.status === o.status : (c: SideState) => RUN_EVENTS[o.event].after.has(c.runstate);
    // A trace that starts mid-way: the event may also report a change made before its first line.
    // A loop, not push(...): a trace that starts mid-way has tens of thousands of hypotheses, more
    // arguments than a browser's stack takes (the viewer's replay runs this in a worker).
    if (unseenPast) for (const h of cl) if (pred(h.n.ctx)) ok.push({ n: h.n, owed: NOTHING_OWED, assumed: h.assumed });
    if (ok.length) return { hyps: ok };
    const heads = distinct(cl.filter((h) => h.owed.length).map((h) => h.owed[0].replace(':', ' ')));
    const owed = heads.length ? `the next event the model owes: ${heads.join(' or ')}` : 'no event owed here';
    if (mig) {
      const status = o.status!;
      if (capsExact && !cl.some((h) => h.n.ctx.caps.includes('events')))
        return { hyps: cl, finding: { kind: 'unexpected-event', expected: 'no MIGRATION event: the events capability is off', observed: status } };
      // The roles the process may hold now (a destination may have become a source, F3).
      const roles = distinct(cl.length ? cl.map((h) => h.n.ctx.side) : side === 'any' ? (['source', 'destination'] as const) : [side]);
      if (status !== 'none' && !roles.some((r) => (p.statuses[r] as readonly string[]).includes(status)) && !['setup', 'failed'].includes(status))
        return { hyps: from, finding: { kind: 'unexpected-event', expected: `a status of the ${roles.join(' or ')} in ${p.name}`, observed: status } };
      // The statuses the model expects the next MIGRATION event to report, or, owing none, those it may be in.
      const next = distinct(cl.filter((h) => h.owed.some((x) => x.startsWith('MIGRATION:'))).map((h) => h.owed.find((x) => x.startsWith('MIGRATION:'))!.slice(10)));
      return {
        hyps: cl,
        reseedBy: pred,
        finding: { kind: 'unexpected-status', expected: (next.length ? next : distinct(cl.map((h) => h.n.ctx.status))).sort(), observed: status },
      };
    }
    return {
      hyps: cl,
      reseedBy: pred,
      finding: { kind: 'unexpected-event', expected: heads.length ? owed : `a run-state change ${RUN_EVENTS[o.event].words} (the model has only: ${distinct(cl.map((h) => h.n.ctx.runstate)).sort().join(', ')})`, observed: o.event },
    };
  }

  /**
   * A command (if any) and the events received while it awaited its reply. The command took effect
   * somewhere between them: every placement is tried, and the union of what explains it all kept.
   * A reply that arrives while events sent before it are still owed departs (missing-event).
   */
  private compute(vm: VmState, set: HSet, cmd: Extract<Obs, { type: 'cmd' }> | null, events: Extract<Obs, { type: 'event' }>[]): Outcome {
    const side = vm.side;
    const placements = cmd ? events.length + 1 : 1;
    const good: Hyp[] = [];
    let best: { progress: number; hyps: Hyp[]; findings: StepFinding[]; reseeded: boolean } | null = null;
    const notes: string[] = [];
    // A trace that starts mid-way: before its first observation, commands may have run that it
    // does not show (a stop before the excerpt), so a first event may report an earlier change.
    const unseenPast = set === this.shared.universes.get(side);
    const replied = cmd !== null && cmd.outcome.allowed !== 'unknown' && !cmd.pipelined;
    const run = (at: number, full: boolean) => {
      const seq: { obs: Obs; step: number }[] = events.map((e, i) => ({ obs: e as Obs, step: cmd ? i + 1 : i }));
      if (cmd) seq.splice(at, 0, { obs: cmd, step: 0 });
      // What the set owes now must be seen before a reply in this observation (inclusion.ts: startObservation).
      let hyps: Hyp[] = replied ? startObservation(set.hyps) : [...set.hyps];
      const findings: StepFinding[] = [];
      let progress = 0;
      let reseeded = false;
      for (const { obs, step } of seq) {
        const r = obs.type === 'cmd' ? this.stepCmd(hyps, obs) : this.stepEvent(side, hyps, obs, vm.capsExact, unseenPast && step === 0);
        if (typeof r.note === 'string') notes.push(r.note);
        hyps = r.hyps;
        if (r.finding) {
          findings.push({ step, ...r.finding });
          if (!full) break; // a dry run stops at the first departure
          if (r.reseedBy) {
            hyps = this.reseed(side, hyps, r.reseedBy);
            reseeded = true;
          }
        } else if (!findings.length) progress++;
      }
      if (replied && !findings.length) {
        const settled = settleReply(hyps);
        if (!settled.length && hyps.length) {
          const missing = distinct(hyps.map((h) => h.owed.slice(0, h.drain ?? 0).map((x) => x.replace(':', ' ')).join(', ')));
          findings.push({ step: 0, kind: 'missing-event', expected: missing, observed: 'the reply, with no such event before it' });
          hyps = hyps.map((h) => ({ n: h.n, owed: h.owed.slice(h.drain ?? 0), assumed: h.assumed }));
        } else hyps = settled;
      }
      return { hyps, findings, progress, reseeded };
    };
    let bestAt = 0;
    let bestProgress = -1;
    for (let at = 0; at < placements; at++) {
      const r = run(at, false);
      if (!r.findings.length) for (const h of r.hyps) good.push(h);
      else if (r.progress > bestProgress) {
        bestProgress = r.progress;
        bestAt = at;
      }
    }
    if (!good.length) best = run(bestAt, true);
    const chosen = good.length ? { hyps: good, findings: [] as StepFinding[], reseeded: false } : best!;
    const assumed = this.text
      ? distinct(chosen.hyps.map((h) => h.assumed.join(' → ')).filter((x) => x)).slice(0, 4).join(' | ') + (notes.length ? ` [${distinct(notes).join('; ')}]` : '')
      : '';
    return { next: this.intern(chosen.hyps), findings: chosen.findings, assumed, reseeded: chosen.reseeded };
  }

  private apply(vm: VmState, cmd: CmdIn | null, events: EventIn[], describe: () => string): void {
    const set = this.setOf(vm);
    this.commit(vm, set, this.step(vm, set, cmd, events), cmd, events, describe);
  }

  /** A step's outcome from `set` (memoised on the set). */
  private step(vm: VmState, set: HSet, cmd: CmdIn | null, events: EventIn[]): Outcome {
    const slot = (vm.capsExact ? 1 : 0) + (this.text ? 2 : 0);
    let m: Map<string, Outcome>;
    let key: string;
    if (cmd && !events.length) {
      const byHead = set.replies[slot] ?? (set.replies[slot] = new Map());
      let forHead = byHead.get(cmd.k1);
      if (!forHead) byHead.set(cmd.k1, (forHead = new Map()));
      m = forHead;
      key = cmd.k2;
    } else {
      // k1 never holds '\u0005' (a known command's name, arguments as JSON, in which control characters are escaped).
      key = cmd ? cmd.k1 + '\u0005' + cmd.k2 : '';
      for (let i = 0; i < events.length; i++) key += '\u0002' + events[i].key;
      m = set.steps[slot] ?? (set.steps[slot] = new Map());
    }
    let out = m.get(key);
    if (!out) {
      const evObs = events.map((e) => ({ type: 'event' as const, event: e.event, status: e.status }));
      try {
        let obs: Extract<Obs, { type: 'cmd' }> | null = null;
        if (cmd) {
          const outcome: CmdOutcome = cmd.noReply ? { allowed: 'unknown' } : cmd.error ? { allowed: false, error: cmd.error } : { allowed: true, status: cmd.status };
          obs = { type: 'cmd', command: cmd.p.command, args: cmd.p.argsText ? (JSON.parse(cmd.p.argsText) as QmpArgs) : {}, argsText: cmd.p.argsText, oob: cmd.p.oob, outcome, pipelined: cmd.pipelined };
        }
        out = this.compute(vm, set, obs, evObs);
      } catch (e) {
        out = { next: set, findings: [{ step: 0, kind: 'model-error', expected: 'an answer from the model', observed: String((e as Error).message ?? e) }], assumed: '', reseeded: false };
      }
      m.set(key, out);
    }
    return out;
  }

  /** Reports a step's findings and moves the process to its outcome. */
  private commit(vm: VmState, set: HSet, out: Outcome, cmd: CmdIn | null, events: EventIn[], describe: () => string): void {
    const wasUniverse = out.findings.length > 0 && vm.fromUniverse && set === this.shared.universes.get(vm.side);
    for (const f of out.findings) {
      const ev = cmd ? (f.step === 0 ? null : events[f.step - 1]) : events[f.step];
      const kind: FindingKind = wasUniverse && f.kind !== 'model-error' ? 'unexplained-start' : f.kind;
      const finding: Finding = { line: ev ? ev.line : cmd!.replyLine, vm: vm.vm, kind, expected: f.expected, observed: f.observed };
      if (ev) finding.event = ev.event;
      else if (cmd) {
        finding.command = cmd.p.command;
        finding.commandLine = cmd.p.line;
      }
      if (kind === 'unexplained-start') finding.note = `no reachable ${vm.side} state explains the first observation (${f.kind})`;
      else if (f.note) finding.note = f.note;
      this.addFinding(finding);
      if (this.text) this.say(`line ${finding.line} ${vm.vm}: DEPARTURE ${kind}: expected ${JSON.stringify(f.expected)}, observed ${JSON.stringify(f.observed)}`);
    }
    if (out.reseeded) vm.capsExact = false;
    if (out.next !== set || out.findings.length) {
      if (this.text) {
        if (vm.unchanged) this.say(`  … ${vm.vm}: ${vm.unchanged} observation(s) with no change`);
        this.say(`line ${cmd ? cmd.replyLine : events[0].line} ${vm.vm}: ${describe()} → ${labelOf(out.next)}${out.assumed ? `  (assumed: ${out.assumed})` : ''}`);
      }
      vm.unchanged = 0;
    } else vm.unchanged++;
    vm.set = out.next;
    vm.appliedAt = cmd ? cmd.replyLine : events[events.length - 1].line;
    this.byId.set(out.next.id, out.next);
    vm.fromUniverse = vm.fromUniverse && out.next === set;
    // Only a step with events can be redone (redoOvertaken): most steps, a reply alone, keep nothing.
    vm.last = out.findings.length || out.reseeded || !events.length ? null : { before: set, cmd, events, after: out.next, describe };
  }

  /**
   * An event that arrives after the last step, stamped before one of that step's events: another
   * thread made it first and queued it on the monitor after the main thread's event and reply (7.2's
   * migrate_cancel in pre-switchover: cancelling, the reply, then device stamped before cancelling;
   * docs/findings.md F20). Made before an event that came before the reply, it came before the reply
   * too: the step is redone with it in its stamped place. false: that does not explain it either.
   */
  private redoOvertaken(vm: VmState, e: EventIn): boolean {
    const l = vm.last;
    if (!l || vm.set !== l.after) return false;
    const at = stampedPlace(l.events, stampOf, e.ts);
    if (at === l.events.length) return false;
    const events = [...l.events.slice(0, at), e, ...l.events.slice(at)];
    const out = this.step(vm, l.before, l.cmd, events);
    if (out.findings.length) return false;
    if (this.text) this.say(`line ${e.line} ${vm.vm}: ${e.event}${e.status ? ' ' + e.status : ''} stamped before an event of the last step: that step again, with it in its place`);
    const appliedAt = vm.appliedAt;
    this.commit(vm, l.before, out, l.cmd, events, l.describe);
    vm.appliedAt = Math.max(appliedAt, e.line);
    return true;
  }

  // ---- lines -----------------------------------------------------------------------------------

  private readonly scratch: unknown[] = new Array(REC_WIDTH);

  /** Feeds one line of the trace. Returns what is wrong if it is not a trace line (exit 2). */
  feed(raw: string): string | null {
    extractLine(raw, this.scratch, 0);
    return this.feedRecord(this.scratch, 0);
  }

  /** feed() for a line the caller has already parsed (`parsed` is JSON.parse(raw)). */
  feedParsed(parsed: unknown, raw: string): string | null {
    extractParsed(parsed, raw, this.scratch, 0);
    return this.feedRecord(this.scratch, 0);
  }

  /**
   * Feeds one line already reduced by trace/extract.ts (records[at ..< at + REC_WIDTH]): the
   * parallel reader parses lines in worker threads and hands the records over in order.
   */
  feedRecord(r: readonly unknown[], at: number): string | null {
    const n = ++this.lineNo;
    const kind = r[at] as number;
    if (kind === RecKind.Slow) return this.slow(r[at + 1] as string, n);
    const vm = this.vm(r[at + 1] === 0 ? 'source' : 'destination');
    this.lines++;
    if (kind !== RecKind.Greeting) vm.lastLine = n;
    switch (kind) {
      case RecKind.Return:
        this.onReply(vm, n, r[at + 2] as string | undefined, r[at + 3] as string | undefined, null);
        break;
      case RecKind.Command:
        this.onCommand(vm, n, r[at + 2] as string, r[at + 3] as string, r[at + 4] as boolean, r[at + 5] as string | undefined);
        break;
      case RecKind.Event:
        this.onEvent(vm, n, r[at + 2] as string, r[at + 3] as string | undefined, r[at + 4] as number | undefined);
        break;
      case RecKind.Error:
        this.onReply(vm, n, r[at + 2] as string | undefined, undefined, { class: r[at + 3] as string, desc: r[at + 4] as string });
        break;
      default:
        this.onGreeting(vm, n);
    }
    return null;
  }

  private slow(raw: string, n: number): string | null {
    const r = parseTraceLine(raw);
    if (!r.ok) return `line ${n}: ${r.error}`;
    if (!r.line) return null;
    this.lines++;
    const vm = this.vm(r.line.vm);
    const m = r.line.msg;
    if (m.kind !== 'greeting') vm.lastLine = n;
    switch (m.kind) {
      case 'greeting':
        return (r.line.reconnect ? this.onReconnect(vm, n) : this.onGreeting(vm, n)), null;
      case 'command':
        return this.onCommand(vm, n, m.command, m.hasArgs ? (safeJson(m.args) ?? '') : '', m.oob, m.hasId ? idKey(m.id) : undefined), null;
      case 'return':
        return this.onReply(vm, n, m.hasId ? idKey(m.id) : undefined, statusOfReply(m.value), null), null;
      case 'error':
        return this.onReply(vm, n, m.hasId ? idKey(m.id) : undefined, undefined, m.error), null;
      case 'event':
        return this.onEvent(vm, n, m.event, statusOfEvent(m.data), m.ts), null;
    }
  }

  private onGreeting(vm: VmState, n: number): void {
    this.flush(vm, 'the process was replaced (new greeting)');
    this.endOfLines(vm);
    vm.set = this.freshSet(vm.side);
    this.byId.set(vm.set.id, vm.set);
    vm.capsExact = true;
    vm.fromUniverse = false;
    vm.negotiated = false;
    vm.sentAny = false;
    if (this.text) this.say(`line ${n} ${vm.vm}: greeting: a fresh QEMU → ${labelOf(vm.set)}`);
  }

  /**
   * A new monitor connection to the same process (libvirt restarted and reconnected): the commands
   * of the old connection get no reply, the events QEMU sent while no monitor was connected are
   * lost (monitor_qapi_event_emit sends to the connected monitors only), and QMP negotiation starts
   * again; the process's state goes on.
   */
  private onReconnect(vm: VmState, n: number): void {
    this.flush(vm, 'the monitor connection closed (reconnected)');
    if (vm.set) vm.set = this.intern(vm.set.hyps.map((h) => ({ n: h.n, owed: NOTHING_OWED, assumed: h.assumed })));
    vm.negotiated = false;
    vm.sentAny = false;
    if (this.text) this.say(`line ${n} ${vm.vm}: greeting on a new connection to the running process → ${vm.set ? labelOf(vm.set) : 'not known yet'}`);
  }

  private readonly heads = [new Map<string, string>(), new Map<string, string>()];

  /** A command's part of a cache key; for the commonest, a command without arguments, one string per command. */
  private headOf(oob: boolean, command: string, argsText: string): string {
    if (argsText !== '') return (oob ? 'O' : 'C') + command + '\u0001#' + this.shared.graph.argId(argsText) + '\u0001';
    const m = this.heads[oob ? 1 : 0];
    let h = m.get(command);
    if (h === undefined) m.set(command, (h = (oob ? 'O' : 'C') + command + '\u0001\u0001'));
    return h;
  }

  /** A command: `args` its arguments as JSON ('' for none), `idk` its id (extract.ts: idKey). */
  private onCommand(vm: VmState, n: number, command: string, args: string, oob: boolean, idk: string | undefined): void {
    vm.sentAny = true;
    const modelled = this.modelled.has(command);
    if (!modelled) {
      const u = this.unmodelled.get(command);
      if (u) {
        this.addFinding({ line: n, vm: vm.vm, kind: 'unchecked', expected: 'a command the model checks', observed: command, command, note: `${u.changes} (${u.ref}); not modelled` });
        if (this.text) this.say(`line ${n} ${vm.vm}: ${command} unchecked: it changes ${u.changes}, which the model does not model`);
      } else this.skipped[command] = (this.skipped[command] ?? 0) + 1;
    }
    const hasId = idk !== undefined;
    const argsText = modelled ? args : '';
    const head = modelled ? this.headOf(oob, command, argsText) : '';
    const pend: Pending = { line: n, command, argsText, oob, head, idk, modelled, events: NO_EVENTS };
    if (hasId && !vm.byId.has(idk)) vm.byId.set(idk, pend);
    if (!(oob && hasId)) vm.inband.push(pend);
    if (!hasId) vm.noId.push(pend);
  }

  /** A reply: `status` is what a return shows ('none': an object without status); `error` for an error. */
  private onReply(vm: VmState, n: number, id: string | undefined, status: string | undefined, error: { class: string; desc: string } | null): void {
    let pend: Pending | undefined;
    const hasId = id !== undefined;
    if (hasId) {
      pend = vm.byId.get(id);
      if (pend) vm.byId.delete(id);
    } else pend = vm.noId.first();
    if (!pend) {
      if (vm.sentAny) {
        this.addFinding({ line: n, vm: vm.vm, kind: 'unmatched-reply', expected: hasId ? `a command with id ${idJson(id)}` : 'a command awaiting its reply', observed: error ?? 'return' });
        if (this.text) this.say(`line ${n} ${vm.vm}: DEPARTURE unmatched-reply`);
      } else if (this.text) this.say(`line ${n} ${vm.vm}: reply to a command sent before the trace starts: skipped`);
      return;
    }
    pend.done = true;
    const p = pend;
    if (!error && p.command === 'qmp_capabilities') vm.negotiated = true;
    const evs = this.text ? () => p.events.map((e) => e.event + (typeof e.status === 'string' ? ' ' + e.status : '')).join(', ') : NO_TEXT;
    if (!p.modelled || (error && error.desc === NEGOTIATION_ERROR && !vm.negotiated)) {
      if (p.events.length) this.apply(vm, null, p.events, evs);
      return;
    }
    // Only query-migrate's and query-status's statuses are compared; '\u0003': a reply without one.
    const pipelined = p.line < vm.appliedAt;
    const k1 = (error ? p.head + '!' : p.head) + (pipelined ? '\u0006' : '');
    const k2 = error ? error.class + '\u0001' + error.desc : p.command === 'query-migrate' || p.command === 'query-status' ? (status ?? '\u0003') : '';
    this.apply(vm, { p, replyLine: n, status, error, noReply: false, pipelined, k1, k2 }, p.events, !this.text ? NO_TEXT : () => {
      const what = error ? `error ${JSON.stringify(error.desc)}` : p.command.startsWith('query-') ? `${status ?? 'ok'}` : 'ok';
      return `${p.command}${p.argsText && p.argsText !== '{}' ? ' ' + p.argsText : ''} → ${what}${p.events.length ? ` (with ${evs()})` : ''}`;
    });
  }

  /** An event: `dataStatus` is extract.ts: statusOfEvent of its data (only MIGRATION's is read). */
  private onEvent(vm: VmState, n: number, ev: string, dataStatus: string | undefined, ts?: number): void {
    if (ev !== 'MIGRATION' && !(ev in RUN_EVENTS)) {
      this.ignored[ev] = (this.ignored[ev] ?? 0) + 1;
      return;
    }
    const status = ev === 'MIGRATION' ? dataStatus : undefined;
    const e: EventIn = { line: n, event: ev, status, key: `E${ev}\u0001${status ?? ''}`, ts };
    // The command awaiting its reply: the oldest in-band one, else an exec-oob one (a yank's reply
    // can come after the events it caused: a destination's MIGRATION failed, seen on 7.2).
    let head = vm.inband.first();
    if (!head && vm.byId.size) for (const x of vm.byId.values()) if (!head || x.line < head.line) head = x;
    if (head && head.modelled) {
      if (head.events === NO_EVENTS) head.events = [e];
      else {
        // In QEMU's order: an event stamped before the ones already here was made first, by another
        // thread, and overtaken on the wire (machines/inclusion.ts: stampedPlace).
        head.events.splice(stampedPlace(head.events, stampOf, ts), 0, e);
      }
    }
    else if (!this.redoOvertaken(vm, e)) this.apply(vm, null, [e], this.text ? () => `${ev}${status ? ' ' + status : ''}` : NO_TEXT);
  }

  /** Commands still awaiting a reply: reported as pending; their events are checked either way. */
  private flush(vm: VmState, why: string): void {
    // The in-band ones, and the exec-oob ones with an id (the only ones not queued in band).
    const all = [...vm.inband.live(), ...[...vm.byId.values()].filter((x) => x.oob && !x.done)].sort((a, b) => a.line - b.line);
    for (const p of all) {
      this.addFinding({ line: p.line, vm: vm.vm, kind: 'pending', expected: 'a reply', observed: null, command: p.command, note: why });
      if (this.text) this.say(`line ${p.line} ${vm.vm}: ${p.command} pending (${why})`);
      const evs = () => p.events.map((e) => e.event).join(', ');
      if (p.modelled && p.events.length && vm.set !== null)
        this.apply(vm, { p, replyLine: p.line, status: undefined, error: null, noReply: true, pipelined: false, k1: '?' + p.head, k2: '' }, p.events, () => `${p.command} (no reply) with ${evs()}`);
      else if (p.events.length) this.apply(vm, null, p.events, evs);
    }
    vm.inband = new PendingQueue();
    vm.noId = new PendingQueue();
    vm.byId = new Map();
  }

  /**
   * A process's lines end (the trace ends, or a new process takes its place): an explanation whose
   * events never arrived is no explanation (machines/inclusion.ts: settleEnd).
   */
  private endOfLines(vm: VmState): void {
    if (!vm.set) return;
    const ok = settleEnd(vm.set.hyps);
    if (ok.length === vm.set.hyps.length) return;
    if (ok.length) {
      vm.set = this.intern(ok);
      return;
    }
    const owed = distinct(vm.set.hyps.map((h) => h.owed.filter((x) => x !== 'EXIT').map((x) => x.replace(':', ' ')).join(', ')));
    this.addFinding({ line: vm.lastLine, vm: vm.vm, kind: 'missing-event', expected: owed, observed: 'no such event before the process\'s lines end' });
    if (this.text) this.say(`line ${vm.lastLine} ${vm.vm}: DEPARTURE missing-event: expected ${JSON.stringify(owed)}`);
  }

  /** Ends the trace: commands without a reply are pending. */
  finish(): CheckSummary {
    for (const vm of this.vms.values()) {
      this.flush(vm, 'no reply before the end of the trace');
      this.endOfLines(vm);
      if (this.text && vm.unchanged) this.say(`  … ${vm.vm}: ${vm.unchanged} observation(s) with no change`);
      vm.unchanged = 0;
    }
    this.findings.sort((a, b) => a.line - b.line);
    const byKind: Record<string, number> = { ...this.unlisted };
    for (const f of this.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    const pending = byKind.pending ?? 0;
    const unchecked = byKind.unchecked ?? 0;
    const unlisted = Object.values(this.unlisted).reduce((a, b) => a + b, 0);
    return { lines: this.lines, departures: this.findings.length + unlisted - pending - unchecked, pending, unchecked, byKind, unlisted, skippedCommands: { ...this.skipped }, ignoredEvents: { ...this.ignored } };
  }

  /** The readable report's footer: what was not checked. */
  notes(): string[] {
    const out: string[] = [];
    const sk = Object.entries(this.skipped);
    if (sk.length) out.push(`not modelled, not checked (commands): ${sk.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
    const ig = Object.entries(this.ignored);
    if (ig.length) out.push(`not checked (events): ${ig.map(([k, v]) => `${k} ×${v}`).join(', ')}${this.ignored.COLO_EXIT ? ' (COLO_EXIT is not checked yet)' : ''}`);
    return out;
  }
}

export interface CheckResult {
  code: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

/** Summary line for standard error. */
export function summaryLine(s: CheckSummary): string {
  const kinds = Object.entries(s.byKind)
    .filter(([k]) => isDeparture({ kind: k as FindingKind }))
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const verdict = s.departures ? `${s.departures} departure(s) (${kinds})` : s.unchecked ? 'not shown to conform' : 'conforms';
  const unchecked = s.unchecked ? `; ${s.unchecked} unchecked command(s) that change migration state and are not modelled` : '';
  return `check-trace: ${s.lines} lines; ${verdict}${unchecked}${s.pending ? `; ${s.pending} pending command(s)` : ''}${s.unlisted ? `; only the first ${s.departures + s.pending + s.unchecked - s.unlisted} findings listed, ${s.unlisted} more counted` : ''}`;
}

/** check-trace's exit code: 1 with departures, or with unchecked commands unless allowed; else 0. */
export function exitCodeOf(s: CheckSummary, allowUnchecked = false): 0 | 1 {
  return s.departures || (s.unchecked && !allowUnchecked) ? 1 : 0;
}

/** Renders findings and report the way the CLI prints them. */
export function render(c: TraceChecker, s: CheckSummary, format: 'json' | 'text'): string {
  if (format === 'json') return c.findings.map((f) => JSON.stringify(f)).join('\n') + (c.findings.length ? '\n' : '');
  const lines = [`profile ${c.profile.name}: ${s.lines} trace lines`, ...c.report, ...c.notes(), summaryLine(s).replace(/^check-trace: /, 'result: ')];
  return lines.map(printable).join('\n') + '\n';
}

/**
 * Text for a terminal: the trace's own strings (command, event and status names, error texts) may
 * hold control characters; an ESC sequence must not reach the terminal. Shown as \u escapes, as
 * the JSON output shows them.
 */
function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Checks a whole trace given as text, in-process (tests, small inputs). */
export function checkTraceText(p: Profile, text: string, format: 'json' | 'text' = 'json'): CheckResult {
  const c = new TraceChecker(p, { text: format === 'text' });
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (const l of lines) {
    const err = c.feed(l.endsWith('\r') ? l.slice(0, -1) : l);
    if (err) return { code: 2, stdout: '', stderr: `check-trace: ${err}\n` };
  }
  const s = c.finish();
  return { code: exitCodeOf(s), stdout: render(c, s, format), stderr: summaryLine(s) + '\n' };
}
