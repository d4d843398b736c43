// SVG for a laid-out diagram, as a string: the page inserts it, the export saves it, and
// `migstate docs` writes it to docs/generated/.
// A file carries its own <style> (SVG_STYLE, the page's rules too), so an exported file looks like
// the page (highlighting too).
import { FONT_FAMILY, LINE, type Layout, type Placed, type PlacedEdge } from './layout.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (n: number) => Math.round(n * 10) / 10;

export const SVG_STYLE = `
.msv { font-family: ${FONT_FAMILY}; }
.msv .box > rect { fill: #fbfcfe; stroke: #5b6b82; stroke-width: 1.2; }
.msv .box.parallel > rect { fill: #f4f6fa; stroke: #3b4a60; stroke-width: 1.5; }
.msv .box.region > rect { fill: #ffffff; stroke: #7d8ba0; stroke-dasharray: 6 4; }
.msv .box.compound > rect { fill: #f7f9fc; }
.msv .box > text.title { font-size: 12px; font-weight: bold; fill: #2a3547; }
.msv .state > rect { fill: #ffffff; stroke: #4a5a72; stroke-width: 1.3; }
.msv .state > text { font-size: 13px; fill: #1d2433; text-anchor: middle; dominant-baseline: central; }
.msv .state, .msv .tl { cursor: pointer; }
.msv .state.selected > rect { stroke: #1660d0; stroke-width: 3; }
.msv .state.active > rect { fill: #ffe08a; stroke: #b86e00; stroke-width: 2.6; }
.msv .state.possible > rect { fill: #fff3c9; stroke: #b86e00; stroke-width: 2; stroke-dasharray: 4 3; }
.msv .edge > path { fill: none; stroke: #6d7a8e; stroke-width: 1.2; }
.msv .edge.taken > path { stroke: #b86e00; stroke-width: 2.6; }
.msv .edge.hover > path, .msv .edge.selected > path { stroke: #1660d0; stroke-width: 2.4; }
.msv .lbl > rect { fill: #ffffff; fill-opacity: 0.88; }
.msv .tl { font-size: 12px; }
.msv .tl.qmp { fill: #0b4fb3; font-weight: bold; }
.msv .tl.internal { fill: #5a4a78; font-style: italic; }
.msv .tl.other { fill: #333; }
.msv .tl.selected { fill: #c2410c; text-decoration: underline; }
.msv .initial { fill: #1d2433; }
.msv .junction { fill: #6d7a8e; }
.msv .edge.taken .junction { fill: #b86e00; }
.msv .initial-edge { fill: none; stroke: #1d2433; stroke-width: 1.3; }
@media (prefers-color-scheme: dark) {
  .msv .box > rect { fill: #1c222c; stroke: #8a97ab; }
  .msv .box.parallel > rect { fill: #202733; stroke: #9fb0c8; }
  .msv .box.region > rect { fill: #171c24; stroke: #7d8ba0; }
  .msv .box.compound > rect { fill: #1e2530; }
  .msv .box > text.title { fill: #c9d3e3; }
  .msv .state > rect { fill: #232a35; stroke: #9fb0c8; }
  .msv .state > text { fill: #e4e8ef; }
  .msv .state.selected > rect { stroke: #7fb0ff; }
  .msv .state.active > rect { fill: #5c4300; stroke: #ffc14d; }
  .msv .state.possible > rect { fill: #3a3016; stroke: #ffc14d; }
  .msv .edge > path { stroke: #8a97ab; }
  .msv .edge.taken > path { stroke: #ffb84d; }
  .msv .edge.hover > path, .msv .edge.selected > path { stroke: #7fb0ff; }
  .msv .lbl > rect { fill: #171c24; }
  .msv .tl.qmp { fill: #8cb8ff; }
  .msv .tl.internal { fill: #cdbdf2; }
  .msv .tl.other { fill: #cfd6e0; }
  .msv .tl.selected { fill: #ff9a62; }
  .msv .initial { fill: #e4e8ef; }
  .msv .junction { fill: #8a97ab; }
  .msv .edge.taken .junction { fill: #ffb84d; }
  .msv .initial-edge { stroke: #e4e8ef; }
}
`;

function pathOf(pts: { x: number; y: number }[]): string {
  if (!pts.length) return '';
  // A start point then cubic Bézier triples (layout.ts): splines as ELK routed them.
  let d = `M${r1(pts[0].x)},${r1(pts[0].y)}`;
  for (let i = 1; i + 2 < pts.length; i += 3) d += ` C${r1(pts[i].x)},${r1(pts[i].y)} ${r1(pts[i + 1].x)},${r1(pts[i + 1].y)} ${r1(pts[i + 2].x)},${r1(pts[i + 2].y)}`;
  return d;
}

export interface RenderOptions {
  /** Prefix for element ids (markers), unique per SVG in the page. */
  prefix: string;
  /**
   * A file (docs, an export): the drawing carries its own <style>. The page instead holds SVG_STYLE
   * once for all its charts (viewer/src/chart-view.ts): a <style> per drawing was one more stylesheet
   * in the document per chart drawn.
   */
  standalone?: boolean;
  /** Classes to put on nodes (by node id) and edges (by edge id), e.g. the current highlight. */
  nodeClasses?: ReadonlyMap<string, string>;
  edgeClasses?: ReadonlyMap<string, string>;
  /**
   * Leaves out what lies wholly outside `view` (chart units): each run of such parts becomes one
   * empty placeholder `<g data-later="k"/>`, and its markup is pushed to `later[k]`. A page showing
   * only part of the chart then parses and lays out only that part for its first frame, and puts
   * the rest in after it (viewer/src/chart-view.ts). Files never cull.
   */
  cull?: { view: Box; later: string[] };
}

export type Box = { x: number; y: number; width: number; height: number };

/** The bounding box of points (a spline's control points bound the curve), padded for stroke and arrow head. */
function boundsOf(pts: { x: number; y: number }[], pad: number): Box {
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const x = Math.min(...xs) - pad;
  const y = Math.min(...ys) - pad;
  return { x, y, width: Math.max(...xs) + pad - x, height: Math.max(...ys) + pad - y };
}

export function renderSvg(l: Layout, o: RenderOptions): string {
  const out: string[] = [];
  const c = o.cull?.view;
  // Whether an element's box misses the cull rectangle.
  const off = (b: Box) => !!c && (b.x > c.x + c.width || b.y > c.y + c.height || b.x + b.width < c.x || b.y + b.height < c.y);
  const offPts = (pts: { x: number; y: number }[]) => !!c && pts.length > 0 && off(boundsOf(pts, 10));
  /** The chart's top-level parts in paint order, each with whether the cull leaves it out. */
  type Part = { html: string; off: boolean };
  const W = l.width + 2;
  const H = l.height + 2;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="msv" viewBox="-1 -1 ${W} ${H}" width="${W}" height="${H}" role="group" aria-label="${esc(`state chart: ${l.diagram.title}`)}" data-diagram="${esc(l.diagram.id)}">`,
  );
  out.push(`<title>${esc(l.diagram.title)}</title>`);
  if (o.standalone) out.push(`<style>${SVG_STYLE}</style>`);
  out.push(
    `<defs><marker id="${o.prefix}-arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>` +
      `<marker id="${o.prefix}-arr-plain" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#6d7a8e"/></marker></defs>`,
  );
  // Containers first (back to front), then edges, then states and labels on top.
  const states: Part[] = [];
  const boxes: Part[] = [];
  // Ids for aria-activedescendant: the chart's viewport is its one tab stop and arrow keys move
  // among states and labels, so none of them is a tab stop of its own.
  let seq = 0;
  const idAttr = () => `id="${o.prefix}-i${seq++}"`;
  const walk = (p: Placed) => {
    const n = p.node;
    const cls = o.nodeClasses?.get(n.id) ?? '';
    const title = n.description ? `<title>${esc(n.description)}</title>` : '';
    if (!p.children.length && n.kind !== 'parallel') {
      states.push({
        off: off(p),
        html:
          `<g class="state ${n.kind} ${cls}" data-node="${esc(n.id)}" ${idAttr()} role="button" aria-label="${esc(`state ${n.label}${n.description ? ': ' + n.description : ''}`)}">${title}` +
          `<rect x="${r1(p.x)}" y="${r1(p.y)}" width="${r1(p.width)}" height="${r1(p.height)}" rx="14"/>` +
          `<text x="${r1(p.x + p.width / 2)}" y="${r1(p.y + p.height / 2)}">${esc(n.label)}</text></g>`,
      });
      return;
    }
    boxes.push({
      off: off(p),
      html:
        `<g class="box ${n.kind} ${cls}" data-node="${esc(n.id)}">${title}<rect x="${r1(p.x)}" y="${r1(p.y)}" width="${r1(p.width)}" height="${r1(p.height)}" rx="${n.kind === 'region' ? 4 : 10}"/>` +
        `<text class="title" x="${r1(p.x + 10)}" y="${r1(p.y + 18)}">${esc(n.label)}</text></g>`,
    });
    p.children.forEach(walk);
  };
  walk(l.root);
  const parts: Part[] = [...boxes];
  for (const init of l.initials) parts.push({ off: off({ x: init.x - 5, y: init.y - 5, width: 10, height: 10 }), html: `<circle class="initial" cx="${r1(init.x)}" cy="${r1(init.y)}" r="5"/>` });
  const labels: Part[] = [];
  const short = (id: string) => id.split('.').pop()!;
  const lineText = (lb: NonNullable<PlacedEdge['label']>, i: number, t: { kind: string; label: string }, data: string, aria: string) =>
    `<text class="tl ${t.kind}" ${data} ${idAttr()} x="${r1(lb.x + 4)}" y="${r1(lb.y + (i + 1) * LINE - 1)}" role="button" aria-label="${esc(aria)}">${esc(t.label)}</text>`;
  const labelBox = (lb: NonNullable<PlacedEdge['label']>, data: string, lines: string): Part => ({
    off: off(lb),
    html: `<g class="lbl" ${data}><rect x="${r1(lb.x)}" y="${r1(lb.y)}" width="${r1(lb.width)}" height="${r1(lb.height)}" rx="3"/>${lines}</g>`,
  });
  for (const e of l.edges) {
    if (e.initial) {
      parts.push({ off: offPts(e.points), html: `<path class="initial-edge" d="${pathOf(e.points)}" marker-end="url(#${o.prefix}-arr-plain)"/>` });
      continue;
    }
    if (e.trunk && e.bundle !== undefined) {
      // A bundle's trunk: the junction where its branches merge, one arrow, one label.
      const b = l.bundles[e.bundle];
      const members = [...new Set(b.lines.flatMap((x) => x.members.map(([i]) => l.diagram.edges[i].id)))];
      const cls = members.map((id) => o.edgeClasses?.get(id) ?? '').find((c) => c) ?? '';
      const j = b.junction ? `<circle class="junction" cx="${r1(b.junction.x)}" cy="${r1(b.junction.y)}" r="4"/>` : '';
      const pts = b.junction ? [...e.points, b.junction] : e.points;
      parts.push({ off: offPts(pts), html: `<g class="edge trunk ${cls}" data-bundle="${e.bundle}" data-edges="${members.join(' ')}"><path d="${pathOf(e.points)}" marker-end="url(#${o.prefix}-arr)"/>${j}</g>` });
      if (e.label) {
        const from = b.sources.map(short).join(', ');
        const lines = b.lines.map((t, i) => lineText(e.label!, i, t, `data-bundle="${e.bundle}" data-line="${i}"`, `transition ${t.label}: ${from} to ${short(b.target)}`)).join('');
        labels.push(labelBox(e.label, `data-bundle="${e.bundle}"`, lines));
      }
      continue;
    }
    const de = l.diagram.edges[e.edge];
    const cls = o.edgeClasses?.get(de.id) ?? '';
    if (e.bundle !== undefined) {
      // A branch: from one state into its bundle's junction (the trunk carries the arrow head).
      parts.push({ off: offPts(e.points), html: `<g class="edge branch ${cls}" data-edge="${de.id}" data-bundle="${e.bundle}"><path d="${pathOf(e.points)}"/></g>` });
      continue;
    }
    parts.push({ off: offPts(e.points), html: `<g class="edge ${cls}" data-edge="${de.id}"><path d="${pathOf(e.points)}" marker-end="url(#${o.prefix}-arr)"/></g>` });
    if (e.label) {
      const shown = e.lines ?? de.transitions.map((_, i) => i);
      const lines = shown
        .map((ti, i) => lineText(e.label!, i, de.transitions[ti], `data-edge="${de.id}" data-t="${ti}"`, `transition ${de.transitions[ti].label}: ${short(de.source)} to ${short(de.target)}`))
        .join('');
      labels.push(labelBox(e.label, `data-edge="${de.id}"`, lines));
    }
  }
  parts.push(...states, ...labels);
  // A run of parts the cull leaves out becomes one placeholder; its markup waits in `later`.
  const later = o.cull?.later;
  let run: string[] = [];
  const flush = () => {
    if (!run.length || !later) return;
    out.push(`<g data-later="${later.length}"/>`);
    later.push(run.join(''));
    run = [];
  };
  for (const p of parts) {
    if (p.off) run.push(p.html);
    else {
      flush();
      out.push(p.html);
    }
  }
  flush();
  out.push('</svg>');
  return out.join('');
}
