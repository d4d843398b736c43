// Test paths generated from the side charts with @xstate/graph (getShortestPaths): a shortest path
// to every state of each side machine (under every capability variant and start), and a set of paths
// that together take every chart transition. Paths are data: QMP commands with their arguments and
// the internal events between them, with the state expected after each step. Pure: no I/O.
import { getShortestPaths } from '@xstate/graph';
import type { Profile } from './profile.ts';
import { REGIONS, MIRROR, within, chartEdges, type ChartEdge } from './chart.ts';
import { evalCond, movingRule } from './rules.ts';
import { coloChart } from './colo.ts';
import { failoverChart } from './failover.ts';
import { returnPathChart } from './return-path.ts';
import { sourceStatusChart } from './source-status.ts';
import { destinationStatusChart } from './destination-status.ts';
import { runStateChart } from './run-state.ts';
import { mayMove, movingProbes, probeEvent } from './explore.ts';
import { hasIncomingCpr, monitorUp, sideMachine, startSide, stepSide, stateKey, type SideInput, type SideSnapshot } from './side.ts';
import { capVariants } from './explore-pair.ts';
import { INTERNAL_EVENTS, type Side, type SideEvent } from './vocabulary.ts';

/** Every transition of the five charts of a side. */
export function sideEdges(p: Profile, side: Side): ChartEdge[] {
  const status = side === 'source' ? sourceStatusChart(p) : destinationStatusChart(p);
  const run = runStateChart(p, side, side === 'source' ? 'running' : 'inmigrate');
  return [status, run, coloChart(p, side), failoverChart(p, side), returnPathChart(p, side)].flatMap((c) => chartEdges(p, c));
}

export function edgeName(e: ChartEdge): string {
  return `${e.chart}:${e.from}-[${e.meta.rule ?? e.meta.transition}]->${e.to}`;
}

/** The chart transitions one step took (as model-tests/helpers.ts takenEdges). */
export function stepEdges(p: Profile, edges: readonly ChartEdge[], before: SideSnapshot, event: SideEvent, after: SideSnapshot, rule: string | null): ChartEdge[] {
  const out: ChartEdge[] = [];
  const dataChanged = JSON.stringify(before.context) !== JSON.stringify(after.context);
  for (const region of REGIONS) {
    const from = before.context[MIRROR[region]] as string;
    const to = after.context[MIRROR[region]] as string;
    const hit = edges.find(
      (e) =>
        e.region === region && within(from, e.from) && e.to === to && e.event === event.type &&
        (e.meta.kind === 'qmp' ? e.meta.rule === rule : evalCond(p.transitions.find((t) => t.id === e.meta.transition)!.when, before.context, {}, p) !== false),
    );
    if (hit && (from !== to || hit.from === hit.to || dataChanged)) out.push(hit);
  }
  return out;
}

export function sideAlphabet(p: Profile, side: Side): SideEvent[] {
  return [...movingProbes(p, side).map(probeEvent), ...INTERNAL_EVENTS.map((type) => ({ type }) as SideEvent)];
}

/** What a path asserts after each step: the five charts' states. */
export interface Expect {
  status: string;
  runstate: string;
  colo: string;
  failover: string;
  rp: string;
}

export function expectOf(s: SideSnapshot): Expect {
  const c = s.context;
  return { status: c.status, runstate: c.runstate, colo: c.colo, failover: c.failover, rp: c.rp };
}

export interface PathStep {
  event: SideEvent;
  expect: Expect;
  /** Chart transitions this step takes. */
  takes: string[];
}

export interface SidePath {
  side: Side;
  start: SideInput;
  /** Capabilities set first (migrate-set-capabilities, the first step). */
  caps: readonly string[];
  steps: PathStep[];
}

export interface SidePaths {
  profile: string;
  side: Side;
  /** A shortest path to every state (per capability variant and start). */
  states: SidePath[];
  /** Paths that together take every chart transition that can be taken. */
  cover: SidePath[];
  edges: string[];
  covered: string[];
  /** Distinct side states (by stateKey) over all variants. */
  stateCount: number;
}

function starts(p: Profile, side: Side): SideInput[] {
  if (side === 'source') return [{ side }, { side, paused: true }];
  // -incoming URI and -S are migrate-incoming and stop from here; not so with -incoming cpr
  // (cpr-transfer), where the URI is listened on only once the cpr state is loaded.
  return [{ side, incoming: 'defer' }, ...(hasIncomingCpr(p) ? [{ side, incoming: 'defer', cpr: true }, { side, incoming: 'uri', cpr: true }] satisfies SideInput[] : [])];
}
/** No command reaches a process with no monitor yet (side.ts: monitorUp). */
const reachable = (s: SideSnapshot, e: SideEvent) => e.type !== 'qmp' || monitorUp(s.context);

/**
 * The paths of one side of a profile, generated with @xstate/graph's getShortestPaths. `within`:
 * only states with these keys are expanded and kept (e.g. the side states the pair reaches, so every
 * path can be played on a real pair of processes).
 */
export function sidePaths(p: Profile, side: Side, opts: { within?: ReadonlySet<string> } = {}): SidePaths {
  const inside = (s: SideSnapshot) => !opts.within || opts.within.has(stateKey(s));
  const edges = sideEdges(p, side);
  const alphabet = sideAlphabet(p, side);
  const all: SidePath[] = [];
  const extensions: SidePath[] = [];
  const keys = new Set<string>();
  const covered = new Set<string>();
  // (state, event) -> the step's outcome, computed once (paths share prefixes).
  const memo = new Map<string, { next: SideSnapshot; takes: string[]; changed: boolean }>();
  const stepOf = (before: SideSnapshot, e: SideEvent) => {
    const k = `${stateKey(before)}\u0000${JSON.stringify(e)}`;
    let v = memo.get(k);
    if (!v) {
      const r = stepSide(p, before, e);
      v = { next: r.snapshot, changed: r.changed, takes: r.changed ? stepEdges(p, edges, before, e, r.snapshot, movingRule(r.decision)).map(edgeName) : [] };
      memo.set(k, v);
    }
    return v;
  };
  for (const caps of capVariants(p)) {
    for (const start of starts(p, side)) {
      let from = startSide(p, start);
      if (caps.length) {
        if (start.cpr) continue; // no monitor to set them on
        const r = stepSide(p, from, { type: 'qmp', command: 'migrate-set-capabilities', arguments: { capabilities: caps.map((capability) => ({ capability, state: true })) } });
        if (!r.decision?.allowed) continue;
        from = r.snapshot;
      }
      const machine = sideMachine(p, side, from.context.runstate === 'prelaunch' ? 'prelaunch' : side === 'destination' ? 'inmigrate' : 'running');
      const paths = getShortestPaths(machine, {
        input: start,
        fromState: from as never,
        events: (s: SideSnapshot) => (inside(s) ? alphabet.filter((e) => reachable(s, e) && mayMove(p, s.context, e)) : []),
        serializeState: (s: SideSnapshot) => stateKey(s),
      } as never) as unknown as { state: SideSnapshot; steps: { state: SideSnapshot; event: SideEvent }[] }[];
      for (const gp of paths) {
        const k = stateKey(gp.state);
        if (!inside(gp.state)) continue;
        const steps: PathStep[] = [];
        for (let i = 1; i < gp.steps.length; i++) {
          const before = gp.steps[i - 1].state;
          const { event, state: after } = gp.steps[i];
          const takes = stepOf(before, event).takes;
          for (const t of takes) covered.add(t);
          steps.push({ event, expect: expectOf(after), takes });
        }
        if (keys.has(k)) continue; // reached already (another variant or start): keep the first path
        keys.add(k);
        all.push({ side, start, caps, steps });
        // One step further from this state: transitions that no shortest path takes.
        for (const e of alphabet) {
          if (!reachable(gp.state, e) || !mayMove(p, gp.state.context, e)) continue;
          const r = stepOf(gp.state, e);
          if (!r.changed || !inside(r.next)) continue;
          const takes = r.takes;
          const fresh = takes.filter((t) => !covered.has(t));
          if (!fresh.length) continue;
          for (const t of takes) covered.add(t);
          extensions.push({ side, start, caps, steps: [...steps, { event: e, expect: expectOf(r.next), takes }] });
        }
      }
    }
  }
  // A greedy cover: longest-new-coverage first, over the state paths and the extensions.
  const candidates = [...extensions, ...all];
  const need = new Set(covered);
  const cover: SidePath[] = [];
  while (need.size) {
    let best: SidePath | null = null;
    let bestN = 0;
    for (const c of candidates) {
      let n = 0;
      for (const s of c.steps) for (const t of s.takes) if (need.has(t)) n++;
      if (n > bestN) {
        best = c;
        bestN = n;
      }
    }
    if (!best) break;
    cover.push(best);
    for (const s of best.steps) for (const t of s.takes) need.delete(t);
  }
  return { profile: p.name, side, states: all, cover, edges: edges.map(edgeName), covered: [...covered], stateCount: keys.size };
}

/** A side path as QMP commands and the internal events between them (the export format). */
export function pathExport(p: SidePath): { side: Side; start: SideInput; steps: ({ qmp: { execute: string; arguments?: Record<string, unknown> } } | { internal: string })[]; expect: Expect[] } {
  const steps: ({ qmp: { execute: string; arguments?: Record<string, unknown> } } | { internal: string })[] = [];
  if (p.caps.length) steps.push({ qmp: { execute: 'migrate-set-capabilities', arguments: { capabilities: p.caps.map((capability) => ({ capability, state: true })) } } });
  for (const s of p.steps) steps.push(s.event.type === 'qmp' ? { qmp: s.event.arguments ? { execute: s.event.command, arguments: s.event.arguments } : { execute: s.event.command } } : { internal: s.event.type });
  return { side: p.side, start: p.start, steps, expect: p.steps.map((s) => s.expect) };
}
