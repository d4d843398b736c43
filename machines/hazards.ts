// Hazards: the states a profile reaches in which it accepts a command that another profile (the
// proposed design, by default) refuses. Both profiles are asked about the same side state: the
// state reached in P, with the block list the proposed design would have there (it blocks the
// configuration operations from migrate / migrate-incoming until the migration ends on that side;
// released QEMU has no list). The pair is explored in P; states come in breadth-first order, so the
// first state of each hazard is reached by a shortest path. Pure: no I/O.
import type { Profile, SideState } from './profile.ts';
import { CONFIG_OPS } from './profile.ts';
import { decide } from './rules.ts';
import { matrixProbes, type Probe } from './explore.ts';
import { explorePair, type ExploreOptions, type PairExplorer, type PairPath } from './explore-pair.ts';
import { migrationInProgress } from './invariants.ts';
import type { QmpError, Side } from './vocabulary.ts';

export interface Hazard {
  side: Side;
  /** The probe (command with representative arguments). */
  probe: Probe;
  /** The row of P that accepts it, and the row of the other profile that refuses it. */
  acceptedBy: string;
  refusedBy: string | null;
  error: QmpError;
  /** Reachable pair states in which this happens. */
  states: number;
  /** Distinct side states in which this happens. */
  sideStates: number;
  /** A shortest path to the first such state. */
  path: PairPath;
  /** Where that first state is: status / run state of the side. */
  where: { status: string; runstate: string; listening: boolean; colo: string };
  depth: number;
}

/** The side state as the other profile would hold it: same charts and data, its own block list. */
export function asIn(other: Profile, c: SideState): SideState {
  if (other.name !== 'proposed') return c;
  const blocked = migrationInProgress(c) ? [...CONFIG_OPS] : [];
  return blocked.length === c.blocked.length ? c : { ...c, blocked };
}

export interface HazardReport {
  profile: string;
  against: string;
  states: number;
  hazards: Hazard[];
}

export function hazards(p: Profile, other: Profile, opts: ExploreOptions = {}): HazardReport {
  const { explorer } = explorePair(p, { ...opts, invariants: [] });
  const probes = matrixProbes(p).filter((x) => x.command !== 'query-colo-status' && !x.command.startsWith('query-'));
  const found = new Map<string, Hazard & { seen: Set<number> }>();
  // Per side state: the probes accepted in P and refused by the other profile (computed once).
  const perSide: Record<Side, Map<number, { probe: Probe; acceptedBy: string; refusedBy: string | null; error: QmpError }[]>> = { source: new Map(), destination: new Map() };
  const of = (ex: PairExplorer, vm: Side, id: number) => {
    let v = perSide[vm].get(id);
    if (!v) {
      v = [];
      const c = ex.tables[vm].snaps[id].context;
      const oc = asIn(other, c);
      for (const probe of probes) {
        const a = decide(p, c, probe.command, probe.arguments ?? {});
        if (!a.allowed) continue;
        if (!other.commands.includes(probe.command) && !other.absentCommands.includes(probe.command)) continue;
        const b = decide(other, oc, probe.command, probe.arguments ?? {});
        if (b.allowed) continue;
        v.push({ probe, acceptedBy: a.rule.id, refusedBy: b.rule?.id ?? null, error: b.error });
      }
      perSide[vm].set(id, v);
    }
    return v;
  };
  for (let i = 0; i < explorer.size; i++) {
    for (const vm of ['source', 'destination'] as const) {
      const id = vm === 'source' ? explorer.src[i] : explorer.dst[i];
      if (id < 0) continue;
      for (const h of of(explorer, vm, id)) {
        const key = `${vm}|${h.probe.label}|${h.refusedBy}`;
        const have = found.get(key);
        if (have) {
          have.states++;
          have.seen.add(id);
          continue;
        }
        const c = explorer.tables[vm].snaps[id].context;
        found.set(key, {
          side: vm, ...h, states: 1, sideStates: 0, seen: new Set([id]), path: explorer.pathTo(i), depth: explorer.depthOf[i],
          where: { status: c.status, runstate: c.runstate, listening: c.listening, colo: c.colo },
        });
      }
    }
  }
  const list = [...found.values()].map(({ seen, ...h }) => ({ ...h, sideStates: seen.size }));
  return { profile: p.name, against: other.name, states: explorer.size, hazards: list };
}
