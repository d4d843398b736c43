// Builds one chart (one parallel region of a side machine) from a profile's data: every QMP row that
// moves the chart becomes a `qmp` transition guarded by "this row decides", and every internal-event
// transition of the profile becomes a transition guarded by its condition. References to QEMU are
// kept as `meta` on each transition so the viewer, the docs and the matrix can show them.
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

export interface ChartSpec {
  chart: ChartName;
  side: Side;
  /** 'status' region or 'run' region of the side machine. */
  region: 'status' | 'run';
  states: readonly string[];
  initial: string;
  /** One line per state: what it means in QEMU. */
  describe: (state: string) => string;
}

type TransitionConfig = {
  target?: string;
  guard?: { type: string; params: Record<string, string> };
  actions?: { type: string; params?: Record<string, string> }[];
  meta: TransitionMeta;
};

const STATUS_KEYS = new Set(['status', 'notStatus']);
const RUN_KEYS = new Set(['runstate', 'notRunstate']);

/** Whether a row's condition can hold in `state` of the region, judging by that region alone. */
function mayHoldIn(rule: Rule, state: string, region: 'status' | 'run'): boolean {
  const w = rule.when;
  if (!w) return true;
  const [list, notList] = region === 'status' ? [w.status, w.notStatus] : [w.runstate, w.notRunstate];
  return (!list || list.includes(state as never)) && !(notList && notList.includes(state as never));
}

/** A row decides in `state` whatever else holds: its condition looks at this region only. */
function alwaysDecidesIn(rule: Rule, state: string, region: 'status' | 'run'): boolean {
  const keys = Object.keys(rule.when ?? {});
  const own = region === 'status' ? STATUS_KEYS : RUN_KEYS;
  return keys.every((k) => own.has(k)) && mayHoldIn(rule, state, region);
}

/** The rows that can move this region out of `state`: not shadowed by an earlier row that always decides there. */
function movingRules(p: Profile, side: Side, state: string, region: 'status' | 'run'): Rule[] {
  const out: Rule[] = [];
  const shadowedCommands = new Set<string>();
  for (const rule of p.rules) {
    if (rule.side !== 'both' && rule.side !== side) continue;
    if (shadowedCommands.has(rule.command)) continue;
    const moves = region === 'status' ? rule.accept?.status : rule.accept?.runstate;
    if (moves && mayHoldIn(rule, state, region)) out.push(rule);
    if (alwaysDecidesIn(rule, state, region)) shadowedCommands.add(rule.command);
  }
  return out;
}

export function transitionApplies(t: ChartTransition, chart: ChartName, side: Side, state: string): boolean {
  return t.chart === chart && (t.side === undefined || t.side === side) && t.from.includes(state);
}

/** The XState config of one chart, ready to be a region of a side machine. */
export function chartConfig(p: Profile, spec: ChartSpec) {
  const known = new Set(spec.states);
  const states: Record<string, unknown> = {};
  for (const s of spec.states) {
    const qmp: TransitionConfig[] = [];
    for (const rule of movingRules(p, spec.side, s, spec.region)) {
      const to = (spec.region === 'status' ? rule.accept!.status : rule.accept!.runstate)!;
      if (!known.has(to)) continue; // a status this QEMU does not have on this side
      qmp.push({
        target: to,
        guard: { type: 'ruleFires', params: { rule: rule.id } },
        actions: spec.region === 'status' || !rule.accept!.status ? [{ type: 'applyQmp' }] : [],
        meta: { ref: rule.ref, label: rule.command, kind: 'qmp', rule: rule.id, note: rule.note },
      });
    }
    const on: Record<string, TransitionConfig[]> = {};
    if (qmp.length) on.qmp = qmp;
    for (const t of p.transitions) {
      if (!transitionApplies(t, spec.chart, spec.side, s) || !known.has(t.to)) continue;
      (on[t.event] ??= []).push({
        target: t.to,
        guard: { type: 'transitionEnabled', params: { transition: t.id } },
        actions: [{ type: 'applyTransition', params: { transition: t.id } }],
        meta: { ref: t.ref, label: t.event, kind: 'internal', transition: t.id, note: t.note },
      });
    }
    states[s] = {
      entry: [{ type: spec.region === 'status' ? 'enterStatus' : 'enterRunState', params: { value: s } }],
      description: spec.describe(s),
      meta: { chart: spec.chart, state: s },
      on,
    };
  }
  return { initial: spec.initial, states };
}

/** One transition of a chart, as data (what the viewer draws and the docs list). */
export interface ChartEdge {
  chart: ChartName;
  side: Side;
  from: string;
  to: string;
  event: string;
  meta: TransitionMeta;
}

/** Every transition of a chart, read from the same config the machine is built from. */
export function chartEdges(p: Profile, spec: ChartSpec): ChartEdge[] {
  const cfg = chartConfig(p, spec) as { states: Record<string, { on: Record<string, TransitionConfig[]> }> };
  const out: ChartEdge[] = [];
  for (const [from, node] of Object.entries(cfg.states))
    for (const [event, ts] of Object.entries(node.on))
      for (const t of ts) out.push({ chart: spec.chart, side: spec.side, from, to: t.target!, event, meta: t.meta });
  return out;
}
