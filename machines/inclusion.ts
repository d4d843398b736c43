// Trace inclusion, written once: explaining what is observed over QMP by what the model cannot
// observe. QMP shows replies, statuses and events; what QEMU's threads do (converge, a channel
// breaking, a checkpoint) is not in it. A process's possible states are therefore a set of
// hypotheses: after each observation, keep the states that some sequence of internal events leads
// to and that agree with what was observed.
//
// Events are owed. Every step of the model that changes a process's status sends `MIGRATION` (when
// its `events` capability is on: migration/migration.c: migrate_set_state -> migrate_generate_event),
// every stop of a running VM sends `STOP` and every start sends `RESUME` (softmmu/cpus.c: do_vm_stop,
// vm_prepare_start), in the order the profile gives. A hypothesis carries the events its steps sent
// and the trace has not shown yet; an observed event must be the first of them, and a command's
// reply comes after every event sent before the command ran and by the command itself (QEMU writes
// events and replies to the monitor in the order they happen). A hypothesis whose events never
// arrive is dropped at the next reply, or at the end of the process's lines.
//
// The state graph is memoised per profile: a node per state (contextKey), its internal successors
// with the events each sends, and each command's result. Pure: no I/O. The trace checker
// (trace/check.ts), the viewer's replay and the conformance runner all step through this module.
import type { Profile, SideState } from './profile.ts';
import { decideAll, type Decision } from './rules.ts';
import { contextKey, fastStepDetail } from './fast-step.ts';
import { mayMove } from './explore.ts';
import { INTERNAL_EVENTS, type InternalEventType, type QmpArguments, type QmpError } from './vocabulary.ts';

/**
 * A destination in this state, after a channel error, is one whose load failed: QEMU sets the
 * incoming state to failed (the MIGRATION event) and exits. The pair removes such a process; a
 * trace shows its `MIGRATION failed`, then nothing.
 * - A precopy load: migration/migration.c: process_incoming_migration_co: exit(EXIT_FAILURE); with
 *   exit-on-error=false (QEMU >= 9.1) it stays.
 * - A postcopy before the destination runs (POSTCOPY_INCOMING_LISTENING, still loading the device
 *   state): migration/savevm.c: qemu_loadvm_state_main pauses only once postcopy is RUNNING, so
 *   postcopy_ram_listen_thread sets failed and exits, whatever exit-on-error says in 7.2 and 10.0
 *   (postcopy-active in inmigrate; seen on the 10.0 binary: docs/findings.md F14). Master has
 *   postcopy-device for that moment and follows exit-on-error there.
 */
export function loadFailureExits(d: SideState): boolean {
  if (d.side !== 'destination' || d.runstate !== 'inmigrate') return false;
  if (d.status === 'setup' || d.status === 'active') return d.listening && d.exitOnError;
  if (d.status === 'postcopy-active') return true;
  if (d.status === 'postcopy-device') return d.exitOnError;
  return false;
}

/**
 * Where an event stamped `ts` (QEMU's timestamp, µs; none: 0 or undefined) goes among a window's
 * events, `evs` in QEMU's order: before the ones at its end stamped after it. QEMU stamps an event
 * when it builds it (qapi/qmp-event.c: qmp_event_build_dict) and queues it for the monitor
 * afterwards, so an event of one thread can reach the wire after another thread's later one
 * (docs/findings.md F20: 7.2's migration thread's `device` after the main thread's `cancelling` and
 * the reply). An event without a stamp, or after one without, keeps its arrival place.
 * `evs.length`: it goes last, in arrival order. The one rule for both readers: check-trace
 * (trace/check.ts) and the conformance runner (qemu/conformance.ts), for events within a command's
 * window and for one that arrives after it (redoOvertaken: the window again, with the event in the
 * place this gives, when that is not the end).
 */
export function stampedPlace<T>(evs: readonly T[], stampOf: (e: T) => number | undefined, ts: number | undefined): number {
  let i = evs.length;
  if (!ts) return i;
  for (let s = i > 0 ? stampOf(evs[i - 1]) : undefined; s && s > ts; s = i > 0 ? stampOf(evs[i - 1]) : undefined) i--;
  return i;
}

/** The events a process that exits on a failed load sends before it goes. */
export function exitEvents(d: SideState): EventKey[] {
  return d.caps.includes('events') ? ['MIGRATION:failed'] : [];
}

/** An event as the engine names it: `MIGRATION:<status>`, `STOP`, `RESUME`, `SUSPEND`, or `EXIT` (the process exits). */
export type EventKey = string;

/**
 * Internal steps that QEMU announces with an event sent as they happen, and that no migration step
 * leads to: the guest's own suspend (system/runstate.c: qemu_system_suspend sets the run state and
 * sends SUSPEND in the same main-loop step). They are taken when their event is read (takeEvent,
 * observe.ts: announce), not assumed in a closure: a guest may suspend at any time, and a closure
 * that assumed it would keep "suspended, SUSPEND owed" beside every running state until the next
 * reply.
 */
export const ANNOUNCED: Readonly<Partial<Record<InternalEventType, EventKey>>> = { 'guest-suspend': 'SUSPEND' };

/** How deep the closure goes: internal steps between two observations. */
export const CLOSURE_DEPTH = 12;
/** At most this many events owed by one hypothesis (a bound on the closure, far above any real run). */
const MAX_OWED = 8;

/** A state of the graph: a process's data; EXITED marks a process that has exited. */
export interface GNode {
  readonly ctx: SideState;
  readonly key: string;
  /** Internal successors; `announced`: taken only when its event is read (ANNOUNCED). */
  succ?: { type: InternalEventType; to: GNode; sends: readonly EventKey[]; announced?: true }[];
  cmds?: Map<string, readonly CmdResult[]>;
}
export interface CmdResult {
  allowed: boolean;
  error: QmpError | null;
  rule: string | null;
  to: GNode;
  sends: readonly EventKey[];
}

/** A possible state of a process: the node, the events it owes, and the internal events assumed to reach it. */
export interface Hyp {
  readonly n: GNode;
  /** Events sent and not yet seen, oldest first. */
  readonly owed: readonly EventKey[];
  readonly assumed: readonly InternalEventType[];
  /** Within a command's observation: how many of `owed` must be seen before its reply. */
  readonly drain?: number;
}

export function hypKey(h: Hyp): string {
  return h.owed.length ? h.n.key + '#' + h.owed.join(',') : h.n.key;
}

/**
 * The events one step sends, in QEMU's order. The status change's MIGRATION (if the `events`
 * capability is on) and the run-state change's STOP or RESUME come in the order the step's
 * run-state transition gives (ChartTransition.statusFirst): by default the VM stops or starts first.
 */
export function stepEvents(before: SideState, after: SideState, statusFirst: boolean, always: readonly string[] = [], resend = false): EventKey[] {
  const events = after.caps.includes('events');
  const changed = before.status !== after.status;
  // A destination's outgoing status (a refused migrate's migrate_init) sends its own event.
  const outChanged = before.outgoing !== after.outgoing;
  const sentByChange = (s: string) => events && ((changed && after.status === s) || (outChanged && after.outgoing === s));
  const mig: EventKey[] = [];
  if (resend && !changed && events) mig.push('MIGRATION:' + after.status);
  // Sent whatever the capability says, unless a status change sends that very event (Accept.alwaysSends).
  for (const s of always) if (!sentByChange(s)) mig.push('MIGRATION:' + s);
  if (changed && events) mig.push('MIGRATION:' + after.status);
  if (outChanged && events) mig.push('MIGRATION:' + after.outgoing);
  const run = runStateEvents(before.runstate, after.runstate);
  if (!run.length) return mig;
  if (!mig.length) return [...run];
  return statusFirst ? [...mig, ...run] : [...run, ...mig];
}

const NO_EVENTS: readonly EventKey[] = [];

/**
 * The event a run-state change sends. "Live" is running or suspended (include/sysemu/runstate.h:
 * runstate_is_live): leaving a live state sends STOP (system/cpus.c: do_vm_stop), entering one sends
 * RESUME (vm_prepare_start, which starts a VM that was suspended as suspended), and the guest's own
 * suspend sends SUSPEND (system/runstate.c: qemu_system_suspend). Waking up sends WAKEUP, which the
 * engine does not track: in 7.2 a migration wakes a suspended guest and stops it, and WAKEUP came
 * after STOP in a precopy and before it in a postcopy on the binary (the main loop sends it).
 */
export function runStateEvents(before: string, after: string): readonly EventKey[] {
  if (before === after) return NO_EVENTS;
  if (before === 'running' && after === 'suspended') return SUSPEND;
  const wasLive = before === 'running' || before === 'suspended';
  const isLive = after === 'running' || after === 'suspended';
  return wasLive && !isLive ? STOP : !wasLive && isLive ? RESUME : NO_EVENTS;
}
const STOP: readonly EventKey[] = ['STOP'];
const RESUME: readonly EventKey[] = ['RESUME'];
const SUSPEND: readonly EventKey[] = ['SUSPEND'];

/** The state graph of one profile, shared by every user in the process. */
export class StateGraph {
  private readonly nodes = new Map<string, GNode>();
  /** The exited process (an incoming load failed and QEMU exited). */
  readonly exited: GNode;

  constructor(readonly p: Profile) {
    this.exited = { ctx: null as unknown as SideState, key: 'EXITED', succ: [], cmds: new Map() };
  }

  node(ctx: SideState): GNode {
    const k = contextKey(ctx);
    let n = this.nodes.get(k);
    if (!n) this.nodes.set(k, (n = { ctx, key: k }));
    return n;
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Internal successors of a node, each with the events it sends (memoised). */
  succ(n: GNode): readonly { type: InternalEventType; to: GNode; sends: readonly EventKey[]; announced?: true }[] {
    if (!n.succ) {
      const p = this.p;
      const out: { type: InternalEventType; to: GNode; sends: readonly EventKey[]; announced?: true }[] = [];
      for (const type of INTERNAL_EVENTS) {
        if (!mayMove(p, n.ctx, { type })) continue;
        const r = fastStepDetail(p, n.ctx, { type });
        if (!r) continue;
        const to = this.node(r.next);
        const sends = stepEvents(n.ctx, r.next, r.transitions.some((t) => t.statusFirst));
        out.push(ANNOUNCED[type] ? { type, to, sends: sends.length ? sends : NO_EVENTS, announced: true } : { type, to, sends: sends.length ? sends : NO_EVENTS });
      }
      // A destination whose incoming load fails on a channel error announces `failed` and exits
      // (pair.ts: loadFailureExits, the same condition the pair applies).
      const err = out.find((x) => x.type === 'channel-error');
      const afterError = err?.to.ctx ?? n.ctx;
      if (loadFailureExits(afterError)) out.push({ type: 'channel-error', to: this.exited, sends: [...(err?.sends ?? []), ...exitEvents(afterError), 'EXIT'] });
      n.succ = out;
    }
    return n.succ;
  }

  /**
   * A command in a state: QEMU's possible answers, each with the state after it and the events it
   * sends (memoised by command and arguments). The first is the nominal one; the others are
   * environment outcomes (Rule.env: a port in use) that answer differently.
   */
  commands(n: GNode, command: string, args: QmpArguments, argsText = JSON.stringify(args)): readonly CmdResult[] {
    if (n === this.exited) return [{ allowed: false, error: { class: 'Exited', desc: 'the process has exited' }, rule: null, to: n, sends: NO_EVENTS }];
    const k = command + '\u0001' + this.argId(argsText);
    const m = n.cmds ?? (n.cmds = new Map());
    let r = m.get(k);
    if (!r) m.set(k, (r = decideAll(this.p, n.ctx, command, args).map((d, i) => this.result(n, command, args, d, i === 0))));
    return r;
  }

  private readonly argIds = new Map<string, number>();
  /**
   * A number for an argument text, for memo keys: a key that held the text itself would copy it into
   * every node's memo (a 10 MB argument, hundreds of hypotheses: gigabytes). The same string object
   * is hashed once (V8 keeps a string's hash).
   */
  argId(argsText: string): number {
    let id = this.argIds.get(argsText);
    if (id === undefined) this.argIds.set(argsText, (id = this.argIds.size));
    return id;
  }

  /** The nominal answer (commands()[0]). */
  command(n: GNode, command: string, args: QmpArguments, argsText?: string): CmdResult {
    return this.commands(n, command, args, argsText)[0];
  }

  private result(n: GNode, command: string, args: QmpArguments, d: Decision, nominal: boolean): CmdResult {
    const always = d.rule?.alwaysSends ?? [];
    if (!d.allowed) {
      // A refusal that leaves the state changed (Reject.status / outgoing) sends what the change sends.
      const to = d.next ? this.node(d.next) : n;
      const sends = d.next ? stepEvents(n.ctx, to.ctx, false, always) : always.map((s) => 'MIGRATION:' + s);
      return { allowed: false, error: d.error, rule: d.rule?.id ?? null, to, sends: sends.length ? sends : NO_EVENTS };
    }
    const step = nominal ? fastStepDetail(this.p, n.ctx, { type: 'qmp', command, arguments: args }) : null;
    const to = step ? this.node(step.next) : nominal ? n : this.node(d.next);
    const sends = stepEvents(n.ctx, to.ctx, !!d.rule.accept!.statusFirst, always, !!d.rule.resendsStatus);
    return { allowed: true, error: null, rule: d.rule.id, to, sends: sends.length ? sends : NO_EVENTS };
  }
}

const graphs = new WeakMap<Profile, StateGraph>();
/** The profile's state graph (one per profile in the process). */
export function graphOf(p: Profile): StateGraph {
  let g = graphs.get(p);
  if (!g) graphs.set(p, (g = new StateGraph(p)));
  return g;
}

/** Hypotheses with no owed events, from states. */
export function hypsOf(g: StateGraph, ctxs: readonly SideState[]): Hyp[] {
  return ctxs.map((c) => ({ n: g.node(c), owed: NO_EVENTS, assumed: [] }));
}

/**
 * Every hypothesis reachable by internal events from the given ones (breadth-first, CLOSURE_DEPTH
 * deep, deduplicated by state and owed events; the first found, with the fewest assumptions, kept).
 */
export function closure(g: StateGraph, from: readonly Hyp[]): Hyp[] {
  const seen = new Set<string>();
  const out: Hyp[] = [];
  let frontier: Hyp[] = [];
  for (const h of from) {
    const k = hypKey(h) + (h.drain ? '/' + h.drain : '');
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(h);
    frontier.push(h);
  }
  for (let depth = 0; depth < CLOSURE_DEPTH && frontier.length; depth++) {
    const next: Hyp[] = [];
    for (const h of frontier) {
      for (const s of g.succ(h.n)) {
        if (s.announced || h.owed.length + s.sends.length > MAX_OWED) continue;
        const x: Hyp = { n: s.to, owed: s.sends.length ? [...h.owed, ...s.sends] : h.owed, assumed: [...h.assumed, s.type], drain: h.drain };
        const k = hypKey(x) + (x.drain ? '/' + x.drain : '');
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(x);
        next.push(x);
      }
    }
    frontier = next;
  }
  return out;
}

/**
 * An observed event: the hypotheses (after internal events) whose first owed event it is, with it
 * taken off; and, for the event of an ANNOUNCED step, the hypotheses that take that step now (the
 * event is its own: what they owed before stays owed, from steps whose events it overtook).
 */
export function takeEvent(g: StateGraph, from: readonly Hyp[], ev: EventKey): Hyp[] {
  const out: Hyp[] = [];
  const announcing = Object.values(ANNOUNCED).includes(ev);
  for (const h of closure(g, from)) {
    if (h.owed[0] === ev) out.push({ n: h.n, owed: h.owed.slice(1), assumed: h.assumed, drain: h.drain ? h.drain - 1 : undefined });
    if (!announcing || !h.n.ctx) continue;
    for (const s of g.succ(h.n)) {
      if (!s.announced || ANNOUNCED[s.type] !== ev) continue;
      const rest = s.sends[0] === ev ? s.sends.slice(1) : s.sends;
      out.push({ n: s.to, owed: rest.length ? [...h.owed, ...rest] : h.owed, assumed: [...h.assumed, s.type], drain: h.drain });
    }
  }
  return out;
}

/** What a command's reply says. */
export type Outcome = { allowed: true } | { allowed: false; error: QmpError };

export function sameOutcome(r: CmdResult, o: Outcome): boolean {
  return r.allowed === o.allowed && (r.allowed || (!o.allowed && r.error!.class === o.error.class && r.error!.desc === o.error.desc));
}

/**
 * A command runs (after internal events) with the given outcome: each hypothesis that answers the
 * same way, advanced by it, owing what the command sends. Also gives, per result, the state it ran in
 * and the rule that decided.
 */
export function runCommand(g: StateGraph, from: readonly Hyp[], command: string, args: QmpArguments, argsText: string, outcome: Outcome | null): { hyp: Hyp; before: GNode; result: CmdResult }[] {
  const out: { hyp: Hyp; before: GNode; result: CmdResult }[] = [];
  const seen = new Set<string>();
  for (const h of closure(g, from)) {
    const results = g.commands(h.n, command, args, argsText);
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (outcome ? !sameOutcome(r, outcome) : i > 0) continue;
      const owed = r.sends.length ? [...h.owed, ...r.sends] : h.owed;
      const hyp: Hyp = { n: r.to, owed, assumed: h.assumed, drain: h.drain };
      // The drain mark is part of the key: the same state owing the same events may have to show
      // them before this reply (owed when the observation began) or not (owed by steps taken since),
      // and keeping only the first would drop the explanation that is free to wait.
      const k = hypKey(hyp) + (hyp.drain ? '/' + hyp.drain : '') + '|' + h.n.key;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ hyp, before: h.n, result: r });
    }
  }
  return out;
}

/**
 * The events a hypothesis owes when a command is sent must all arrive before its reply (`drain`,
 * see startObservation). Events of steps taken while the command was in flight may come after the
 * reply that already shows the step: QEMU changes the state first and sends the event after
 * (do_vm_stop: runstate_set, then pause_all_vcpus, which lets go of the BQL, then the STOP event;
 * seen on the 7.2 binary: query-status finish-migrate answered before STOP).
 */
export function startObservation(from: readonly Hyp[]): Hyp[] {
  return from.map((h) => (h.owed.length ? { n: h.n, owed: h.owed, assumed: h.assumed, drain: h.owed.length } : h));
}

/** The reply arrived: hypotheses that still owe events sent before its command cannot explain it. */
export function settleReply(from: readonly Hyp[]): Hyp[] {
  const out: Hyp[] = [];
  for (const h of from) if (!h.drain) out.push(h.drain === undefined ? h : { n: h.n, owed: h.owed, assumed: h.assumed });
  return out;
}

/** The end of a process's lines: only hypotheses that owe nothing explain it (a process that exited owes its exit). */
export function settleEnd(from: readonly Hyp[]): Hyp[] {
  return from.filter((h) => h.owed.length === 0 || (h.owed.length === 1 && h.owed[0] === 'EXIT'));
}
