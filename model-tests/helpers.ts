// Test helpers: explore a side under every capability variant and record which chart edges each
// step takes, so the tests can demand that every edge is taken and lands where it says.
import {
  CAP_VARIANTS, INTERNAL_EVENTS, evalCond, mayMove, REGIONS, MIRROR, within, coloChart, failoverChart, returnPathChart, chartEdges, destinationStatusChart, exploreSide, movingProbes, probeEvent, runStateChart,
  sourceStatusChart, stepSide, type ChartEdge, type Profile, type Reached, type Side, type SideEvent, type SideSnapshot,
} from '../machines/index.ts';

export function edgesOf(p: Profile, side: Side): ChartEdge[] {
  const status = side === 'source' ? sourceStatusChart(p) : destinationStatusChart(p);
  const run = runStateChart(p, side, side === 'source' ? 'running' : 'inmigrate');
  return [status, run, coloChart(p, side), failoverChart(p, side), returnPathChart(p, side)].flatMap((c) => chartEdges(p, c));
}

export function edgeId(e: ChartEdge): string {
  return `${e.chart}:${e.from}-[${e.meta.rule ?? e.meta.transition}]->${e.to}`;
}

export function alphabet(p: Profile, side: Side): SideEvent[] {
  return [...movingProbes(p, side).map(probeEvent), ...INTERNAL_EVENTS.map((type) => ({ type }) as SideEvent)];
}

export interface Step {
  before: SideSnapshot;
  event: SideEvent;
  after: SideSnapshot;
  reply: unknown;
  taken: ChartEdge[];
}

/** The chart edges a step took: a region moved from `from` to `to` on that event, by that rule. */
export function takenEdges(p: Profile, edges: ChartEdge[], before: SideSnapshot, event: SideEvent, after: SideSnapshot, rule: string | null): ChartEdge[] {
  const out: ChartEdge[] = [];
  for (const region of REGIONS) {
    const from = before.context[MIRROR[region]] as string;
    const to = after.context[MIRROR[region]] as string;
    // The first edge in document order whose own guard held in the state before is the one taken
    // (an edge may leave from a compound state that contains the leaf).
    const hit = edges.find(
      (e) =>
        e.region === region && within(from, e.from) && e.to === to && e.event === event.type &&
        (e.meta.kind === 'qmp' ? e.meta.rule === rule : evalCond(p.transitions.find((t) => t.id === e.meta.transition)!.when, before.context, {}, p) !== false),
    );
    if (hit && (from !== to || hit.from === hit.to || e_changed(before, after))) out.push(hit);
  }
  return out;
}

function e_changed(before: SideSnapshot, after: SideSnapshot): boolean {
  return JSON.stringify(before.context) !== JSON.stringify(after.context);
}

/**
 * Every reachable state of a side under every capability variant, with the steps out of it that
 * change something (events the search filter `mayMove` rules out are skipped; the charts test
 * checks that filter separately).
 */
export function allSteps(p: Profile, side: Side): { reached: Reached[]; steps: Step[] } {
  const edges = edgesOf(p, side);
  const reached: Reached[] = [];
  const steps: Step[] = [];
  for (const caps of CAP_VARIANTS) {
    if (!caps.every((c) => p.capabilities.includes(c))) continue;
    const incomings = side === 'destination' ? (['defer', 'uri'] as const) : (['defer'] as const);
    for (const inc of incomings) {
      for (const r of exploreSide(p, side, caps, inc)) {
        reached.push(r);
        for (const e of alphabet(p, side)) {
          if (!mayMove(p, r.snapshot.context, e)) continue;
          const res = stepSide(p, r.snapshot, e);
          if (!res.changed) continue;
          const rule = res.decision?.allowed ? res.decision.rule.id : null;
          steps.push({ before: r.snapshot, event: e, after: res.snapshot, reply: res.decision?.allowed ? res.decision.reply : undefined, taken: takenEdges(p, edges, r.snapshot, e, res.snapshot, rule) });
        }
      }
    }
  }
  return { reached, steps };
}
