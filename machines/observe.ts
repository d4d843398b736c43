// Explaining what is observed over QMP by what the model cannot observe. QMP shows replies, statuses
// and events; what QEMU's threads do (converge, a channel breaking, a checkpoint) is not in it. A
// side's possible states are therefore a set: after each observation, keep the states that some
// sequence of internal events leads to and that agree with what was observed (trace inclusion).
import type { Profile } from './profile.ts';
import { decideAll } from './rules.ts';
import { mayMove } from './explore.ts';
import { stepSide, stateKey, type SideSnapshot } from './side.ts';
import { INTERNAL_EVENTS, type InternalEventType, type QmpArguments, type QmpError } from './vocabulary.ts';

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

/** Every state reachable by internal events alone from the given ones (breadth-first, deduplicated). */
export function internalClosure(p: Profile, from: readonly Hypothesis[], maxDepth = 12): Hypothesis[] {
  const seen = new Set<string>();
  const out: Hypothesis[] = [];
  let frontier: Hypothesis[] = [];
  for (const h of from) {
    const k = stateKey(h.snapshot);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(h);
    frontier.push(h);
  }
  for (let depth = 0; depth < maxDepth && frontier.length; depth++) {
    const next: Hypothesis[] = [];
    for (const h of frontier) {
      for (const type of INTERNAL_EVENTS) {
        if (!mayMove(p, h.snapshot.context, { type })) continue;
        const r = stepSide(p, h.snapshot, { type });
        if (!r.changed) continue;
        const k = stateKey(r.snapshot);
        if (seen.has(k)) continue;
        seen.add(k);
        const nh = { snapshot: r.snapshot, assumed: [...h.assumed, type] };
        out.push(nh);
        next.push(nh);
      }
    }
    frontier = next;
  }
  return out;
}

export function agrees(s: SideSnapshot, o: Observation): boolean {
  return (o.status === undefined || s.context.status === o.status) && (o.runstate === undefined || s.context.runstate === o.runstate);
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
  const out: { hyp: Hypothesis; before: SideSnapshot; rule: string | null }[] = [];
  const seen = new Set<string>();
  for (const h of closure) {
    const r = stepSide(p, h.snapshot, { type: 'qmp', command, arguments: args });
    // The nominal answer, and the environment outcomes (rules.ts decideAll: errors that change nothing).
    const answers = decideAll(p, h.snapshot.context, command, args).map((d, i) => ({ d, snapshot: i === 0 ? r.snapshot : h.snapshot }));
    for (const { d, snapshot } of answers) {
      const same = d.allowed === observed.allowed && (d.allowed || (!observed.allowed && d.error.class === observed.error.class && d.error.desc === observed.error.desc));
      if (!same) continue;
      const k = stateKey(snapshot);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ hyp: { snapshot, assumed: h.assumed }, before: h.snapshot, rule: d.allowed ? d.rule.id : null });
    }
  }
  return out;
}
