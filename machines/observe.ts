// Explaining what is observed over QMP by what the model cannot observe. QMP shows replies, statuses
// and events; what QEMU's threads do (converge, a channel breaking, a checkpoint) is not in it. A
// side's possible states are therefore a set: after each observation, keep the states that some
// sequence of internal events leads to and that agree with what was observed (trace inclusion).
// This is the snapshot face of inclusion.ts: the same state graph (internal steps, command answers),
// with xstate snapshots for consumers that replay chart edges (the conformance runner); the events
// each step owes are inclusion.ts's to check (check-trace replays every trace the runner records).
import type { StateValue } from 'xstate';
import type { Profile } from './profile.ts';
import { CLOSURE_DEPTH, graphOf, type GNode } from './inclusion.ts';
import { sideMachine, valueOfContext, type SideSnapshot } from './side.ts';
import type { InternalEventType, QmpArguments, QmpError } from './vocabulary.ts';
import { reportedStatus } from './rules.ts';

/** A possible state of a side, with the internal events assumed to reach it since the last step. */
export interface Hypothesis {
  snapshot: SideSnapshot;
  assumed: InternalEventType[];
}

/** What one observation says of a side's state; absent fields say nothing. */
export interface Observation {
  status?: string;
  runstate?: string;
}

/** The snapshot of a state-graph node, made once (the context mirrors every region: side.ts valueOfContext). */
const snapshots = new WeakMap<GNode, SideSnapshot>();
function snapshotOf(p: Profile, n: GNode): SideSnapshot {
  let s = snapshots.get(n);
  if (!s) snapshots.set(n, (s = sideMachine(p, n.ctx.side).resolveState({ value: valueOfContext(n.ctx) as StateValue, context: n.ctx })));
  return s;
}

/**
 * Every state reachable by internal events alone from the given ones (breadth-first, deduplicated):
 * the internal steps of trace inclusion's state graph (inclusion.ts: StateGraph.succ, memoised per
 * profile), without the events they owe, as snapshots. A process that exits is judged by its exit,
 * so the exited node is left out.
 */
export function internalClosure(p: Profile, from: readonly Hypothesis[], maxDepth = CLOSURE_DEPTH): Hypothesis[] {
  const g = graphOf(p);
  const seen = new Set<GNode>();
  const out: Hypothesis[] = [];
  let frontier: { h: Hypothesis; n: GNode }[] = [];
  for (const h of from) {
    const n = g.node(h.snapshot.context);
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(h);
    frontier.push({ h, n });
  }
  for (let depth = 0; depth < maxDepth && frontier.length; depth++) {
    const next: typeof frontier = [];
    for (const { h, n } of frontier) {
      for (const s of g.succ(n)) {
        if (s.announced || s.to === g.exited || seen.has(s.to)) continue;
        seen.add(s.to);
        const nh = { snapshot: snapshotOf(p, s.to), assumed: [...h.assumed, s.type] };
        out.push(nh);
        next.push({ h: nh, n: s.to });
      }
    }
    frontier = next;
  }
  return out;
}

/**
 * A step QEMU announced with its event (inclusion.ts ANNOUNCED: the guest's suspend) was seen: the
 * states, reachable by internal events from `from`, that take it, each after it.
 */
export function announce(p: Profile, from: readonly Hypothesis[], type: InternalEventType): Hypothesis[] {
  const g = graphOf(p);
  const out: Hypothesis[] = [];
  const seen = new Set<GNode>();
  for (const h of internalClosure(p, from)) {
    for (const s of g.succ(g.node(h.snapshot.context))) {
      if (s.type !== type || seen.has(s.to)) continue;
      seen.add(s.to);
      out.push({ snapshot: snapshotOf(p, s.to), assumed: [...h.assumed, type] });
    }
  }
  return out;
}

export function agrees(s: SideSnapshot, o: Observation): boolean {
  return (o.status === undefined || reportedStatus(s.context) === o.status) && (o.runstate === undefined || s.context.runstate === o.runstate);
}

/** The states, reachable by internal events from `from`, that agree with the observation; fewest assumptions first. */
export function explain(p: Profile, from: readonly Hypothesis[], o: Observation): Hypothesis[] {
  return internalClosure(p, from).filter((h) => agrees(h.snapshot, o));
}

export type CommandOutcome = { allowed: true; reply?: unknown } | { allowed: false; error: QmpError };

/**
 * A QMP command and its observed outcome: the hypotheses (after internal events) under which the
 * model answers the same way, each advanced by the command. Empty: the model cannot explain it.
 */
export function applyCommand(p: Profile, from: readonly Hypothesis[], command: string, args: QmpArguments, observed: CommandOutcome): Hypothesis[] {
  return advanceBy(p, internalClosure(p, from), command, args, observed).map((a) => a.hyp);
}

/**
 * applyCommand over an already computed closure, keeping for each result the state it was taken
 * from and the rule that decided (the conformance runner memoizes closures and counts edges).
 */
export function advanceBy(p: Profile, closure: readonly Hypothesis[], command: string, args: QmpArguments, observed: CommandOutcome): { hyp: Hypothesis; before: SideSnapshot; rule: string | null }[] {
  const g = graphOf(p);
  const argsText = JSON.stringify(args);
  const out: { hyp: Hypothesis; before: SideSnapshot; rule: string | null }[] = [];
  const seen = new Set<GNode>();
  for (const h of closure) {
    const n = g.node(h.snapshot.context);
    // The nominal answer, and the environment outcomes (rules.ts decideAll: errors that change nothing).
    for (const r of g.commands(n, command, args, argsText)) {
      const same = r.allowed === observed.allowed && (r.allowed || (!observed.allowed && r.error!.class === observed.error.class && r.error!.desc === observed.error.desc));
      if (!same || seen.has(r.to)) continue;
      seen.add(r.to);
      out.push({ hyp: { snapshot: r.to === n ? h.snapshot : snapshotOf(p, r.to), assumed: h.assumed }, before: h.snapshot, rule: r.allowed || r.to !== n ? r.rule : null });
    }
  }
  return out;
}
