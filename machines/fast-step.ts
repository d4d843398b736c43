// A side's step computed straight from the profile's data, without xstate's interpreter: the same
// selection xstate makes for these charts (per region, the first enabled transition from the
// deepest state up, in document order; guards read the state before the event; then the effects,
// then the regions' new leaves). Searches step millions of times; xstate's microstep costs
// ~100 µs, this a few. model-tests/fast-step.test.ts checks it against xstate's `transition` on every
// (state, event) of the explored state spaces.
import type { ChartTransition, Profile, SideState } from './profile.ts';
import { decide, evalCond } from './rules.ts';
import { CHART_REGION, MIRROR, REGIONS, type Region } from './chart.ts';
import { applyTransitionEffects } from './side.ts';
import { contextKey } from './state-key.ts';
import type { Side, SideEvent } from './vocabulary.ts';

// The key lives in state-key.ts (one field list for both keys); re-exported for this module's importers.
export { contextKey };

type Table = Map<string, ChartTransition[]>; // `${region}|${statePath}|${event}` -> transitions in document order

const tables = new WeakMap<Profile, Record<Side, Table>>();

function tableFor(p: Profile, side: Side): Table {
  let t = tables.get(p);
  if (!t) {
    t = { source: new Map(), destination: new Map() };
    for (const tr of p.transitions) {
      const region = CHART_REGION[tr.chart];
      for (const s of ['source', 'destination'] as const) {
        if (tr.chart === 'source-status' && s !== 'source') continue;
        if (tr.chart === 'destination-status' && s !== 'destination') continue;
        if (tr.side !== undefined && tr.side !== s) continue;
        for (const from of tr.from) {
          const k = `${region}|${from}|${tr.event}`;
          if (!t[s].has(k)) t[s].set(k, []);
          t[s].get(k)!.push(tr);
        }
      }
    }
    tables.set(p, t);
  }
  return t[side];
}

/** The leaf path and its ancestors, deepest first ('a.b.c' -> 'a.b.c', 'a.b', 'a'). */
function upward(path: string): string[] {
  const parts = path.split('.');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('.'));
}

type Candidates = Map<string, Map<string, ChartTransition[]>>; // leaf -> event -> transitions
const candidateCache = new WeakMap<Table, Record<string, Candidates>>();
/**
 * The transitions an event may take from a region's leaf, in the order xstate tries them: the
 * leaf's own in document order, then its parent's, and so on up (the first enabled one wins).
 * Looked up by the leaf and event strings themselves (no key built per step: this is the hot path).
 */
function candidates(table: Table, region: Region, leaf: string, event: string): ChartTransition[] {
  let byRegion = candidateCache.get(table);
  if (!byRegion) candidateCache.set(table, (byRegion = {}));
  const byLeaf = (byRegion[region] ??= new Map());
  let byEvent = byLeaf.get(leaf);
  if (!byEvent) byLeaf.set(leaf, (byEvent = new Map()));
  let list = byEvent.get(event);
  if (!list) byEvent.set(event, (list = upward(leaf).flatMap((path) => table.get(`${region}|${path}|${event}`) ?? [])));
  return list;
}

/** The state after `e`, or null when nothing changes (a rejected command, no enabled transition). */
export function fastStep(p: Profile, c: SideState, e: SideEvent): SideState | null {
  return fastStepDetail(p, c, e)?.next ?? null;
}

const NO_TRANSITIONS: readonly ChartTransition[] = [];

/**
 * fastStep, also giving the chart transitions the step took (none for a command: its rule moves the
 * charts). Trace inclusion reads them for the order of the events the step sends.
 */
export function fastStepDetail(p: Profile, c: SideState, e: SideEvent): { next: SideState; transitions: readonly ChartTransition[] } | null {
  if (e.type === 'qmp') {
    const d = decide(p, c, e.command, e.arguments ?? {});
    if (!d.allowed && !d.next) return null;
    const a = d.allowed ? d.rule.accept! : null;
    const next = a?.failover ? { ...d.next!, failover: a.failover } : d.next!;
    // Accepted but changing nothing (e.g. migrate_cancel with no migration): no step, as in xstate.
    return next === c || contextKey(next) === contextKey(c) ? null : { next, transitions: NO_TRANSITIONS };
  }
  const table = tableFor(p, c.side);
  const selected: [Region, ChartTransition][] = [];
  for (const region of REGIONS) {
    const leaf = c[MIRROR[region]] as string;
    const hit = candidates(table, region, leaf, e.type).find((t) => evalCond(t.when, c, {}, p) !== false);
    if (hit) selected.push([region, hit]);
  }
  if (!selected.length) return null;
  let out = c;
  for (const [, t] of selected) out = applyTransitionEffects(out, t);
  for (const [region, t] of selected) out = { ...out, [MIRROR[region]]: t.to };
  // A self-transition whose effect was already in place changes nothing (xstate: same state key).
  return contextKey(out) === contextKey(c) ? null : { next: out, transitions: selected.map(([, t]) => t) };
}
