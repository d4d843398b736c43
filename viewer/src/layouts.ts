// Layouts for the page: precomputed ones when they still match the model, otherwise ELK in a
// worker (elk.ts). The chart shows "laying out…" meanwhile (chart-view.ts).
import byProfile from 'virtual:migstate-layouts';
import type { Diagram } from '../../diagrams/diagram.ts';
import { ANY_PROFILE } from '../../diagrams/charts.ts';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import { hydrateLayout, layoutDiagram, layoutKey, monoMeasure, type ElkLike, type Layout, type LayoutData } from '../../diagrams/layout.ts';

/**
 * ELK, loaded the first time a layout is not precomputed (a profile or regions the build did not lay
 * out, or a model changed since): its API is CommonJS, and importing it with the page put it and
 * rolldown's CommonJS runtime (one more request) on the path to the first render, for nothing when
 * every layout comes precomputed, as at start-up.
 */
let elk: Promise<ElkLike> | null = null;
const loadElk = () =>
  (elk ??= import('./elk.ts').then(
    (m) => memoized(m.startElk()),
    (e) => {
      elk = null; // the server went away: the next chart tries again
      throw e;
    },
  ));
const cache = new Map<string, Promise<Layout>>();
/** How many layouts came precomputed and how many were laid out in the page. */
export const layoutStats = { precomputed: 0, computed: 0 };

/** Each region is its own ELK graph (layoutDiagram): turning one region on lays out that region
 * only, the others' graphs are the same as before and come from here. Copies, since callers place them. */
function memoized(e: ElkLike): ElkLike {
  const memo = new Map<string, Promise<ElkNode>>();
  return {
    layout(g) {
      const k = JSON.stringify(g);
      let p = memo.get(k);
      if (!p) memo.set(k, (p = e.layout(g)));
      p.catch(() => memo.delete(k));
      return p.then((r) => structuredClone(r));
    },
  };
}

const groups = new Map<string, Promise<Record<string, LayoutData>>>();
/** A profile's precomputed layouts: its own chunk (vite.config.ts), fetched and parsed the first
 * time the page shows the profile. A chunk that fails to load leaves ELK to lay the charts out. */
function precomputed(profile: string): Promise<Record<string, LayoutData>> {
  let g = groups.get(profile);
  if (!g) {
    const load = byProfile[profile];
    g = load
      ? load().then(
          (m) => JSON.parse(m.default) as Record<string, LayoutData>,
          () => ({}),
        )
      : Promise.resolve({});
    groups.set(profile, g);
  }
  return g;
}

/** Fetches a profile's layouts (and the channel's) before any chart asks for them; resolves when
 * they are in, so the first charts are drawn in the same task as the rest of the page. */
export async function preloadLayouts(profile: string): Promise<void> {
  await Promise.all([precomputed(profile), precomputed(ANY_PROFILE)]);
}

/** Layout of a diagram; `profile` and `regions` name it for the caches. */
export function layoutFor(profile: string, d: Diagram, regions: readonly string[]): Promise<Layout> {
  const key = layoutKey(profile, d.id, regions);
  let hit = cache.get(key);
  if (hit) return hit;
  hit = precomputed(profile).then((pre) => {
    const ready = pre[key] ? hydrateLayout(pre[key], d) : null;
    if (ready) {
      layoutStats.precomputed++;
      return ready;
    }
    layoutStats.computed++;
    return loadElk().then((e) => layoutDiagram(d, e, monoMeasure));
  });
  cache.set(key, hit);
  return hit;
}
