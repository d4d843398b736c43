// Layouts for the page: precomputed ones when they still match the model, otherwise ELK in a
// worker (elkjs's own worker script, served from this origin).
import ElkModule from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import precomputed from 'virtual:migstate-layouts';
import type { Diagram } from '../../diagrams/diagram.ts';
import { elkConstructor, hydrateLayout, layoutDiagram, layoutKey, monoMeasure, type ElkLike, type Layout } from '../../diagrams/layout.ts';

let elk: ElkLike | null = null;
const cache = new Map<string, Promise<Layout>>();
/** How many layouts came precomputed and how many were laid out in the page. */
export const layoutStats = { precomputed: 0, computed: 0 };

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
    const ELK = elkConstructor(ElkModule);
    elk ??= new ELK({ workerFactory: () => new Worker(elkWorkerUrl) });
    hit = layoutDiagram(d, elk, monoMeasure);
  }
  cache.set(key, hit);
  return hit;
}

export function precomputedCount(): number {
  return Object.keys(precomputed).length;
}
