// Automatic layout of a Diagram with ELK's layered algorithm: each region is its own ELK graph, laid
// out top to bottom with spline edges and labels on their edges, and the regions of a parallel node
// are stacked. A transition drawn from many states to one (migrate_cancel from every active status)
// is folded into a bundle: one branch per state into a junction, one labelled trunk on to the
// target. Text is measured by the caller (monoMeasure, in the page and in Node alike) so that boxes
// fit their labels. The same code lays out the viewer's charts and the SVGs of `migstate docs`.
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
export const FONT_LABEL = `12px ${FONT_FAMILY}`;
export const FONT_TITLE = `bold 12px ${FONT_FAMILY}`;
export const LINE = 15;
export const STATE_H = 30;
export const TITLE_H = 26;
export const INITIAL = '__initial';
/** Id suffix of a bundle's junction (the point where its branches merge). */
export const JUNCTION = '__junction';
/** A transition (same label, same target) drawn from at least this many states is folded into one bundle. */
export const BUNDLE_MIN = 3;

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
  /** Absolute points of the route: a start point then cubic Bézier triples (control, control, end). */
  points: { x: number; y: number }[];
  label?: { x: number; y: number; width: number; height: number };
  /** Index into Diagram.edges, or -1 for an initial-state arrow or a bundle's trunk. */
  edge: number;
  /** The transitions of Diagram.edges[edge] this edge's label lists (the others are in bundles). */
  lines?: number[];
  /** Index into Layout.bundles: a branch (state -> junction) or the trunk (junction -> target). */
  bundle?: number;
  trunk?: boolean;
  initial?: boolean;
}

/**
 * Transitions with one label and one target drawn from many states (migrate_cancel from every
 * active status): the branches merge in a junction, one labelled trunk goes on to the target.
 */
export interface Bundle {
  target: string;
  sources: string[];
  /** One per label; members are [index into Diagram.edges, index into its transitions]. */
  lines: { label: string; kind: string; members: [number, number][] }[];
  junction?: { x: number; y: number };
}

export interface Layout {
  diagram: Diagram;
  root: Placed;
  edges: PlacedEdge[];
  bundles: Bundle[];
  initials: { x: number; y: number; target: string }[];
  width: number;
  height: number;
}

const REGION_OPTS: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  // Splines: long orthogonal runs side by side were impossible to tell apart by eye.
  'elk.edgeRouting': 'SPLINES',
  'elk.layered.edgeRouting.splines.mode': 'SLOPPY',
  'elk.layered.spacing.nodeNodeBetweenLayers': '40',
  'elk.spacing.nodeNode': '30',
  'elk.spacing.edgeEdge': '12',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeLabel': '2',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  // Inline labels sit on their edge (the edge runs through them), so a label cannot drift away
  // from the edge it names.
  'elk.edgeLabels.inline': 'true',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.edgeLabels.sideSelection': 'SMART_DOWN',
  // Network simplex keeps edges short and straight: the 7.2 source status chart is 1218 units wide
  // with it, 1992 with Brandes-Köpf.
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.thoroughness': '7',
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
  'elk.direction': 'DOWN',
  'elk.spacing.nodeNode': '10',
  'elk.spacing.componentComponent': '10',
  'elk.layered.spacing.nodeNodeBetweenLayers': '10',
  'elk.padding': `[top=${TITLE_H + 6},left=8,bottom=8,right=8]`,
  'elk.nodeSize.constraints': 'MINIMUM_SIZE',
  'elk.contentAlignment': 'V_TOP H_LEFT',
  'elk.alignment': 'LEFT',
};

/** The lowest node containing both ends (edges are laid out by that node). */
function commonParent(a: string, b: string, parentOf: Map<string, string>): string {
  const up = new Set<string>();
  for (let x: string | undefined = parentOf.get(a); x !== undefined; x = parentOf.get(x)) up.add(x);
  for (let x: string | undefined = parentOf.get(b); x !== undefined; x = parentOf.get(x)) if (up.has(x)) return x;
  return '';
}

/** The bundles of a diagram: per (target, label), the states it is drawn from, when there are BUNDLE_MIN or more;
 * labels drawn from the same states to the same target share one bundle. Self-loops stay edges. */
export function findBundles(d: Diagram): Bundle[] {
  const byLabel = new Map<string, { target: string; label: string; kind: string; members: [number, number][] }>();
  d.edges.forEach((e, i) => {
    if (e.source === e.target) return;
    e.transitions.forEach((t, j) => {
      const k = `${e.target}\n${t.label}`;
      let g = byLabel.get(k);
      if (!g) byLabel.set(k, (g = { target: e.target, label: t.label, kind: t.kind, members: [] }));
      g.members.push([i, j]);
    });
  });
  const bundles = new Map<string, Bundle>();
  for (const g of byLabel.values()) {
    const sources = [...new Set(g.members.map(([i]) => d.edges[i].source))];
    if (sources.length < BUNDLE_MIN) continue;
    const k = `${g.target}\n${[...sources].sort().join(' ')}`;
    let b = bundles.get(k);
    if (!b) bundles.set(k, (b = { target: g.target, sources, lines: [] }));
    b.lines.push({ label: g.label, kind: g.kind, members: g.members });
  }
  return [...bundles.values()];
}

export function toElk(d: Diagram, measure: Measure): { graph: ElkNode; bundles: Bundle[] } {
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
  // Every edge given to ELK, by its ends (diagram ids), to find the ones crossing compound nodes.
  const links: { s: string; t: string }[] = [];
  const add = (x: ElkExtendedEdge, s: string, t: string) => {
    const owner = elkNodes.get(commonParent(s, t, parentOf)) ?? graph;
    (owner.edges ??= []).push(x);
    links.push({ s, t });
  };
  const label = (id: string, lines: string[]) => ({
    id,
    text: lines.join('\n'),
    width: Math.max(...lines.map((l) => measure(l, FONT_LABEL))) + 8,
    height: lines.length * LINE + 4,
  });
  const container = (ids: string[]) => {
    let c = parentOf.get(ids[0]) ?? '';
    for (const id of ids.slice(1)) {
      const chain = new Set<string>();
      for (let x: string | undefined = c; x !== undefined; x = parentOf.get(x)) chain.add(x);
      let y = parentOf.get(id);
      while (y !== undefined && !chain.has(y)) y = parentOf.get(y);
      c = y ?? '';
    }
    return c;
  };
  const bundles = findBundles(d);
  const folded = new Set<string>(); // `${edge}:${transition}`
  bundles.forEach((b, k) => {
    for (const l of b.lines) for (const [i, j] of l.members) folded.add(`${i}:${j}`);
    // The junction sits in the lowest node holding all the bundle's states.
    const home = container([b.target, ...b.sources]);
    const jid = `${home}.${JUNCTION}${k}`;
    parentOf.set(jid, home);
    const owner = elkNodes.get(home) ?? graph;
    // Just before the target in model order: the trunk points forward, and each branch goes up or
    // down as the edge it replaces would (cycle breaking follows model order).
    const kids = (owner.children ??= []);
    const at = kids.findIndex((c) => c.id === idOf(b.target) || c.id.startsWith(idOf(b.target) + '.'));
    kids.splice(at < 0 ? kids.length : at, 0, { id: idOf(jid), width: 8, height: 8 });
    const srcEdges = new Map<string, number>();
    for (const l of b.lines) for (const [i] of l.members) srcEdges.set(d.edges[i].source, i);
    for (const [s, i] of srcEdges) add({ id: `b:${k}:${i}`, sources: [idOf(s)], targets: [idOf(jid)] }, s, jid);
    add({ id: `t:${k}`, sources: [idOf(jid)], targets: [idOf(b.target)], labels: [label(`lt:${k}`, b.lines.map((l) => l.label))] }, jid, b.target);
  });
  d.edges.forEach((edge, i) => {
    const lines = edge.transitions.flatMap((t, j) => (folded.has(`${i}:${j}`) ? [] : [t.label]));
    if (!lines.length) return;
    add({ id: `e:${i}`, sources: [idOf(edge.source)], targets: [idOf(edge.target)], labels: [label(`l:${i}`, lines)] }, edge.source, edge.target);
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
  // and stacked), otherwise the whole diagram.
  const topOf = (id: string) => {
    let x = id;
    for (let p = parentOf.get(x); p !== undefined && p !== d.root.id; p = parentOf.get(p)) x = p;
    return x;
  };
  const hierarchical = new Set<ElkNode>();
  for (const e of links) {
    if (parentOf.get(e.s) === parentOf.get(e.t)) continue;
    const top = topOf(e.s);
    const own = d.root.kind === 'parallel' && top === topOf(e.t) && top !== d.root.id ? elkNodes.get(top) : undefined;
    hierarchical.add(own ?? graph);
  }
  for (const h of hierarchical) {
    h.layoutOptions = { ...h.layoutOptions, 'elk.hierarchyHandling': 'INCLUDE_CHILDREN' };
    // ELK's model-order options fail inside a hierarchical layout ("Cannot read properties of
    // undefined"; the COLO region's checkpoint cycle crosses its compound states): left out there.
    const strip = (e: ElkNode) => {
      if (e.layoutOptions) {
        delete e.layoutOptions['elk.layered.considerModelOrder.strategy'];
        // Depth first from the initial states instead: the chart still reads from the top.
        e.layoutOptions['elk.layered.cycleBreaking.strategy'] = 'DEPTH_FIRST';
      }
      e.children?.forEach(strip);
    };
    strip(h);
  }
  return { graph, bundles };
}

/** Lays a diagram out; every coordinate in the result is absolute. */
export async function layoutDiagram(d: Diagram, elk: ElkLike, measure: Measure): Promise<Layout> {
  const { graph, bundles } = toElk(d, measure);
  const byElkId = new Map<string, DiagramNode>();
  const walkD = (n: DiagramNode) => {
    byElkId.set(`n:${n.id}`, n);
    n.children.forEach(walkD);
  };
  walkD(d.root);
  // A parallel node whose regions share no edge: each region is its own ELK graph, laid out in
  // parallel, and the regions are stacked in the machine's order (a chart box is wider than it is
  // tall, and one region's layout does not disturb another's).
  const composable = (e: ElkNode) => byElkId.get(e.id)?.kind === 'parallel' && !(e.edges ?? []).length && graph.layoutOptions?.['elk.hierarchyHandling'] !== 'INCLUDE_CHILDREN';
  const run = async (e: ElkNode): Promise<ElkNode> => {
    if (!composable(e)) return elk.layout(e);
    const kids = await Promise.all((e.children ?? []).map(run));
    const pad = { top: TITLE_H + 6, left: 8, right: 8, bottom: 8, gap: 12 };
    let y = pad.top;
    let w = 0;
    for (const k of kids) {
      k.x = pad.left;
      k.y = y;
      y += (k.height ?? 0) + pad.gap;
      w = Math.max(w, k.width ?? 0);
    }
    const minW = measure(byElkId.get(e.id)!.label, FONT_TITLE) + 28;
    return { ...e, x: 0, y: 0, children: kids, width: Math.max(minW, pad.left + w + pad.right), height: y - pad.gap + pad.bottom };
  };
  const out = await run(graph);
  out.x = 0;
  out.y = 0;
  return collect(d, out, byElkId, bundles);
}

/** One ELK edge section as a start point and cubic Bézier triples. ELK's splines come as such
 * (3k-1 bend points, then the end point); other routes become straight cubic segments. */
function sectionCurve(s: { startPoint: { x: number; y: number }; bendPoints?: { x: number; y: number }[]; endPoint: { x: number; y: number } }, spline: boolean) {
  const bends = s.bendPoints ?? [];
  const pts = [s.startPoint, ...bends, s.endPoint];
  if (spline && (bends.length + 1) % 3 === 0) return pts;
  const out = [pts[0]];
  for (let i = 1; i < pts.length; i++) out.push(pts[i - 1], pts[i], pts[i]);
  return out;
}

function collect(d: Diagram, out: ElkNode, byElkId: Map<string, DiagramNode>, bundles: Bundle[]): Layout {
  const edges: PlacedEdge[] = [];
  const initials: Layout['initials'] = [];
  const place = (e: ElkNode, ox: number, oy: number, spline: boolean): Placed | null => {
    const x = ox + (e.x ?? 0);
    const y = oy + (e.y ?? 0);
    const dn = byElkId.get(e.id);
    const sp = e.layoutOptions?.['elk.edgeRouting'] === 'SPLINES' || (spline && !e.layoutOptions?.['elk.edgeRouting']);
    for (const ed of (e.edges ?? []) as ElkExtendedEdge[]) {
      // Edge coordinates are relative to the node that holds the edge.
      const pts: { x: number; y: number }[] = [];
      for (const s of ed.sections ?? []) {
        const c = sectionCurve(s, sp).map((p) => ({ x: x + p.x, y: y + p.y }));
        const last = pts[pts.length - 1];
        // Sections follow each other; a gap between two is bridged by a straight segment.
        if (last && (last.x !== c[0].x || last.y !== c[0].y)) pts.push(last, c[0], c[0]);
        pts.push(...(last ? c.slice(1) : c));
      }
      const l = ed.labels?.[0];
      const kind = ed.id.slice(0, 2);
      const parts = ed.id.split(':');
      const pe: PlacedEdge = {
        id: ed.id,
        points: pts,
        label: l ? { x: x + (l.x ?? 0), y: y + (l.y ?? 0), width: l.width ?? 0, height: l.height ?? 0 } : undefined,
        edge: kind === 'e:' ? Number(parts[1]) : kind === 'b:' ? Number(parts[2]) : -1,
      };
      if (kind === 'i:') pe.initial = true;
      if (kind === 'e:') pe.lines = d.edges[pe.edge].transitions.flatMap((_, j) => (bundles.some((b) => b.lines.some((bl) => bl.members.some(([i, t]) => i === pe.edge && t === j))) ? [] : [j]));
      if (kind === 'b:' || kind === 't:') pe.bundle = Number(parts[1]);
      if (kind === 't:') pe.trunk = true;
      edges.push(pe);
    }
    if (!dn) {
      const cx = x + (e.width ?? 0) / 2;
      const cy = y + (e.height ?? 0) / 2;
      if (e.id.endsWith(INITIAL)) initials.push({ x: cx, y: cy, target: e.id });
      const jm = new RegExp(`\\.${JUNCTION}(\\d+)$`).exec(e.id);
      if (jm) bundles[Number(jm[1])].junction = { x: cx, y: cy };
      return null;
    }
    const children: Placed[] = [];
    for (const c of e.children ?? []) {
      const pc = place(c, x, y, sp);
      if (pc) children.push(pc);
    }
    return { node: dn, x, y, width: e.width ?? 0, height: e.height ?? 0, children };
  };
  const root = place(out, 0, 0, false)!;
  return { diagram: d, root, edges, bundles, initials, width: Math.ceil(root.width), height: Math.ceil(root.height) };
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
  bundles: Bundle[];
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
  return { sig: signature(l.diagram), root: ser(l.root), edges: l.edges, bundles: l.bundles, initials: l.initials, width: l.width, height: l.height };
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
  return { diagram: d, root: hyd(data.root), edges: data.edges, bundles: data.bundles ?? [], initials: data.initials, width: data.width, height: data.height };
}

export function layoutKey(profile: string, diagramId: string, regions: readonly string[]): string {
  return `${profile}|${diagramId}|${regions.join(',')}`;
}
