// One drawn chart in the page: toolbar (regions, zoom, export), the SVG with pan and zoom, and a
// details box for the clicked state or transition (QEMU function, rule, note).
import type { Diagram, DiagramNode, DiagramTransition } from '../../diagrams/diagram.ts';
import { nodeIndex } from '../../diagrams/diagram.ts';
import { afterPaint, download, h, kids } from './dom.ts';
import type { Layout, Placed } from '../../diagrams/layout.ts';
import { renderSvg, SVG_STYLE, type Box } from '../../diagrams/render.ts';
import './charts.css';

/**
 * The charts' own rules (diagrams/render.ts: SVG_STYLE), once for the page: a drawing puts them in a
 * <style> of its own only as a file. In the page, each chart's <style> was one more stylesheet in the
 * document each time a chart was drawn (three at start-up), and each made Chromium rebuild the page's
 * rule sets and restyle it (StyleElement::processStyleSheet, 6 per load, traced).
 */
let styled = false;
function adoptChartStyle() {
  if (styled) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(SVG_STYLE);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

const union = (bs: { x: number; y: number; width: number; height: number }[]) => {
  const x = Math.min(...bs.map((b) => b.x));
  const y = Math.min(...bs.map((b) => b.y));
  return { x, y, width: Math.max(...bs.map((b) => b.x + b.width)) - x, height: Math.max(...bs.map((b) => b.y + b.height)) - y };
};

export interface Highlight {
  /** Active in every possible state. */
  sure: ReadonlySet<string>;
  /** Active in some possible states (trace replay with several hypotheses). */
  possible?: ReadonlySet<string>;
  /** Edge ids the last step took. */
  taken?: ReadonlySet<string>;
}

let seq = 0;

/** Smallest zoom the default view may use: text is drawn at 12–13 SVG units, so 1 keeps it ≥ 12 CSS px. */
const NATURAL = 1;
/** Chart units drawn visible around the first view (ChartView.show). */
const CULL_MARGIN = 24;

export class ChartView {
  readonly el: HTMLElement;
  private viewport: HTMLElement;
  private info: HTMLElement;
  private regionBox: HTMLElement;
  private layout: Layout | null = null;
  private svg: SVGSVGElement | null = null;
  private nodesById = new Map<string, DiagramNode>();
  private boxes = new Map<string, Box>();
  private nodeEls = new Map<string, Element>();
  /** Edge elements by diagram edge id, and by `b<k>` for a whole bundle (its trunk and branches). */
  private edgeEls = new Map<string, Element[]>();
  private hl: Highlight = { sure: new Set() };
  private applied = new Set<Element>();
  /** The view: chart point at the viewport's top-left corner, and CSS px per chart unit. */
  private view = { x: 0, y: 0, k: NATURAL };
  /** The default view waits until the viewport has a size (a hidden tab has none). */
  private needDefault = true;
  /** The viewport's content box (the SVG fills it), from the ResizeObserver. */
  private vpSize = { w: 0, h: 0 };
  /** The keyboard's current item (aria-activedescendant). */
  private current: Element | null = null;
  private prefix = `c${++seq}`;
  /** What was drawn (chart units) while the rest waits for the next paint; null once all is drawn. */
  private cullRect: Box | null = null;
  /** The markup of the parts left out of the first drawing, by placeholder (`<g data-later="k">`). */
  private later: string[] = [];
  /** The keyboard's item when it was among the parts left out. */
  private currentLater: string | null = null;
  /** Resolves when every element of the drawn chart shows (nothing waits hidden). */
  settled: Promise<void> = Promise.resolve();

  constructor(
    private name: string,
    opts: { regions?: { all: string[]; shown: string[]; titles: Record<string, string>; onChange: (shown: string[]) => void } } = {},
  ) {
    adoptChartStyle();
    this.regionBox = h('span', { class: 'regions' });
    const btn = (label: string, title: string, f: () => void) => h('button', { type: 'button', class: 'tool', title, 'aria-label': `${title} (${name})`, onclick: f }, label);
    // The viewport is the chart's one tab stop; arrow keys move among its states and labels.
    this.viewport = h('div', {
      class: 'viewport',
      tabindex: '0',
      role: 'group',
      'aria-roledescription': 'state chart',
      'aria-label': `${name} chart: arrow keys move between states and transitions, Enter shows details, Shift+arrows or drag to pan, Ctrl+wheel or +/- to zoom, 0 to fit, 1 for natural size`,
    });
    this.busy(true);
    if (opts.regions) this.setRegions(opts.regions.all, opts.regions.shown, opts.regions.titles, opts.regions.onChange);
    this.info = h('div', { class: 'info', 'aria-live': 'polite' }, h('span', { class: 'hint' }, 'Click a state or a transition label (or use the arrow keys and Enter) for its QEMU source reference.'));
    this.el = h(
      'div',
      { class: 'chart' },
      h(
        'div',
        { class: 'toolbar' },
        this.regionBox,
        h('span', { class: 'spacer' }),
        btn('−', 'Zoom out', () => this.zoom(1.25)),
        btn('+', 'Zoom in', () => this.zoom(0.8)),
        btn('1:1', '1:1, natural size, centred on the active state', () => this.defaultView()),
        btn('Fit', 'Fit the chart', () => this.fit()),
        btn('SVG', 'Export the chart as SVG', () => this.exportSvg()),
        btn('PNG', 'Export the chart as PNG', () => void this.exportPng()),
      ),
      this.viewport,
      this.info,
    );
    this.wire();
  }

  /** Shows or clears the "laying out…" notice (ELK runs in a worker; a new region set takes a moment). */
  private busy(on: boolean) {
    this.viewport.querySelector(':scope > .busy')?.remove();
    if (on) this.viewport.append(h('div', { class: 'busy', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'laying out…'));
    this.viewport.setAttribute('aria-busy', String(on));
  }

  setRegions(all: string[], shown: string[], titles: Record<string, string>, onChange: (shown: string[]) => void): void {
    this.regionBox.replaceChildren(
      ...(all.length > 1
        ? all.map((r) =>
            h(
              'label',
              { class: 'region-toggle' },
              h('input', {
                type: 'checkbox',
                checked: shown.includes(r),
                onchange: (e: Event) => {
                  const on = (e.target as HTMLInputElement).checked;
                  const next = all.filter((x) => (x === r ? on : shown.includes(x)));
                  if (next.length) {
                    // Cleared by show() when the new layout arrives.
                    this.busy(true);
                    onChange(next);
                  } else (e.target as HTMLInputElement).checked = true;
                },
              }),
              titles[r] ?? r,
            ),
          )
        : []),
    );
  }

  get diagram(): Diagram | null {
    return this.layout?.diagram ?? null;
  }

  /**
   * Draws a layout, marked with `hl` when given. When the viewport's size is known the view is set
   * first, and only what it shows is drawn: the rest waits as markup (diagrams/render.ts: cull) and
   * is put in after the next paint (`settled`), or at once when the view moves beyond it. The page's
   * first frame then parses and lays out a chart's visible part only (most of a chart lies outside
   * its viewport at natural size).
   */
  show(l: Layout, hl?: Highlight): void {
    const keepView = !this.needDefault && this.layout && this.layout.width === l.width && this.layout.height === l.height && this.layout.diagram.id === l.diagram.id;
    const currentId = this.current?.id;
    this.layout = l;
    if (hl) this.hl = hl;
    this.nodesById = nodeIndex(l.diagram);
    this.boxes.clear();
    const walk = (p: Placed) => {
      this.boxes.set(p.node.id, p);
      p.children.forEach(walk);
    };
    walk(l.root);
    this.needDefault = !keepView;
    const { w, h: hh } = this.vpSize;
    let cull: Box | null = null;
    if (w && hh) {
      if (this.needDefault) this.defaultView(false);
      // A margin: the ResizeObserver's fractional size, or a nudge, need not put in the rest.
      const v = this.viewRect();
      cull = { x: v.x - CULL_MARGIN, y: v.y - CULL_MARGIN, width: v.width + 2 * CULL_MARGIN, height: v.height + 2 * CULL_MARGIN };
    }
    const later: string[] = [];
    this.viewport.innerHTML = renderSvg(l, { prefix: this.prefix, cull: cull ? { view: cull, later } : undefined });
    this.later = later;
    this.cullRect = later.length ? cull : null;
    if (this.cullRect) this.settled = afterPaint().then(() => this.revealAll());
    this.viewport.setAttribute('aria-busy', 'false');
    this.svg = this.viewport.querySelector('svg');
    this.svg!.removeAttribute('width');
    this.svg!.removeAttribute('height');
    this.svg!.setAttribute('preserveAspectRatio', 'xMinYMin meet');
    // The SVG's own role and name would make it a second, nameless stop for screen readers.
    // (The viewport names the chart; a presentational SVG may not carry a name: aria-prohibited-attr.)
    this.svg!.setAttribute('role', 'presentation');
    this.svg!.removeAttribute('aria-label');
    this.applied.clear();
    this.index();
    this.current = currentId ? this.svg!.querySelector(`#${CSS.escape(currentId)}`) : null;
    // The keyboard's item may be among the parts left out: found again once they are put in.
    this.currentLater = this.current ? null : (currentId ?? null);
    this.setCurrent(this.current, false);
    if (!this.needDefault) this.applyView();
    this.highlight(this.hl);
  }

  /** Finds the drawn states and edges by their ids (again once the parts left out are put in). */
  private index(): void {
    this.nodeEls.clear();
    this.edgeEls.clear();
    for (const el of this.svg!.querySelectorAll('[data-node]')) this.nodeEls.set(el.getAttribute('data-node')!, el);
    const reg = (id: string, el: Element) => this.edgeEls.set(id, [...(this.edgeEls.get(id) ?? []), el]);
    for (const el of this.svg!.querySelectorAll('g.edge')) {
      const id = el.getAttribute('data-edge');
      if (id) reg(id, el);
      // A trunk is taken when any of its branches' edges is.
      for (const m of el.getAttribute('data-edges')?.split(' ') ?? []) reg(m, el);
      const b = el.getAttribute('data-bundle');
      if (b !== null) reg(`b${b}`, el);
    }
  }

  /** Marks the active states (and the edges just taken). Cheap: toggles classes only. */
  highlight(hl: Highlight): void {
    this.hl = hl;
    this.mark();
    if (this.needDefault) this.defaultView();
    else this.followActive();
  }

  /** Puts the highlight's classes on the drawn elements. */
  private mark(): void {
    const hl = this.hl;
    for (const el of this.applied) el.classList.remove('active', 'possible', 'taken');
    this.applied.clear();
    const put = (el: Element | undefined, c: string) => {
      if (!el) return;
      el.classList.add(c);
      this.applied.add(el);
    };
    // Only leaf states are marked: regions, the parallel root and compound states are active
    // whenever one of their states is, and marking them hid the real state (every box amber).
    for (const id of hl.sure) if (this.isLeaf(id)) put(this.nodeEls.get(id), 'active');
    for (const id of hl.possible ?? []) if (this.isLeaf(id)) put(this.nodeEls.get(id), 'possible');
    for (const id of hl.taken ?? []) for (const el of this.edgeEls.get(id) ?? []) put(el, 'taken');
  }

  private isLeaf(id: string): boolean {
    const n = this.nodesById.get(id);
    return !!n && !n.children.length && n.kind !== 'parallel' && n.kind !== 'region';
  }

  /** Which states are highlighted (for tests and the screen reader summary). */
  activeStates(): string[] {
    return [...this.hl.sure].filter((id) => this.nodesById.get(id)?.children.length === 0);
  }

  /** The viewport's size in CSS px (0 while hidden), as last measured: asking the element each time
   * would force a layout of the whole page in the middle of building it, once per chart. */
  private size() {
    return this.svg ? this.vpSize : { w: 0, h: 0 };
  }

  /**
   * Measures the viewport now (a layout, if the page changed since the last one). The page measures
   * all its charts, then settles them (`settle`): one layout for all. Otherwise the ResizeObserver
   * measures, in the next frame.
   */
  measure(): void {
    this.vpSize = { w: this.viewport.clientWidth, h: this.viewport.clientHeight };
  }

  /** Applies the view to the measured size: the default view when one is due. */
  settle(): void {
    if (this.needDefault) this.defaultView();
    else this.applyView();
  }

  /** The chart's rectangle the view shows (chart units). */
  private viewRect(): Box {
    const { w, h: hh } = this.vpSize;
    return { x: this.view.x, y: this.view.y, width: w / this.view.k, height: hh / this.view.k };
  }

  /** Puts in the parts left out of the first drawing, each where its placeholder stands (paint order). */
  private revealAll() {
    if (!this.cullRect || !this.svg) return;
    this.cullRect = null;
    const later = this.later;
    this.later = [];
    // The placeholder's parent is the <svg>: the markup is parsed as SVG.
    for (const ph of this.svg.querySelectorAll(':scope > g[data-later]')) ph.outerHTML = later[Number(ph.getAttribute('data-later'))];
    this.index();
    this.mark();
    if (this.currentLater && !this.current) this.setCurrent(this.svg.querySelector(`#${CSS.escape(this.currentLater)}`), false);
    this.currentLater = null;
  }

  /** The markup of the parts not yet put in (for tests: what the first frame left out). */
  get pending(): readonly string[] {
    return this.later;
  }

  private applyView() {
    const { w, h: hh } = this.size();
    if (!this.svg || !w || !hh) return;
    const c = this.cullRect;
    const v = this.viewRect();
    if (c && (v.x < c.x || v.y < c.y || v.x + v.width > c.x + c.width || v.y + v.height > c.y + c.height)) this.revealAll();
    this.svg.setAttribute('viewBox', `${this.view.x} ${this.view.y} ${w / this.view.k} ${hh / this.view.k}`);
  }

  /** The active leaf states' boxes, in document (region) order. */
  private activeBoxes(): Box[] {
    const ids = [...this.hl.sure, ...(this.hl.possible ?? [])].filter((id) => this.isLeaf(id));
    const order = [...this.boxes.keys()];
    return ids
      .sort((a, b) => order.indexOf(a) - order.indexOf(b))
      .map((id) => this.boxes.get(id))
      .filter((b): b is Box => !!b);
  }

  /** The view centred on a chart box at the current zoom. */
  private centredOn(b: Box) {
    const { w, h: hh } = this.vpSize;
    return { ...this.view, x: b.x + b.width / 2 - w / this.view.k / 2, y: b.y + b.height / 2 - hh / this.view.k / 2 };
  }

  private centreOn(b: Box) {
    this.view = this.centredOn(b);
    this.applyView();
  }

  private visible(b: Box): boolean {
    const { w, h: hh } = this.size();
    const v = this.view;
    return b.x >= v.x && b.y >= v.y && b.x + b.width <= v.x + w / v.k && b.y + b.height <= v.y + hh / v.k;
  }

  /** Where the active states are: all of them when they fit, else the first (the migration status). */
  private activeTarget(): Box | null {
    const bs = this.activeBoxes();
    if (!bs.length) return null;
    const u = union(bs);
    const { w, h: hh } = this.vpSize;
    return u.width <= w / this.view.k - 16 && u.height <= hh / this.view.k - 16 ? u : bs[0];
  }

  /** The default view: natural size (text at 12–13 CSS px), centred on the active states. */
  defaultView(apply = true): void {
    if (!this.layout) return;
    const { w, h: hh } = this.vpSize;
    if (!w || !hh) return; // hidden: done when it gets a size (ResizeObserver)
    this.needDefault = false;
    this.view = { x: -4, y: -4, k: NATURAL };
    const t = this.activeTarget() ?? this.boxes.get(this.layout.diagram.root.initial ?? '') ?? null;
    if (t) this.view = this.centredOn(t);
    if (apply) this.applyView();
  }

  /** After a step: re-centres when the active state left the view. */
  private followActive() {
    const bs = this.activeBoxes();
    if (bs.length && !this.visible(bs[0])) this.centreOn(this.activeTarget()!);
  }

  fit(): void {
    if (!this.layout) return;
    const { w, h: hh } = this.size();
    if (!w || !hh) return;
    const lw = this.layout.width + 8;
    const lh = this.layout.height + 8;
    const k = Math.min(w / lw, hh / lh);
    this.needDefault = false;
    this.view = { x: -4 - (w / k - lw) / 2, y: -4 - (hh / k - lh) / 2, k };
    this.applyView();
  }

  /** Zooms by `f` (<1 zooms in) around a point in chart coordinates (default: the centre). */
  zoom(f: number, cx?: number, cy?: number): void {
    const { w, h: hh } = this.size();
    if (!w || !hh) return;
    const v = this.view;
    const x = cx ?? v.x + w / v.k / 2;
    const y = cy ?? v.y + hh / v.k / 2;
    const k = Math.min(Math.max(v.k / f, 0.05), 4);
    this.needDefault = false;
    this.view = { x: x - (x - v.x) * (v.k / k), y: y - (y - v.y) * (v.k / k), k };
    this.applyView();
  }

  /** Pans by CSS px; returns whether the view moved (at the chart's edge the page scrolls instead). */
  private pan(dx: number, dy: number): boolean {
    if (!this.layout) return false;
    const { w, h: hh } = this.size();
    const v = this.view;
    const clamp = (p: number, span: number, total: number) => Math.min(Math.max(p, Math.min(-4, total + 4 - span)), Math.max(-4, total + 4 - span));
    const x = clamp(v.x + dx / v.k, w / v.k, this.layout.width);
    const y = clamp(v.y + dy / v.k, hh / v.k, this.layout.height);
    if (Math.abs(x - v.x) < 0.01 && Math.abs(y - v.y) < 0.01) return false;
    this.needDefault = false;
    this.view = { ...v, x, y };
    this.applyView();
    return true;
  }

  private toChart(clientX: number, clientY: number) {
    const r = this.svg!.getBoundingClientRect();
    return { x: this.view.x + (clientX - r.left) / this.view.k, y: this.view.y + (clientY - r.top) / this.view.k };
  }

  /** States and transition labels, the items arrow keys move among. */
  private items(): Element[] {
    return [...(this.svg?.querySelectorAll('g.state[id], text.tl[id]') ?? [])];
  }

  private setCurrent(el: Element | null, reveal = true) {
    for (const x of this.svg?.querySelectorAll('.kbd') ?? []) x.classList.remove('kbd');
    this.current = el;
    if (!el) {
      this.viewport.removeAttribute('aria-activedescendant');
      return;
    }
    el.classList.add('kbd');
    this.viewport.setAttribute('aria-activedescendant', el.id);
    if (reveal) {
      const b = (el as SVGGraphicsElement).getBBox();
      if (!this.visible(b)) this.centreOn(b);
    }
  }

  /** Where the keyboard starts: the first active state, else the first state. */
  private firstItem(): Element | null {
    const first = this.activeBoxes()[0];
    const el = first && [...this.nodeEls.entries()].find(([k]) => this.boxes.get(k) === first)?.[1];
    return el ?? this.items()[0] ?? null;
  }

  /** The nearest item in an arrow's direction (centre to centre, sideways distance counting double). */
  private move(dir: 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight') {
    const items = this.items();
    if (!items.length) return;
    const from = this.current && items.includes(this.current) ? this.current : null;
    if (!from) {
      this.setCurrent(this.firstItem());
      return;
    }
    const c = (el: Element) => {
      const b = (el as SVGGraphicsElement).getBBox();
      return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    };
    const o = c(from);
    const [ax, ay] = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] }[dir];
    let best: Element | null = null;
    let bestScore = Infinity;
    for (const el of items) {
      if (el === from) continue;
      const p = c(el);
      const along = (p.x - o.x) * ax + (p.y - o.y) * ay;
      if (along <= 2) continue;
      const side = Math.abs((p.x - o.x) * ay) + Math.abs((p.y - o.y) * ax);
      const score = along + 2 * side;
      if (score < bestScore) (bestScore = score), (best = el);
    }
    if (best) this.setCurrent(best);
  }

  private wire() {
    const vp = this.viewport;
    // Keeps the zoom when the box changes size; the default view waits for a size.
    new ResizeObserver(([e]) => {
      const { width: w, height: hh } = e.contentRect;
      // Its first report is the size `measure` read before the chart was drawn: re-applying the view
      // then would only lay the page out a second time in its first frame.
      if (Math.abs(w - this.vpSize.w) < 1 && Math.abs(hh - this.vpSize.h) < 1) return;
      this.vpSize = { w, h: hh };
      this.settle();
    }).observe(vp);
    vp.addEventListener(
      'wheel',
      (e) => {
        if (!this.svg) return;
        // Ctrl+wheel (and a touchpad's pinch) zooms; the wheel pans, and scrolls the page at the chart's edge.
        if (e.ctrlKey || e.metaKey) {
          e.preventDefault();
          const p = this.toChart(e.clientX, e.clientY);
          this.zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
          return;
        }
        const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
        if (this.pan((e.shiftKey && !e.deltaX ? e.deltaY : e.deltaX) * unit, (e.shiftKey && !e.deltaX ? 0 : e.deltaY) * unit)) e.preventDefault();
      },
      { passive: false },
    );
    let drag: { x: number; y: number; view: { x: number; y: number; k: number }; moved: boolean } | null = null;
    vp.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, view: { ...this.view }, moved: false };
    });
    vp.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) vp.setPointerCapture(e.pointerId);
      drag.moved = true;
      this.needDefault = false;
      this.view = { ...drag.view, x: drag.view.x - dx / drag.view.k, y: drag.view.y - dy / drag.view.k };
      this.applyView();
      vp.classList.add('dragging');
    });
    const end = (e: PointerEvent) => {
      if (drag?.moved) {
        vp.releasePointerCapture(e.pointerId);
        // Swallow the click that ends a drag.
        vp.addEventListener('click', (c) => c.stopPropagation(), { capture: true, once: true });
      }
      drag = null;
      vp.classList.remove('dragging');
    };
    vp.addEventListener('pointerup', end);
    vp.addEventListener('pointercancel', end);
    vp.addEventListener('click', (e) => {
      const t = (e.target as Element).closest('g.state[id], text.tl[id]');
      if (t) this.setCurrent(t, false);
      this.select(e.target as Element);
    });
    vp.addEventListener('focus', () => {
      // Not revealed: a click focuses the viewport too, and must not move the view.
      if (!this.current || !this.current.isConnected) this.setCurrent(this.firstItem(), false);
    });
    vp.addEventListener('keydown', (e) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if ((e.key === 'Enter' || e.key === ' ') && this.current) {
        e.preventDefault();
        this.select(this.current);
        return;
      }
      const step = 60;
      const arrows = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'] as const;
      const arrow = arrows.find((a) => a === e.key);
      if (arrow && !e.shiftKey) {
        e.preventDefault();
        this.move(arrow);
        return;
      }
      const moves: Record<string, () => void> = {
        '+': () => this.zoom(0.8),
        '=': () => this.zoom(0.8),
        '-': () => this.zoom(1.25),
        '0': () => this.fit(),
        '1': () => this.defaultView(),
        ArrowLeft: () => this.pan(-step, 0),
        ArrowRight: () => this.pan(step, 0),
        ArrowUp: () => this.pan(0, -step),
        ArrowDown: () => this.pan(0, step),
      };
      const f = moves[e.key];
      if (f) {
        e.preventDefault();
        f();
      }
    });
    vp.addEventListener('mouseover', (e) => {
      const t = (e.target as Element).closest?.('[data-edge], [data-bundle]');
      const b = t?.getAttribute('data-bundle');
      const id = b !== null && b !== undefined ? `b${b}` : t?.getAttribute('data-edge');
      for (const el of this.svg?.querySelectorAll('g.edge.hover') ?? []) el.classList.remove('hover');
      if (id) for (const el of this.edgeEls.get(id) ?? []) el.classList.add('hover');
    });
  }

  private select(target: Element) {
    if (!this.layout) return;
    for (const el of this.svg?.querySelectorAll('.selected') ?? []) el.classList.remove('selected');
    const tl = target.closest('.tl');
    const st = target.closest('[data-node]');
    const l = this.layout;
    const d = l.diagram;
    const label = (id: string) => this.nodesById.get(id)?.label ?? id;
    const kindText = (k: string) => (k === 'qmp' ? 'QMP command' : k === 'internal' ? 'internal event (what QEMU does on its own)' : 'event');
    const refs = (metas: DiagramTransition['meta'][]) => {
      const uniq = (k: 'ref' | 'rule' | 'transition' | 'note') => [...new Set(metas.map((m) => m[k]).filter((x) => x !== undefined).map(String))];
      return kids(
        uniq('ref').length ? h('div', {}, 'QEMU: ', ...uniq('ref').flatMap((r, i) => [i ? ', ' : '', h('code', { class: 'ref' }, r)])) : null,
        uniq('rule').length ? h('div', {}, 'rule: ', ...uniq('rule').flatMap((r, i) => [i ? ', ' : '', h('code', {}, r)])) : null,
        uniq('transition').length ? h('div', {}, 'transition: ', ...uniq('transition').flatMap((r, i) => [i ? ', ' : '', h('code', {}, r)])) : null,
        ...uniq('note').map((n) => h('div', { class: 'note' }, n)),
      );
    };
    const bundleAttr = tl?.getAttribute('data-bundle');
    if (tl && bundleAttr !== null && bundleAttr !== undefined) {
      const b = l.bundles[Number(bundleAttr)];
      const line = b?.lines[Number(tl.getAttribute('data-line'))];
      if (!b || !line) return;
      tl.classList.add('selected');
      for (const el of this.edgeEls.get(`b${bundleAttr}`) ?? []) el.classList.add('selected');
      const metas = line.members.map(([i, j]) => d.edges[i].transitions[j].meta);
      this.info.replaceChildren(
        h('div', {}, h('b', {}, line.label), ` — ${kindText(line.kind)}, from ${b.sources.length} states: `, ...b.sources.flatMap((s, i) => [i ? ', ' : '', h('code', {}, label(s))]), ' → ', h('code', {}, label(b.target))),
        ...refs(metas),
      );
    } else if (tl) {
      const edge = d.edges.find((e) => e.id === tl.getAttribute('data-edge'));
      const t = edge?.transitions[Number(tl.getAttribute('data-t'))];
      if (!edge || !t) return;
      tl.classList.add('selected');
      for (const el of this.edgeEls.get(edge.id) ?? []) el.classList.add('selected');
      this.info.replaceChildren(h('div', {}, h('b', {}, t.label), ` — ${kindText(t.kind)}: `, h('code', {}, label(edge.source)), ' → ', h('code', {}, label(edge.target))), ...refs([t.meta]));
    } else if (st) {
      const n = this.nodesById.get(st.getAttribute('data-node')!);
      if (!n) return;
      st.classList.add('selected');
      const region = n.id.split('.')[0];
      const regionNode = this.nodesById.get(region);
      this.info.replaceChildren(
        h('div', {}, h('b', {}, n.label), regionNode && regionNode !== n ? ` — ${regionNode.label}` : '', n.description ? `: ${n.description}` : ''),
        h('div', { class: 'note' }, `state path: ${n.id}`),
      );
    }
  }

  /** The chart as a standalone SVG file, with the current highlight. */
  svgText(): string {
    if (!this.layout) return '';
    // Leaf states only, as in the page: a region or compound box marked too painted every box amber.
    const cls = new Map<string, string>();
    for (const id of this.hl.sure) if (this.isLeaf(id)) cls.set(id, 'active');
    for (const id of this.hl.possible ?? []) if (this.isLeaf(id)) cls.set(id, 'possible');
    const ecls = new Map<string, string>();
    for (const id of this.hl.taken ?? []) ecls.set(id, 'taken');
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + renderSvg(this.layout, { prefix: 'x', standalone: true, nodeClasses: cls, edgeClasses: ecls });
  }

  fileName(ext: string): string {
    return `migstate-${this.name.replace(/[^a-z0-9.-]+/gi, '_')}.${ext}`;
  }

  exportSvg(): void {
    download(this.fileName('svg'), new Blob([this.svgText()], { type: 'image/svg+xml' }));
  }

  async pngBlob(scale = 2): Promise<Blob> {
    const l = this.layout!;
    const url = URL.createObjectURL(new Blob([this.svgText()], { type: 'image/svg+xml' }));
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = Math.ceil((l.width + 2) * scale);
      c.height = Math.ceil((l.height + 2) * scale);
      const g = c.getContext('2d')!;
      g.fillStyle = '#fff';
      g.fillRect(0, 0, c.width, c.height);
      g.drawImage(img, 0, 0, c.width, c.height);
      return await new Promise<Blob>((res, rej) => c.toBlob((b) => (b ? res(b) : rej(new Error('PNG export failed'))), 'image/png'));
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  async exportPng(): Promise<void> {
    download(this.fileName('png'), await this.pngBlob());
  }
}
