// Builds one chart (one parallel region of a side machine) from a profile's data: every QMP row that
// moves the chart becomes a `qmp` transition guarded by "this row decides", and every internal-event
// transition of the profile becomes a transition guarded by its condition. References to QEMU are
// kept as `meta` on each transition so the viewer, the docs and the matrix can show them.
// Charts may nest (the COLO checkpoint cycle); states are named by dotted paths ('primary.running').
import type { ChartName, Profile, Rule, ChartTransition } from './profile.ts';
import type { Side } from './vocabulary.ts';

export interface TransitionMeta {
  ref: string;
  /** The QMP command (for command transitions) or the internal event. */
  label: string;
  kind: 'qmp' | 'internal';
  rule?: string;
  transition?: string;
  note?: string;
}

/** The regions of a side machine; each holds one chart. */
export const REGIONS = ['status', 'run', 'colo', 'failover', 'rp'] as const;
export type Region = (typeof REGIONS)[number];

/** The field of SideState that mirrors each region's current leaf path. */
export const MIRROR: Record<Region, 'status' | 'runstate' | 'colo' | 'failover' | 'rp'> = {
  status: 'status',
  run: 'runstate',
  colo: 'colo',
  failover: 'failover',
  rp: 'rp',
};

/** The region each chart lives in. */
export const CHART_REGION: Record<ChartName, Region> = {
  'source-status': 'status',
  'destination-status': 'status',
  'run-state': 'run',
  colo: 'colo',
  failover: 'failover',
  'return-path': 'rp',
};

/** A state tree: a leaf is null, a compound state maps child names to subtrees (first child initial). */
export interface StateTree {
  [name: string]: StateTree | null;
}

export interface ChartSpec {
  chart: ChartName;
  side: Side;
  region: Region;
  tree: StateTree;
  /** Leaf path the chart starts in. */
  initial: string;
  /** One line per state path: what it means in QEMU. */
  describe: (path: string) => string;
}

export function flatTree(states: readonly string[]): StateTree {
  return Object.fromEntries(states.map((s) => [s, null]));
}

/** Every state path of a tree, compound ones before their children. */
export function statePaths(tree: StateTree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, sub] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path);
    if (sub) out.push(...statePaths(sub, path));
  }
  return out;
}

export function leafPaths(tree: StateTree, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, sub] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (sub) out.push(...leafPaths(sub, path));
    else out.push(path);
  }
  return out;
}

/** Whether leaf path `state` is `path` or inside it. */
export function within(state: string, path: string): boolean {
  return state === path || state.startsWith(path + '.');
}

export function stateId(side: Side, region: Region, path: string): string {
  return `${side}:${region}:${path.replaceAll('.', '/')}`;
}

type TransitionConfig = {
  target?: string;
  guard?: { type: string; params: Record<string, string> };
  actions?: { type: string; params?: Record<string, string> }[];
  meta: TransitionMeta;
};

/** Which field of a rule's accept moves which region (a refusal may leave the status changed: Reject.status). */
function ruleTarget(rule: Rule, region: Region): string | undefined {
  const a = rule.accept;
  if (!a) return region === 'status' ? rule.reject?.status : undefined;
  return region === 'status' ? a.status : region === 'run' ? a.runstate : region === 'failover' ? a.failover : undefined;
}

const OWN_KEYS: Record<Region, readonly string[]> = {
  status: ['status', 'notStatus'],
  run: ['runstate', 'notRunstate'],
  colo: ['colo'],
  failover: ['failover'],
  rp: ['rp'],
};

/** Whether a row's condition can hold in leaf `state` of the region, judging by that region alone. */
function mayHoldIn(rule: Rule, state: string, region: Region): boolean {
  const w = rule.when;
  if (!w) return true;
  const list = region === 'status' ? w.status : region === 'run' ? w.runstate : region === 'colo' ? w.colo : region === 'failover' ? w.failover : w.rp;
  const notList = region === 'status' ? w.notStatus : region === 'run' ? w.notRunstate : undefined;
  return (!list || list.some((x) => within(state, x))) && !(notList && notList.some((x) => within(state, x)));
}

const sideRulesCache = new WeakMap<Profile, Partial<Record<Side, Rule[]>>>();
/** The rows a side's chart may draw, in table order (asked once per leaf of each region: filtered once). */
function sideRules(p: Profile, side: Side): Rule[] {
  let bySide = sideRulesCache.get(p);
  if (!bySide) sideRulesCache.set(p, (bySide = {}));
  return (bySide[side] ??= p.rules.filter(
    (rule) =>
      (rule.side === 'both' || rule.side === side) &&
      rule.env === undefined && // an environment outcome: not the chart's nominal answer (rules.ts: decide)
      !rule.accept?.becomes, // the process changes role: the other role's machine takes over (side.ts: stepSide)
  ));
}

const regionRulesCache = new WeakMap<Rule[], Partial<Record<Region, { rule: Rule; moves: boolean; own: boolean }[]>>>();
/**
 * The rows of `rules` that matter to a region, in table order: those that move it, and those whose
 * condition looks at it alone (they may shadow later rows). The rest neither move it nor shadow, so
 * the per-state scan below (once per leaf of each region) need not look at them.
 */
function regionRules(rules: Rule[], region: Region) {
  let byRegion = regionRulesCache.get(rules);
  if (!byRegion) regionRulesCache.set(rules, (byRegion = {}));
  return (byRegion[region] ??= rules
    .map((rule) => ({ rule, moves: !!ruleTarget(rule, region), own: Object.keys(rule.when ?? {}).every((k) => OWN_KEYS[region].includes(k)) }))
    .filter((r) => r.moves || r.own));
}

/** The rows that can move this region out of `state`: not shadowed by an earlier row that always decides there. */
function movingRules(p: Profile, side: Side, state: string, region: Region): Rule[] {
  const out: Rule[] = [];
  const shadowed = new Set<string>();
  for (const { rule, moves, own } of regionRules(sideRules(p, side), region)) {
    if (shadowed.has(rule.command)) continue;
    const holds = mayHoldIn(rule, state, region);
    if (moves && holds) out.push(rule);
    // A row whose condition looks at this region only, and holds here, decides whatever else holds.
    if (own && holds) shadowed.add(rule.command);
  }
  return out;
}

export function transitionApplies(t: ChartTransition, chart: ChartName, side: Side, state: string): boolean {
  return t.chart === chart && (t.side === undefined || t.side === side) && t.from.some((f) => within(state, f));
}

/** The XState config of one chart, ready to be a region of a side machine. */
export function chartConfig(p: Profile, spec: ChartSpec) {
  const leaves = new Set(leafPaths(spec.tree));
  const mirror = MIRROR[spec.region];
  const target = (to: string) => `#${stateId(spec.side, spec.region, to)}`;
  const own = p.transitions.filter((t) => t.chart === spec.chart && (t.side === undefined || t.side === spec.side));

  function node(path: string, sub: StateTree | null): Record<string, unknown> {
    const on: Record<string, TransitionConfig[]> = {};
    if (!sub) {
      // QMP rows are attached to leaves: a row's status list names leaves.
      const qmp: TransitionConfig[] = [];
      for (const rule of movingRules(p, spec.side, path, spec.region)) {
        const to = ruleTarget(rule, spec.region)!;
        if (!leaves.has(to)) continue; // a state this QEMU does not have on this side
        qmp.push({
          target: target(to),
          guard: { type: 'ruleFires', params: { rule: rule.id } },
          actions: [{ type: 'applyQmp' }],
          meta: { ref: rule.ref, label: rule.command, kind: 'qmp', rule: rule.id, note: rule.note },
        });
      }
      if (qmp.length) on.qmp = qmp;
    }
    for (const t of own) {
      if (!t.from.includes(path) || !leaves.has(t.to)) continue;
      (on[t.event] ??= []).push({
        target: target(t.to),
        guard: { type: 'transitionEnabled', params: { transition: t.id } },
        actions: [{ type: 'applyTransition', params: { transition: t.id } }],
        meta: { ref: t.ref, label: t.event, kind: 'internal', transition: t.id, note: t.note },
      });
    }
    const base = { id: stateId(spec.side, spec.region, path), description: spec.describe(path), meta: { chart: spec.chart, state: path }, on };
    if (!sub) return { ...base, entry: [{ type: 'enterRegion', params: { field: mirror, value: path } }] };
    const children = Object.entries(sub);
    const init = spec.initial.startsWith(path + '.') ? spec.initial.slice(path.length + 1).split('.')[0] : children[0][0];
    return { ...base, initial: init, states: Object.fromEntries(children.map(([k, s]) => [k, node(`${path}.${k}`, s)])) };
  }

  return {
    initial: spec.initial.split('.')[0],
    states: Object.fromEntries(Object.entries(spec.tree).map(([k, s]) => [k, node(k, s)])),
  };
}

/** One transition of a chart, as data (what the viewer draws and the docs list). */
export interface ChartEdge {
  chart: ChartName;
  side: Side;
  region: Region;
  from: string;
  to: string;
  event: string;
  meta: TransitionMeta;
}

/** Every transition of a chart, read from the same config the machine is built from. */
export function chartEdges(p: Profile, spec: ChartSpec): ChartEdge[] {
  const cfg = chartConfig(p, spec) as unknown as { states: Record<string, Node> };
  type Node = { on: Record<string, TransitionConfig[]>; states?: Record<string, Node> };
  const prefix = `#${stateId(spec.side, spec.region, '')}`;
  const out: ChartEdge[] = [];
  const walk = (path: string, n: Node) => {
    for (const [event, ts] of Object.entries(n.on))
      for (const t of ts) out.push({ chart: spec.chart, side: spec.side, region: spec.region, from: path, to: t.target!.slice(prefix.length).replaceAll('/', '.'), event, meta: t.meta });
    for (const [k, c] of Object.entries(n.states ?? {})) walk(`${path}.${k}`, c);
  };
  for (const [k, n] of Object.entries(cfg.states)) walk(k, n);
  return out;
}
