// The charts the viewer and `migstate docs` draw (diagrams/ is pure and shared by both consumers:
// no DOM, no Node APIs). A process (source, destination) is drawn from its side machine: one
// parallel region per chart (migration status, run state, and whatever regions the model has: COLO,
// failover, return path), nested states shown nested, transitions with the model's meta. The
// regions shown are chosen per diagram. To draw another machine (e.g. the source+destination pair
// with its channel and faults), add an entry to EXTRA_CHARTS.
import { channelMachine, sideMachine, type Profile, type Side } from '../machines/index.ts';
import { diagramFromMachine, type Diagram } from './diagram.ts';

/** Titles for the regions of a side machine; a region not listed here is titled by its key. */
export const REGION_TITLES: Record<string, string> = {
  status: 'migration status',
  run: 'run state',
  colo: 'COLO',
  failover: 'failover',
  rp: 'return path',
};

/** Regions drawn when a diagram is first shown. */
export const DEFAULT_REGIONS = ['status', 'run'];

/** The region keys of a side machine, in the machine's order. */
export function regionsOf(p: Profile, side: Side): string[] {
  const root = sideMachine(p, side).root as unknown as { states: Record<string, unknown> };
  return Object.keys(root.states);
}

export function sideDiagram(p: Profile, side: Side, regions: readonly string[]): Diagram {
  return diagramFromMachine(sideMachine(p, side), side, `${side} — ${p.name}`, { side, regions, titles: REGION_TITLES });
}

export interface ChartEntry {
  id: string;
  title: string;
  build: (p: Profile) => Diagram;
}

/** The migration channel between the two processes (machines/channel.ts); the same in every profile. */
export function channelDiagram(): Diagram {
  return diagramFromMachine(channelMachine, 'channel', 'migration channel');
}

/** The layout cache key's profile part for diagrams that do not depend on the profile. */
export const ANY_PROFILE = '*';

/** Diagrams not tied to one simulated process. */
export const EXTRA_CHARTS: ChartEntry[] = [{ id: 'channel', title: 'migration channel', build: () => channelDiagram() }];
