// Test helpers: explore a side under every capability variant and record which chart edges each
// step takes, so the tests can demand that every edge is taken and lands where it says.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CAP_VARIANTS, mayMove, movingRule, exploreSide, stepSide, type ChartEdge, type Profile, type Reached, type Side, type SideEvent, type SideSnapshot } from '../machines/index.ts';
import { checkTraceText, isDeparture } from '../trace/check.ts';

// The chart edges of a side, their names, the search alphabet: machines/paths.ts (the generated
// paths use the same), under the names the tests have always used.
import { sideEdges as edgesOf, edgeName as edgeId, sideAlphabet as alphabet, stepEdges as takenEdges } from '../machines/paths.ts';
export { edgesOf, edgeId, alphabet, takenEdges };

export interface Step {
  before: SideSnapshot;
  event: SideEvent;
  after: SideSnapshot;
  reply: unknown;
  taken: ChartEdge[];
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
          const rule = movingRule(res.decision);
          steps.push({ before: r.snapshot, event: e, after: res.snapshot, reply: res.decision?.allowed ? res.decision.reply : undefined, taken: takenEdges(p, edges, r.snapshot, e, res.snapshot, rule) });
        }
      }
    }
  }
  return { reached, steps };
}

/**
 * The round trip: a trace the conformance runner recorded, replayed through check-trace's checker
 * (trace/check.ts) with the same profile. Returns its departures (one line each), none when it conforms.
 */
export function replayDepartures(p: Profile, file: string): string[] {
  const r = checkTraceText(p, readFileSync(file, 'utf8'));
  if (r.code === 2) return [`not a trace: ${r.stderr.trim()}`];
  return r.stdout
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as { line: number; vm: string; kind: string; expected: unknown; observed: unknown })
    .filter((f) => isDeparture(f))
    .map((f) => `${basename(file)} line ${f.line} ${f.vm}: ${f.kind}: expected ${JSON.stringify(f.expected)}, observed ${JSON.stringify(f.observed)}`);
}
