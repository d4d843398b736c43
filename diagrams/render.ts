// SVG for a laid-out diagram, as a string: the page inserts it, the export saves it as it is, and
// `migstate docs` writes it to docs/generated/.
// The drawing carries its own <style>, so an exported file looks like the page (highlighting too).
import { FONT_FAMILY, LINE, type Layout, type Placed } from './layout.ts';

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
.msv .state:focus, .msv .tl:focus { outline: none; }
.msv .state:focus-visible > rect, .msv .state.selected > rect { stroke: #1660d0; stroke-width: 3; }
.msv .state.active > rect, .msv .box.active > rect { fill: #ffe08a; stroke: #b86e00; stroke-width: 2.6; }
.msv .state.possible > rect { fill: #fff3c9; stroke: #b86e00; stroke-width: 2; stroke-dasharray: 4 3; }
.msv .edge > path { fill: none; stroke: #6d7a8e; stroke-width: 1.2; }
.msv .edge.taken > path { stroke: #b86e00; stroke-width: 2.6; }
.msv .edge.hover > path, .msv .edge.selected > path { stroke: #1660d0; stroke-width: 2.4; }
.msv .lbl > rect { fill: #ffffff; fill-opacity: 0.88; }
.msv .tl { font-size: 11px; }
.msv .tl.qmp { fill: #0b4fb3; font-weight: bold; }
.msv .tl.internal { fill: #5a4a78; font-style: italic; }
.msv .tl.other { fill: #333; }
.msv .tl:focus-visible, .msv .tl.selected { fill: #c2410c; text-decoration: underline; }
.msv .initial { fill: #1d2433; }
.msv .initial-edge { fill: none; stroke: #1d2433; stroke-width: 1.3; }
`;

function pathOf(pts: { x: number; y: number }[]): string {
  if (!pts.length) return '';
  // Orthogonal route with slightly rounded corners.
  let d = `M${r1(pts[0].x)},${r1(pts[0].y)}`;
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i];
    const n = pts[i + 1];
    if (!n) {
      d += ` L${r1(p.x)},${r1(p.y)}`;
      break;
    }
    const prev = pts[i - 1];
    const rin = Math.min(5, Math.hypot(p.x - prev.x, p.y - prev.y) / 2);
    const rout = Math.min(5, Math.hypot(n.x - p.x, n.y - p.y) / 2);
    const a = { x: p.x - Math.sign(p.x - prev.x) * rin, y: p.y - Math.sign(p.y - prev.y) * rin };
    const b = { x: p.x + Math.sign(n.x - p.x) * rout, y: p.y + Math.sign(n.y - p.y) * rout };
    d += ` L${r1(a.x)},${r1(a.y)} Q${r1(p.x)},${r1(p.y)} ${r1(b.x)},${r1(b.y)}`;
  }
  return d;
}

export interface RenderOptions {
  /** Prefix for element ids (markers), unique per SVG in the page. */
  prefix: string;
  /** Include xmlns and the style block (for files). The page includes the style too. */
  standalone?: boolean;
  /** Classes to put on nodes (by node id) and edges (by edge id), e.g. the current highlight. */
  nodeClasses?: ReadonlyMap<string, string>;
  edgeClasses?: ReadonlyMap<string, string>;
}

export function renderSvg(l: Layout, o: RenderOptions): string {
  const out: string[] = [];
  const W = l.width + 2;
  const H = l.height + 2;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="msv" viewBox="-1 -1 ${W} ${H}" width="${W}" height="${H}" role="group" aria-label="${esc(`state chart: ${l.diagram.title}`)}" data-diagram="${esc(l.diagram.id)}">`,
  );
  out.push(`<title>${esc(l.diagram.title)}</title>`);
  out.push(`<style>${SVG_STYLE}</style>`);
  out.push(
    `<defs><marker id="${o.prefix}-arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>` +
      `<marker id="${o.prefix}-arr-plain" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#6d7a8e"/></marker></defs>`,
  );
  // Containers first (back to front), then edges, then states and labels on top.
  const states: string[] = [];
  const boxes: string[] = [];
  const walk = (p: Placed) => {
    const n = p.node;
    const cls = o.nodeClasses?.get(n.id) ?? '';
    const title = n.description ? `<title>${esc(n.description)}</title>` : '';
    if (!p.children.length && n.kind !== 'parallel') {
      states.push(
        `<g class="state ${n.kind} ${cls}" data-node="${esc(n.id)}" tabindex="0" role="button" aria-label="${esc(`state ${n.label}${n.description ? ': ' + n.description : ''}`)}">${title}` +
          `<rect x="${r1(p.x)}" y="${r1(p.y)}" width="${r1(p.width)}" height="${r1(p.height)}" rx="14"/>` +
          `<text x="${r1(p.x + p.width / 2)}" y="${r1(p.y + p.height / 2)}">${esc(n.label)}</text></g>`,
      );
      return;
    }
    boxes.push(
      `<g class="box ${n.kind} ${cls}" data-node="${esc(n.id)}">${title}<rect x="${r1(p.x)}" y="${r1(p.y)}" width="${r1(p.width)}" height="${r1(p.height)}" rx="${n.kind === 'region' ? 4 : 10}"/>` +
        `<text class="title" x="${r1(p.x + 10)}" y="${r1(p.y + 18)}">${esc(n.label)}</text></g>`,
    );
    p.children.forEach(walk);
  };
  walk(l.root);
  out.push(...boxes);
  for (const init of l.initials) out.push(`<circle class="initial" cx="${r1(init.x)}" cy="${r1(init.y)}" r="5"/>`);
  const labels: string[] = [];
  for (const e of l.edges) {
    if (e.initial) {
      out.push(`<path class="initial-edge" d="${pathOf(e.points)}" marker-end="url(#${o.prefix}-arr-plain)"/>`);
      continue;
    }
    const de = l.diagram.edges[e.edge];
    const cls = o.edgeClasses?.get(de.id) ?? '';
    out.push(`<g class="edge ${cls}" data-edge="${de.id}"><path d="${pathOf(e.points)}" marker-end="url(#${o.prefix}-arr)"/></g>`);
    if (e.label) {
      const lb = e.label;
      const lines = de.transitions
        .map(
          (t, i) =>
            `<text class="tl ${t.kind}" data-edge="${de.id}" data-t="${i}" x="${r1(lb.x + 3)}" y="${r1(lb.y + (i + 1) * LINE - 2)}" tabindex="0" role="button" aria-label="${esc(`transition ${t.label}: ${de.source.split('.').pop()} to ${de.target.split('.').pop()}`)}">${esc(t.label)}</text>`,
        )
        .join('');
      labels.push(`<g class="lbl" data-edge="${de.id}"><rect x="${r1(lb.x)}" y="${r1(lb.y)}" width="${r1(lb.width)}" height="${r1(lb.height)}" rx="2"/>${lines}</g>`);
    }
  }
  out.push(...states, ...labels);
  out.push('</svg>');
  return out.join('');
}
