// Automatic layout of a Diagram with ELK's layered algorithm: each compound node (a region, a
// compound state) is laid out on its own, top to bottom; a parallel node puts its regions side by
// side. Text is measured by the caller (monoMeasure, in the page and in Node alike) so that boxes fit
// their labels. The same code lays out the viewer's charts and the SVGs of `migstate docs`.
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import type { Diagram, DiagramNode } from './diagram.ts';

export interface ElkLike {
  layout(graph: ElkNode): Promise<ElkNode>;
}

/** elkjs is CommonJS: its constructor is the module itself or its `default`, depending on the loader. */
export function elkConstructor(mod: unknown): new (args?: { workerFactory?: (url?: string) => Worker }) => ElkLike {
  const m = mod as { default?: unknown };
  return (typeof m === 'function' ? m : m.default) as new (args?: { workerFactory?: (url?: string) => Worker }) => ElkLike;
}

export type Measure = (text: string, font: string) => number;

// Monospace everywhere in diagrams: QEMU's identifiers read best so, and widths are predictable
// enough (about 0.6 em a character) to lay out ahead of time, without the page's fonts.
export const FONT_FAMILY = 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace';
export const FONT_STATE = `13px ${FONT_FAMILY}`;
export const FONT_LABEL = `11px ${FONT_FAMILY}`;
export const FONT_TITLE = `bold 12px ${FONT_FAMILY}`;
export const LINE = 14;
export const STATE_H = 30;
export const TITLE_H = 26;
export const INITIAL = '__initial';

/** Width of monospace text: 0.61 em per character (DejaVu Sans Mono is 0.602, Liberation Mono 0.600). */
export const monoMeasure: Measure = (text, font) => text.length * 0.61 * Number(/(\d+)px/.exec(font)?.[1] ?? 12);

export interface Placed {
  node: DiagramNode;
  x: number;
  y: number;
  width: number;
  height: number;
  children: Placed[];
}

export interface PlacedEdge {
  id: string;
  /** Absolute points of the route. */
  points: { x: number; y: number }[];
  label?: { x: number; y: number; width: number; height: number };
  /** Index into Diagram.edges, or -1 for an initial-state arrow. */
  edge: number;
  initial?: boolean;
}

export interface Layout {
  diagram: Diagram;
  root: Placed;
  edges: PlacedEdge[];
  initials: { x: number; y: number; target: string }[];
  width: number;
  height: number;
}

const REGION_OPTS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeLabel': '3',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '8',
  'elk.edgeLabels.inline': 'false',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.thoroughness': '3',
  'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // States are listed in the order a migration goes through them: edges back up that order are
  // the ones drawn upwards, so the chart reads top to bottom from its initial state.
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.mergeEdges': 'true',
  'elk.padding': `[top=${TITLE_H + 10},left=14,bottom=14,right=14]`,
  'elk.nodeSize.constraints': 'MINIMUM_SIZE',
};

const PARALLEL_OPTS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.spacing.nodeNode': '0',
  'elk.spacing.componentComponent': '0',
  'elk.layered.spacing.nodeNodeBetweenLayers': '0',
  'elk.padding': `[top=${TITLE_H + 6},left=8,bottom=8,right=8]`,
  'elk.nodeSize.constraints': 'MINIMUM_SIZE',
  'elk.contentAlignment': 'V_TOP H_LEFT',
  'elk.alignment': 'TOP',
};

/** The lowest node containing both ends (edges are laid out by that node). */
function commonParent(a: string, b: string, parentOf: Map<string, string>): string {
  const up = new Set<string>();
  for (let x: string | undefined = parentOf.get(a); x !== undefined; x = parentOf.get(x)) up.add(x);
  for (let x: string | undefined = parentOf.get(b); x !== undefined; x = parentOf.get(x)) if (up.has(x)) return x;
  return '';
}

export function toElk(d: Diagram, measure: Measure): { graph: ElkNode; labelLines: Map<string, string[]> } {
  const elkNodes = new Map<string, ElkNode>();
  const parentOf = new Map<string, string>();
  const idOf = (id: string) => `n:${id}`;
  const build = (n: DiagramNode): ElkNode => {
    const titleW = measure(n.label, FONT_TITLE) + 28;
    let e: ElkNode;
    if (!n.children.length) {
      e = { id: idOf(n.id), width: Math.max(64, measure(n.label, FONT_STATE) + 26), height: STATE_H };
    } else {
      const kids = n.children.map((c) => {
        parentOf.set(c.id, n.id);
        return build(c);
      });
      if (n.initial && n.kind !== 'parallel') {
        parentOf.set(`${n.id}.${INITIAL}`, n.id);
        kids.unshift({ id: idOf(`${n.id}.${INITIAL}`), width: 12, height: 12 });
      }
      e = {
        id: idOf(n.id),
        children: kids,
        edges: [],
        layoutOptions: { ...(n.kind === 'parallel' ? PARALLEL_OPTS : REGION_OPTS), 'elk.nodeSize.minimum': `(${Math.ceil(titleW)},60)` },
      };
    }
    elkNodes.set(n.id, e);
    return e;
  };
  const graph = build(d.root);
  const labelLines = new Map<string, string[]>();
  d.edges.forEach((edge, i) => {
    const lines = edge.transitions.map((t) => t.label);
    labelLines.set(edge.id, lines);
    const w = Math.max(...lines.map((l) => measure(l, FONT_LABEL))) + 6;
    const x: ElkExtendedEdge = {
      id: `e:${i}`,
      sources: [idOf(edge.source)],
      targets: [idOf(edge.target)],
      labels: [{ id: `l:${i}`, text: lines.join('\n'), width: w, height: lines.length * LINE + 2 }],
    };
    const owner = elkNodes.get(commonParent(edge.source, edge.target, parentOf)) ?? graph;
    (owner.edges ??= []).push(x);
  });
  // Initial-state arrows.
  const addInitial = (n: DiagramNode) => {
    if (n.initial && n.children.length && n.kind !== 'parallel')
      (elkNodes.get(n.id)!.edges ??= []).push({ id: `i:${n.id}`, sources: [idOf(`${n.id}.${INITIAL}`)], targets: [idOf(n.initial)] });
    n.children.forEach(addInitial);
  };
  addInitial(d.root);
  // Edges between different compound nodes need the hierarchy laid out at once: the top-level
  // region holding both ends when there is one (the other regions are still laid out on their own
  // and put side by side), otherwise the whole diagram.
  const topOf = (id: string) => {
    let x = id;
    for (let p = parentOf.get(x); p !== undefined && p !== d.root.id; p = parentOf.get(p)) x = p;
    return x;
  };
  const hierarchical = new Set<ElkNode>();
  for (const e of d.edges) {
    if (parentOf.get(e.source) === parentOf.get(e.target)) continue;
    const top = topOf(e.source);
    const own = d.root.kind === 'parallel' && top === topOf(e.target) && top !== d.root.id ? elkNodes.get(top) : undefined;
    hierarchical.add(own ?? graph);
  }
  for (const h of hierarchical) {
    h.layoutOptions = { ...h.layoutOptions, 'elk.hierarchyHandling': 'INCLUDE_CHILDREN' };
    // ELK's model-order options fail inside a hierarchical layout ("Cannot read properties of
    // undefined"; the COLO region's checkpoint cycle crosses its compound states): left out there.
    const strip = (e: ElkNode) => {
      if (e.layoutOptions) {
        delete e.layoutOptions['elk.layered.considerModelOrder.strategy'];
        delete e.layoutOptions['elk.layered.cycleBreaking.strategy'];
      }
      e.children?.forEach(strip);
    };
    strip(h);
  }
  return { graph, labelLines };
}

/** Lays a diagram out; every coordinate in the result is absolute. */
export async function layoutDiagram(d: Diagram, elk: ElkLike, measure: Measure): Promise<Layout> {
  const { graph } = toElk(d, measure);
  const byElkId = new Map<string, DiagramNode>();
  const walkD = (n: DiagramNode) => {
    byElkId.set(`n:${n.id}`, n);
    n.children.forEach(walkD);
  };
  walkD(d.root);
  // A parallel node whose regions share no edge: each region is laid out on its own (in parallel),
  // then the regions are put side by side in the machine's order.
  const composable = (e: ElkNode) => byElkId.get(e.id)?.kind === 'parallel' && !(e.edges ?? []).length && graph.layoutOptions?.['elk.hierarchyHandling'] !== 'INCLUDE_CHILDREN';
  const run = async (e: ElkNode): Promise<ElkNode> => {
    if (!composable(e)) return elk.layout(e);
    const kids = await Promise.all((e.children ?? []).map(run));
    const pad = { top: TITLE_H + 6, left: 8, right: 8, bottom: 8, gap: 10 };
    let x = pad.left;
    let h = 0;
    for (const k of kids) {
      k.x = x;
      k.y = pad.top;
      x += (k.width ?? 0) + pad.gap;
      h = Math.max(h, k.height ?? 0);
    }
    // Regions of one parallel state share a height, as in a statechart.
    for (const k of kids) k.height = h;
    const minW = measure(byElkId.get(e.id)!.label, FONT_TITLE) + 28;
    return { ...e, x: 0, y: 0, children: kids, width: Math.max(minW, x - pad.gap + pad.right), height: pad.top + h + pad.bottom };
  };
  const out = await run(graph);
  out.x = 0;
  out.y = 0;
  return collect(d, out, byElkId);
}

function collect(d: Diagram, out: ElkNode, byElkId: Map<string, DiagramNode>): Layout {
  const edges: PlacedEdge[] = [];
  const initials: Layout['initials'] = [];
  const place = (e: ElkNode, ox: number, oy: number): Placed | null => {
    const x = ox + (e.x ?? 0);
    const y = oy + (e.y ?? 0);
    const dn = byElkId.get(e.id);
    for (const ed of (e.edges ?? []) as ElkExtendedEdge[]) {
      // Edge coordinates are relative to the node that holds the edge.
      const pts: { x: number; y: number }[] = [];
      for (const s of ed.sections ?? []) {
        if (!pts.length) pts.push({ x: x + s.startPoint.x, y: y + s.startPoint.y });
        for (const b of s.bendPoints ?? []) pts.push({ x: x + b.x, y: y + b.y });
        pts.push({ x: x + s.endPoint.x, y: y + s.endPoint.y });
      }
      const l = ed.labels?.[0];
      const isInitial = ed.id.startsWith('i:');
      edges.push({
        id: ed.id,
        points: pts,
        label: l ? { x: x + (l.x ?? 0), y: y + (l.y ?? 0), width: l.width ?? 0, height: l.height ?? 0 } : undefined,
        edge: isInitial ? -1 : Number(ed.id.slice(2)),
        initial: isInitial || undefined,
      });
    }
    if (!dn) {
      if (e.id.endsWith(INITIAL)) initials.push({ x: x + (e.width ?? 0) / 2, y: y + (e.height ?? 0) / 2, target: e.id });
      return null;
    }
    const children: Placed[] = [];
    for (const c of e.children ?? []) {
      const pc = place(c, x, y);
      if (pc) children.push(pc);
    }
    return { node: dn, x, y, width: e.width ?? 0, height: e.height ?? 0, children };
  };
  const root = place(out, 0, 0)!;
  return { diagram: d, root, edges, initials, width: Math.ceil(root.width), height: Math.ceil(root.height) };
}

/** What a layout depends on: ids, labels and edges. A precomputed layout is used only if this matches. */
export function signature(d: Diagram): string {
  const nodes: string[] = [];
  const walk = (n: DiagramNode) => {
    nodes.push(`${n.kind}:${n.id}:${n.label}:${n.initial ?? ''}`);
    n.children.forEach(walk);
  };
  walk(d.root);
  return JSON.stringify([nodes, d.edges.map((e) => [e.source, e.target, e.transitions.map((t) => t.label)])]);
}

/** A layout as plain data (node ids instead of nodes), for precomputed layouts. */
export interface LayoutData {
  sig: string;
  root: PlacedData;
  edges: PlacedEdge[];
  initials: Layout['initials'];
  width: number;
  height: number;
}
interface PlacedData {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  children: PlacedData[];
}

export function serializeLayout(l: Layout): LayoutData {
  const ser = (p: Placed): PlacedData => ({ id: p.node.id, x: p.x, y: p.y, width: p.width, height: p.height, children: p.children.map(ser) });
  return { sig: signature(l.diagram), root: ser(l.root), edges: l.edges, initials: l.initials, width: l.width, height: l.height };
}

/** The layout of `d` from data laid out earlier, or null if `d` is not the diagram it was made for. */
export function hydrateLayout(data: LayoutData, d: Diagram): Layout | null {
  if (data.sig !== signature(d)) return null;
  const nodes = new Map<string, DiagramNode>();
  const walk = (n: DiagramNode) => {
    nodes.set(n.id, n);
    n.children.forEach(walk);
  };
  walk(d.root);
  const hyd = (p: PlacedData): Placed => ({ node: nodes.get(p.id)!, x: p.x, y: p.y, width: p.width, height: p.height, children: p.children.map(hyd) });
  return { diagram: d, root: hyd(data.root), edges: data.edges, initials: data.initials, width: data.width, height: data.height };
}

export function layoutKey(profile: string, diagramId: string, regions: readonly string[]): string {
  return `${profile}|${diagramId}|${regions.join(',')}`;
}
