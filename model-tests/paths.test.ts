// Paths generated from the side charts with @xstate/graph: a shortest path to every state each side
// passes through in the pair, and a set of paths that together take every chart transition. Each
// covering path is replayed from its start, asserting the five charts after every step; a sample of
// the state paths too. Coverage is printed; a transition never covered fails.
import { afterAll, describe, expect, it } from 'vitest';
import { SIDES, getProfile, movingRule, profileNames, startSide, stepSide } from '../machines/index.ts';
import { explorePair } from '../machines/explore-pair.ts';
import { expectOf, pathExport, sidePaths, type SidePath } from '../machines/paths.ts';

const coverage: string[] = [];
afterAll(() => console.log('\npath coverage:\n' + coverage.join('\n')));

function replay(p: ReturnType<typeof getProfile>, path: SidePath) {
  let s = startSide(p, path.start);
  if (path.caps.length) {
    const r = stepSide(p, s, { type: 'qmp', command: 'migrate-set-capabilities', arguments: { capabilities: path.caps.map((capability) => ({ capability, state: true })) } });
    expect(r.decision?.allowed).toBe(true);
    s = r.snapshot;
  }
  for (const [i, step] of path.steps.entries()) {
    const r = stepSide(p, s, step.event);
    expect(r.changed, `step ${i + 1} (${JSON.stringify(step.event)}) changes the state`).toBe(true);
    // Accepted, or refused leaving the state changed (Reject.status: 7.2's migrate to an unknown scheme).
    if (step.event.type === 'qmp') expect(movingRule(r.decision), `step ${i + 1} takes its row's edge`).not.toBeNull();
    s = r.snapshot;
    expect(expectOf(s), `after step ${i + 1} (${JSON.stringify(step.event)})`).toEqual(step.expect);
  }
}

describe.each(profileNames().map((n) => [n] as const))('%s', (name) => {
  const p = getProfile(name);
  it('covers every chart transition of both sides with replayable paths', { timeout: 180_000 }, () => {
    // suspend, cpr: the guest-suspend and cpr-stop steps, which no other start reaches.
    const { explorer } = explorePair(p, { invariants: [], restart: true, suspend: true, cpr: true });
    for (const side of SIDES) {
      const r = sidePaths(p, side, { within: explorer.sideKeys(side) });
      for (const path of r.cover) replay(p, path);
      for (let i = 0; i < r.states.length; i += 50) replay(p, r.states[i]);
      // The export is QMP commands and internal events, one expected state per path step.
      const e = pathExport(r.cover[0]);
      expect(e.expect.length).toBe(r.cover[0].steps.length);
      const missing = r.edges.filter((x) => !r.covered.includes(x));
      coverage.push(`${name} ${side}: ${r.stateCount} states (shortest paths to each), transitions covered ${r.covered.length}/${r.edges.length} by ${r.cover.length} paths`);
      expect(missing, `${name} ${side}: transitions no path takes`).toEqual([]);
    }
  });
});
