// `migstate explore`, `migstate hazards` and `migstate paths`: model checking of the pair, the
// design-review comparison against the proposed profile, and the generated test paths.
// Exit 0: done (explore: no claimed invariant violated); 1: explore found violations; 2: bad usage.
import { PROFILES, getProfile } from '../machines/profiles/index.ts';
import type { Profile } from '../machines/profile.ts';
import { capVariants, eventText, explorePair, pathTrace, stateText, type ExploreOptions } from '../machines/explore-pair.ts';
import { INVARIANTS, holdsIn } from '../machines/invariants.ts';
import { hazards } from '../machines/hazards.ts';
import { pathExport, sidePaths } from '../machines/paths.ts';
import { UsageError, write, parseOptions, type Options } from './io.ts';

/** Options only, no positionals. */
const parse = (args: string[], options: Options) => parseOptions(args, options).values;

function profileOf(v: string | boolean | undefined, flag = 'profile'): Profile {
  if (typeof v !== 'string') throw new UsageError(`--${flag} is required (one of: ${PROFILES.map((p) => p.name).join(', ')})`);
  try {
    return getProfile(v);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** --caps all | none | a,b,c (one capability set, enabled on both sides). */
function capsOf(p: Profile, v: string | boolean | undefined): (readonly string[])[] {
  if (v === undefined || v === 'all') return capVariants(p);
  if (typeof v !== 'string') throw new UsageError('--caps needs a value: all, none, or a comma-separated list of capabilities');
  if (v === 'none' || v === '') return [[]];
  const list = [...new Set(v.split(',').map((x) => x.trim()).filter(Boolean))].sort();
  const bad = list.filter((c) => !p.capabilities.includes(c));
  if (bad.length) throw new UsageError(`--caps: unknown capabilit${bad.length > 1 ? 'ies' : 'y'} ${bad.map((b) => `'${b}'`).join(', ')} in profile ${p.name}`);
  return [list];
}

function depthOf(v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError('--max-depth must be a non-negative integer');
  return n;
}

export async function exploreCmd(args: string[]): Promise<number> {
  const o = parse(args, { profile: { type: 'string' }, caps: { type: 'string' }, 'max-depth': { type: 'string' }, json: { type: 'boolean' }, restart: { type: 'boolean' } });
  const p = profileOf(o.profile);
  const opts: ExploreOptions = { caps: capsOf(p, o.caps), maxDepth: depthOf(o['max-depth']), restart: o.restart === true };
  // The wall clock is the caller's: the model's results are the same on any machine.
  const t0 = performance.now();
  const { explorer, result } = explorePair(p, opts);
  const seconds = (performance.now() - t0) / 1000;
  if (opts.caps!.length && result.roots === 0) throw new UsageError(`--caps: QEMU refuses this capability set at start-up in profile ${p.name} (migrate_caps_check)`);
  const violations = result.violations.map((v) => ({ ...v, state: stateText(explorer.stateAt(v.state)), trace: pathTrace(p, explorer.pathTo(v.state)).lines }));
  const notClaimed = INVARIANTS.filter((i) => !holdsIn(i, p)).map((i) => ({ name: i.name, why: i.scopeNote ?? '' }));
  if (o.json === true) {
    await write(JSON.stringify({ ...result, seconds, statesPerSecond: Math.round(result.states / Math.max(seconds, 1e-9)), notClaimed, violations }, null, 1) + '\n');
  } else {
    await write(
      `profile ${p.name}: ${result.states} states, ${result.transitions} transitions, depth ${result.depth}${result.truncated ? ' (cut at --max-depth)' : ''}, ` +
        `${seconds.toFixed(2)} s, ${Math.round(result.states / Math.max(seconds, 1e-9))} states/s\n` +
        `  roots ${result.roots} (capability sets: ${result.caps.map((c) => `[${c.join(',')}]`).join(' ')}), side states: source ${result.sideStates.source}, destination ${result.sideStates.destination}; xstate steps ${result.xstateSteps}\n` +
        `  invariants checked: ${result.invariants.length}` + (notClaimed.length ? `; not claimed in ${p.name}: ${notClaimed.map((x) => x.name).join(', ')}` : '') + '\n',
    );
    if (!violations.length) await write('  every invariant holds in every reached state\n');
    for (const v of violations) {
      await write(`\nVIOLATED ${v.invariant} in ${v.count} state(s); shortest trace (depth ${v.depth}) reaches: ${v.state}\n`);
      for (const l of v.trace) await write(JSON.stringify(l) + '\n');
    }
  }
  return violations.length ? 1 : 0;
}

export async function hazardsCmd(args: string[]): Promise<number> {
  const o = parse(args, { profile: { type: 'string' }, against: { type: 'string' }, caps: { type: 'string' }, 'max-depth': { type: 'string' }, json: { type: 'boolean' } });
  const p = profileOf(o.profile);
  const other = profileOf(o.against ?? 'proposed', 'against');
  if (other.name === p.name) throw new UsageError('--against must name another profile');
  const t0 = performance.now();
  const r = hazards(p, other, { caps: capsOf(p, o.caps), maxDepth: depthOf(o['max-depth']) });
  const seconds = (performance.now() - t0) / 1000;
  if (o.json === true) {
    await write(JSON.stringify({ ...r, seconds, hazards: r.hazards.map((h) => ({ ...h, trace: pathTrace(p, h.path).lines })) }, null, 1) + '\n');
    return 0;
  }
  await write(`${p.name} against ${other.name}: ${r.hazards.length} hazard(s) over ${r.states} reachable pair states (${seconds.toFixed(1)} s)\n`);
  for (const h of r.hazards) {
    await write(
      `\n${h.side}: ${h.probe.label} accepted by ${p.name} (${h.acceptedBy}), refused by ${other.name} (${h.refusedBy ?? '-'}: ${h.error.desc})\n` +
        `  in ${h.states} pair states (${h.sideStates} ${h.side} states); first: status ${h.where.status}, run state ${h.where.runstate}${h.where.listening ? ', listening' : ''}${h.where.colo !== 'none' ? `, COLO ${h.where.colo}` : ''}, depth ${h.depth}\n` +
        `  shortest path: ${[`start ${JSON.stringify(h.path.start.input)}`, ...(h.path.start.caps.length ? [`caps [${h.path.start.caps.join(',')}] on both sides`] : []), ...h.path.steps.map(eventText)].join(' ; ')}\n`,
    );
  }
  return 0;
}

export async function pathsCmd(args: string[]): Promise<number> {
  const o = parse(args, { profile: { type: 'string' }, json: { type: 'boolean' }, side: { type: 'string' }, states: { type: 'boolean' } });
  const p = profileOf(o.profile);
  if (o.side !== undefined && o.side !== 'source' && o.side !== 'destination') throw new UsageError('--side must be one of: source, destination');
  const sides = o.side ? [o.side as 'source' | 'destination'] : (['source', 'destination'] as const);
  const { explorer } = explorePair(p, { invariants: [], restart: true });
  const out = sides.map((side) => {
    const r = sidePaths(p, side, { within: explorer.sideKeys(side) });
    return { side, r };
  });
  if (o.json === true) {
    await write(
      JSON.stringify(
        out.map(({ side, r }) => ({
          profile: p.name, side, states: r.stateCount, transitions: { covered: r.covered.length, total: r.edges.length, missing: r.edges.filter((e) => !r.covered.includes(e)) },
          cover: r.cover.map(pathExport), ...(o.states === true ? { statePaths: r.states.map(pathExport) } : {}),
        })),
        null,
        1,
      ) + '\n',
    );
    return 0;
  }
  for (const { side, r } of out) {
    await write(`${p.name} ${side}: ${r.stateCount} states, transitions covered ${r.covered.length}/${r.edges.length}, ${r.cover.length} covering paths\n`);
    for (const [i, path] of r.cover.entries()) {
      const e = pathExport(path);
      await write(`  path ${i + 1} start ${JSON.stringify(e.start)}: ${e.steps.map((s) => ('qmp' in s ? `${s.qmp.execute}${s.qmp.arguments ? ' ' + JSON.stringify(s.qmp.arguments) : ''}` : `(${s.internal})`)).join(' ; ')}\n`);
    }
  }
  return 0;
}
