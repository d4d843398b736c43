// Layouts for the page: precomputed ones when they still match the model, otherwise ELK in a
// worker (elkjs's own worker script, served from this origin). The chart shows "laying out…"
// meanwhile (chart-view.ts).
import ElkModule from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import byProfile from 'virtual:migstate-layouts';
import type { Diagram } from '../../diagrams/diagram.ts';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import { elkConstructor, hydrateLayout, layoutDiagram, layoutKey, monoMeasure, type ElkLike, type Layout, type LayoutData } from '../../diagrams/layout.ts';

let elk: ElkLike | null = null;
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

const groups = new Map<string, Record<string, LayoutData>>();
/** A profile's precomputed layouts, parsed the first time the page shows the profile. */
function precomputed(profile: string): Record<string, LayoutData> {
  let g = groups.get(profile);
  if (!g) {
    try {
      g = JSON.parse(byProfile[profile] ?? '{}') as Record<string, LayoutData>;
    } catch {
      g = {};
    }
    groups.set(profile, g);
  }
  return g;
}

/** Layout of a diagram; `profile` and `regions` name it for the caches. */
export function layoutFor(profile: string, d: Diagram, regions: readonly string[]): Promise<Layout> {
  const key = layoutKey(profile, d.id, regions);
  let hit = cache.get(key);
  if (hit) return hit;
  const pre = precomputed(profile)[key];
  const ready = pre ? hydrateLayout(pre, d) : null;
  if (ready) {
    layoutStats.precomputed++;
    hit = Promise.resolve(ready);
  } else {
    layoutStats.computed++;
    elk ??= memoized(new (elkConstructor(ElkModule))({ workerFactory: () => new Worker(elkWorkerUrl) }));
    hit = layoutDiagram(d, elk, monoMeasure);
  }
  cache.set(key, hit);
  return hit;
}
