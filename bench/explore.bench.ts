// Benchmark of the explorer, side by side with @xstate/graph in the same run.
// Run: npx tsx bench/explore.bench.ts [--pair-caps CAP,...] [PROFILE...]
// For each profile: (1) `explore --caps all` (the compiled pair search, invariants checked);
// (2) the pair for one capability set, compiled and as @xstate/graph traverses it (stepPair wrapped
// as an actor logic); (3) each side machine alone over every capability variant, with the compiled tables and with
// @xstate/graph's getAdjacencyMap on the same machine, start states and alphabet (the full
// alphabet, as @xstate/graph is given it; and the same alphabet pre-filtered by mayMove), with the
// state counts, which must be equal.
import { cpus, loadavg } from 'node:os';
import { getAdjacencyMap } from '@xstate/graph';
import { fromTransition } from 'xstate';
import { getProfile, profileNames, sideMachine, startSide, stepSide, stateKey, mayMove, type SideSnapshot, type SideEvent, type Profile, type Side } from '../machines/index.ts';
import { capVariants, exploreSideCompiled, explorePair, pairAlphabet, pairKey, rootStates } from '../machines/explore-pair.ts';
import { stepPair, type PairState, type PairEvent } from '../machines/pair.ts';
import { sideAlphabet } from '../machines/paths.ts';

// --pair-caps a,b: the capability set for the pair comparison with @xstate/graph (default none:
// [return-path,x-colo] takes @xstate/graph ~330 s for qemu-7.2 alone on a 2-core machine).
const argv = process.argv.slice(2);
const pc = argv.indexOf('--pair-caps');
const pairCaps = pc >= 0 ? (argv.splice(pc, 2)[1] ?? '').split(',').filter(Boolean) : [];
const names = argv.length ? argv : profileNames();

function graphSide(p: Profile, side: Side, caps: readonly string[], filtered: boolean): Set<string> {
  const input = side === 'source' ? { side } : { side, incoming: 'defer' as const };
  let from = startSide(p, input);
  if (caps.length) {
    const r = stepSide(p, from, { type: 'qmp', command: 'migrate-set-capabilities', arguments: { capabilities: caps.map((capability) => ({ capability, state: true })) } });
    if (!r.decision?.allowed) return new Set();
    from = r.snapshot;
  }
  const alphabet = sideAlphabet(p, side);
  const adj = getAdjacencyMap(sideMachine(p, side), {
    input,
    fromState: from,
    events: filtered ? (s: SideSnapshot) => alphabet.filter((e: SideEvent) => mayMove(p, s.context, e)) : alphabet,
    serializeState: (s: SideSnapshot) => stateKey(s),
  } as never);
  return new Set(Object.keys(adj));
}

/** The pair as an ActorLogic (stepPair), traversed by @xstate/graph from each root of one capability set. */
function graphPair(p: Profile, caps: readonly string[]): Set<string> {
  const alphabet = pairAlphabet(p);
  const out = new Set<string>();
  for (const r of rootStates(p, [caps])) {
    const logic = fromTransition((s: PairState, e: PairEvent) => stepPair(p, s, e).state, r.state);
    const adj = getAdjacencyMap(logic as never, { events: alphabet, serializeState: (s: { context: PairState }) => pairKey(s.context) } as never);
    for (const k of Object.keys(adj)) out.add(k);
  }
  return out;
}

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};

console.log(`# explore bench: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, node ${process.version}`);
const rows: string[] = [];
let totalExplore = 0;
for (const name of names) {
  const p = getProfile(name);
  const [{ result }, te] = time(() => explorePair(p, {}));
  totalExplore += te;
  console.log(`\n## ${name}\nexplore --caps all: ${result.states} pair states, ${result.transitions} transitions, depth ${result.depth}, ${te.toFixed(2)} s (${Math.round(result.states / te)} states/s), xstate steps ${result.xstateSteps}, violations ${result.violations.length}`);
  {
    const caps = pairCaps;
    const [{ result: r1 }, t1] = time(() => explorePair(p, { caps: [caps], invariants: [] }));
    const [g, t2] = time(() => graphPair(p, caps));
    console.log(`pair, caps [${caps}]: compiled ${r1.states} states ${t1.toFixed(2)} s | @xstate/graph over stepPair ${g.size} states ${t2.toFixed(2)} s (x${(t2 / t1).toFixed(1)}) | same count: ${g.size === r1.states}`);
  }
  for (const side of ['source', 'destination'] as const) {
    let compiledStates = 0;
    let graphStates = 0;
    let graphFilteredStates = 0;
    let tc = 0;
    let tg = 0;
    let tgf = 0;
    let same = true;
    for (const caps of capVariants(p)) {
      const input = side === 'source' ? { side } : { side, incoming: 'defer' as const };
      const [c, t1] = time(() => exploreSideCompiled(p, side, caps, [input]));
      const [g, t2] = time(() => graphSide(p, side, caps, false));
      const [gf, t3] = time(() => graphSide(p, side, caps, true));
      tc += t1;
      tg += t2;
      tgf += t3;
      compiledStates += c.keys.length;
      graphStates += g.size;
      graphFilteredStates += gf.size;
      if (c.keys.length !== g.size || !c.keys.every((k) => g.has(k)) || gf.size !== g.size) same = false;
    }
    const line = `${name} ${side}: compiled ${compiledStates} states ${tc.toFixed(2)} s | @xstate/graph ${graphStates} states ${tg.toFixed(2)} s (x${(tg / tc).toFixed(1)}) | @xstate/graph, mayMove-filtered events ${graphFilteredStates} states ${tgf.toFixed(2)} s (x${(tgf / tc).toFixed(1)}) | same states: ${same}`;
    console.log(line);
    rows.push(line);
  }
}
console.log(`\ntotal explore --caps all over ${names.length} profile(s): ${totalExplore.toFixed(2)} s`);
