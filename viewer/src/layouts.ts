// Layouts for the page: precomputed ones when they still match the model, otherwise ELK in a
// worker (elkjs's own worker script, served from this origin). The chart shows "laying out…"
// meanwhile (chart-view.ts).
import ElkModule from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import precomputed from 'virtual:migstate-layouts';
import type { Diagram } from '../../diagrams/diagram.ts';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import { elkConstructor, hydrateLayout, layoutDiagram, layoutKey, monoMeasure, type ElkLike, type Layout } from '../../diagrams/layout.ts';

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

/** Layout of a diagram; `profile` and `regions` name it for the caches. */
export function layoutFor(profile: string, d: Diagram, regions: readonly string[]): Promise<Layout> {
  const key = layoutKey(profile, d.id, regions);
  let hit = cache.get(key);
  if (hit) return hit;
  const pre = precomputed[key];
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

export function precomputedCount(): number {
  return Object.keys(precomputed).length;
}
