// What the viewer and the generated docs draw: a chart as a tree of state nodes (atomic, compound,
// parallel regions) and its transitions, each transition keeping the model's meta (QEMU function,
// rule id, note). Pure data, no DOM: built from an XState machine's state-node tree, i.e. from the
// config the model builds with chartConfig (so the drawing and chartEdges are the same edges; a test
// checks it).
import type { TransitionMeta } from '../machines/index.ts';

export type NodeKind = 'atomic' | 'compound' | 'parallel' | 'region' | 'final';

export interface DiagramNode {
  /** Unique in the diagram: the state's path from the root, dot-separated ('' for the root). */
  id: string;
  label: string;
  kind: NodeKind;
  /** The child entered first (compound nodes and regions). */
  initial?: string;
  description?: string;
  meta?: unknown;
  children: DiagramNode[];
}

export interface DiagramTransition {
  /** The event the chart reacts to ('qmp' for every QMP command). */
  event: string;
  /** What to print: the QMP command or the internal event. */
  label: string;
  kind: 'qmp' | 'internal' | 'other';
  meta: Partial<TransitionMeta> & Record<string, unknown>;
}

/** All transitions from one state to another, drawn as one arrow with one label line each. */
export interface DiagramEdge {
  id: string;
  source: string;
  target: string;
  transitions: DiagramTransition[];
}

export interface Diagram {
  /** Unique among the diagrams shown at once (used in element ids and exports). */
  id: string;
  title: string;
  /** Which simulated process the diagram follows (its active states are highlighted). */
  side?: 'source' | 'destination';
  root: DiagramNode;
  edges: DiagramEdge[];
}

function groupEdges(raw: { source: string; target: string; t: DiagramTransition }[]): DiagramEdge[] {
  const byPair = new Map<string, DiagramEdge>();
  for (const r of raw) {
    const k = `${r.source}->${r.target}`;
    let e = byPair.get(k);
    if (!e) byPair.set(k, (e = { id: `e${byPair.size}`, source: r.source, target: r.target, transitions: [] }));
    if (!e.transitions.some((x) => x.label === r.t.label && x.meta.rule === r.t.meta.rule && x.meta.transition === r.t.meta.transition))
      e.transitions.push(r.t);
  }
  return [...byPair.values()];
}

/** The shape of an XState v5 state node that the generic builder reads. */
interface StateNodeLike {
  key: string;
  path: string[];
  type: string;
  description?: string;
  meta?: unknown;
  states: Record<string, StateNodeLike>;
  initial?: { target?: StateNodeLike[] };
  transitions: Map<string, { eventType: string; target?: readonly StateNodeLike[]; meta?: unknown }[]>;
}

/**
 * Any XState machine, drawn from its state-node tree: compound and parallel nodes nest, each
 * targeted transition is an arrow labelled by meta.label (or the event type). For the charts the
 * lead adds next (COLO, failover, return path, the source+destination pair).
 */
export function diagramFromMachine(
  machine: { root: unknown },
  id: string,
  title: string,
  opts: { side?: 'source' | 'destination'; regions?: readonly string[]; titles?: Readonly<Record<string, string>> } = {},
): Diagram {
  const raw: { source: string; target: string; t: DiagramTransition }[] = [];
  const top = machine.root as StateNodeLike;
  const keep = (n: StateNodeLike) => !opts.regions || n.path.length !== 1 || opts.regions.includes(n.key);
  const walk = (n: StateNodeLike, parentParallel: boolean): DiagramNode => {
    const nid = n.path.join('.');
    for (const [, ts] of n.transitions)
      for (const t of ts) {
        const target = t.target?.[0];
        if (!target) continue;
        const meta = (t.meta ?? {}) as DiagramTransition['meta'];
        const label = typeof meta.label === 'string' ? meta.label : t.eventType;
        const kind = meta.kind === 'qmp' || meta.kind === 'internal' ? meta.kind : 'other';
        raw.push({ source: nid, target: target.path.join('.'), t: { event: t.eventType, label, kind, meta } });
      }
    const kids = Object.values(n.states ?? {}).filter(keep);
    const kind: NodeKind = n.type === 'parallel' ? 'parallel' : n.type === 'final' ? 'final' : kids.length ? (parentParallel ? 'region' : 'compound') : parentParallel ? 'region' : 'atomic';
    return {
      id: nid,
      label: n.path.length ? (n.path.length === 1 ? (opts.titles?.[n.key] ?? n.key) : n.key) : title,
      kind,
      initial: n.initial?.target?.[0]?.path.join('.'),
      description: n.description,
      meta: n.meta,
      children: kids.map((k) => walk(k, n.type === 'parallel')),
    };
  };
  const root = walk(top, false);
  const ids = nodeIndex({ id, title, root, edges: [] });
  const edges = groupEdges(raw.filter((r) => ids.has(r.source) && ids.has(r.target)));
  return { id, title, side: opts.side, root, edges };
}

/** Every node of a diagram by id. */
export function nodeIndex(d: Diagram): Map<string, DiagramNode> {
  const out = new Map<string, DiagramNode>();
  const walk = (n: DiagramNode) => {
    out.set(n.id, n);
    n.children.forEach(walk);
  };
  walk(d.root);
  return out;
}

/** The node ids an XState state value makes active (every level: 'status', 'status.active', ...). */
export function activeIds(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  if (!value || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const id = prefix ? `${prefix}.${k}` : k;
    out.push(id, ...activeIds(v, id));
  }
  return out;
}
