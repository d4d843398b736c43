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

function ruleApplies(rule: Rule, side: Side, state: string, region: 'status' | 'run'): boolean {
  if (rule.side !== 'both' && rule.side !== side) return false;
  const moves = region === 'status' ? rule.accept?.status : rule.accept?.runstate;
  if (!moves) return false;
  const list = region === 'status' ? rule.when?.status : rule.when?.runstate;
  return !list || list.includes(state as never);
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
    for (const rule of p.rules) {
      if (!ruleApplies(rule, spec.side, s, spec.region)) continue;
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
