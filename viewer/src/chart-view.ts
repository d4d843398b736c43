// One drawn chart in the page: toolbar (regions, zoom, export), the SVG with pan and zoom, and a
// details box for the clicked state or transition (QEMU function, rule, note).
import type { Diagram, DiagramNode } from '../../diagrams/diagram.ts';
import { nodeIndex } from '../../diagrams/diagram.ts';
import { download, h, kids } from './dom.ts';
import type { Layout } from '../../diagrams/layout.ts';
import { renderSvg } from '../../diagrams/render.ts';

export interface Highlight {
  /** Active in every possible state. */
  sure: ReadonlySet<string>;
  /** Active in some possible states (trace replay with several hypotheses). */
  possible?: ReadonlySet<string>;
  /** Edge ids the last step took. */
  taken?: ReadonlySet<string>;
}

let seq = 0;

export class ChartView {
  readonly el: HTMLElement;
  private viewport: HTMLElement;
  private info: HTMLElement;
  private regionBox: HTMLElement;
  private layout: Layout | null = null;
  private svg: SVGSVGElement | null = null;
  private nodesById = new Map<string, DiagramNode>();
  private nodeEls = new Map<string, Element>();
  private edgeEls = new Map<string, Element[]>();
  private hl: Highlight = { sure: new Set() };
  private applied = new Set<Element>();
  private vb = { x: 0, y: 0, w: 1, h: 1 };
  private prefix = `c${++seq}`;

  constructor(
    private name: string,
    opts: { regions?: { all: string[]; shown: string[]; titles: Record<string, string>; onChange: (shown: string[]) => void } } = {},
  ) {
    this.regionBox = h('span', { class: 'regions' });
    if (opts.regions) this.setRegions(opts.regions.all, opts.regions.shown, opts.regions.titles, opts.regions.onChange);
    const btn = (label: string, title: string, f: () => void) => h('button', { type: 'button', class: 'tool', title, 'aria-label': `${title} (${name})`, onclick: f }, label);
    this.viewport = h('div', { class: 'viewport', tabindex: '0', role: 'region', 'aria-label': `${name} chart: drag to pan, wheel or +/- to zoom, 0 to fit, arrows to pan` });
    this.info = h('div', { class: 'info', 'aria-live': 'polite' }, h('span', { class: 'hint' }, 'Click a state or a transition label for its QEMU source reference.'));
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
        btn('Fit', 'Fit the chart', () => this.fit()),
        btn('SVG', 'Export the chart as SVG', () => this.exportSvg()),
        btn('PNG', 'Export the chart as PNG', () => void this.exportPng()),
      ),
      this.viewport,
      this.info,
    );
    this.wire();
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
                  if (next.length) onChange(next);
                  else (e.target as HTMLInputElement).checked = true;
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

  show(l: Layout): void {
    const keepView = this.layout && this.layout.width === l.width && this.layout.height === l.height && this.layout.diagram.id === l.diagram.id;
    this.layout = l;
    this.viewport.innerHTML = renderSvg(l, { prefix: this.prefix });
    this.svg = this.viewport.querySelector('svg');
    this.svg!.removeAttribute('width');
    this.svg!.removeAttribute('height');
    this.svg!.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    this.nodesById = nodeIndex(l.diagram);
    this.nodeEls.clear();
    this.edgeEls.clear();
    this.applied.clear();
    for (const el of this.svg!.querySelectorAll('[data-node]')) this.nodeEls.set(el.getAttribute('data-node')!, el);
    for (const el of this.svg!.querySelectorAll('g.edge')) {
      const id = el.getAttribute('data-edge')!;
      this.edgeEls.set(id, [...(this.edgeEls.get(id) ?? []), el]);
    }
    if (keepView) this.applyViewBox();
    else this.fit();
    this.highlight(this.hl);
  }

  /** Marks the active states (and the edges just taken). Cheap: toggles classes only. */
  highlight(hl: Highlight): void {
    this.hl = hl;
    for (const el of this.applied) el.classList.remove('active', 'possible', 'taken');
    this.applied.clear();
    const mark = (el: Element | undefined, c: string) => {
      if (!el) return;
      el.classList.add(c);
      this.applied.add(el);
    };
    // Regions and the parallel root are always active: only states are marked.
    const isState = (id: string) => { const k = this.nodesById.get(id)?.kind; return k !== 'region' && k !== 'parallel'; };
    for (const id of hl.sure) if (isState(id)) mark(this.nodeEls.get(id), 'active');
    for (const id of hl.possible ?? []) if (isState(id)) mark(this.nodeEls.get(id), 'possible');
    for (const id of hl.taken ?? []) for (const el of this.edgeEls.get(id) ?? []) mark(el, 'taken');
  }

  /** Which states are highlighted (for tests and the screen reader summary). */
  activeStates(): string[] {
    return [...this.hl.sure].filter((id) => this.nodesById.get(id)?.children.length === 0);
  }

  private applyViewBox() {
    this.svg?.setAttribute('viewBox', `${this.vb.x} ${this.vb.y} ${this.vb.w} ${this.vb.h}`);
  }

  fit(): void {
    if (!this.layout) return;
    this.vb = { x: -4, y: -4, w: this.layout.width + 8, h: this.layout.height + 8 };
    this.applyViewBox();
  }

  /** Zooms by `f` (<1 zooms in) around a point in chart coordinates (default: the centre). */
  zoom(f: number, cx?: number, cy?: number): void {
    const x = cx ?? this.vb.x + this.vb.w / 2;
    const y = cy ?? this.vb.y + this.vb.h / 2;
    const w = Math.min(Math.max(this.vb.w * f, 60), (this.layout?.width ?? 1000) * 4);
    const k = w / this.vb.w;
    this.vb = { x: x - (x - this.vb.x) * k, y: y - (y - this.vb.y) * k, w, h: this.vb.h * k };
    this.applyViewBox();
  }

  private toChart(clientX: number, clientY: number) {
    const r = this.viewport.getBoundingClientRect();
    // preserveAspectRatio meet: one scale, centred.
    const s = Math.max(this.vb.w / r.width, this.vb.h / r.height);
    const ox = (r.width * s - this.vb.w) / 2;
    const oy = (r.height * s - this.vb.h) / 2;
    return { x: this.vb.x - ox + (clientX - r.left) * s, y: this.vb.y - oy + (clientY - r.top) * s, s };
  }

  private wire() {
    const vp = this.viewport;
    vp.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const p = this.toChart(e.clientX, e.clientY);
        this.zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
      },
      { passive: false },
    );
    let drag: { x: number; y: number; vb: { x: number; y: number; w: number; h: number }; moved: boolean } | null = null;
    vp.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, vb: { ...this.vb }, moved: false };
    });
    vp.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) vp.setPointerCapture(e.pointerId);
      drag.moved = true;
      const { s } = this.toChart(e.clientX, e.clientY);
      this.vb = { ...drag.vb, x: drag.vb.x - dx * s, y: drag.vb.y - dy * s };
      this.applyViewBox();
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
    vp.addEventListener('click', (e) => this.select(e.target as Element));
    vp.addEventListener('keydown', (e) => {
      const t = e.target as Element;
      if ((e.key === 'Enter' || e.key === ' ') && t !== vp) {
        e.preventDefault();
        this.select(t);
        return;
      }
      const step = this.vb.w / 10;
      const moves: Record<string, () => void> = {
        '+': () => this.zoom(0.8),
        '=': () => this.zoom(0.8),
        '-': () => this.zoom(1.25),
        '0': () => this.fit(),
        ArrowLeft: () => ((this.vb.x -= step), this.applyViewBox()),
        ArrowRight: () => ((this.vb.x += step), this.applyViewBox()),
        ArrowUp: () => ((this.vb.y -= step), this.applyViewBox()),
        ArrowDown: () => ((this.vb.y += step), this.applyViewBox()),
      };
      const f = moves[e.key];
      if (f) {
        e.preventDefault();
        f();
      }
    });
    vp.addEventListener('mouseover', (e) => {
      const id = (e.target as Element).closest?.('[data-edge]')?.getAttribute('data-edge');
      for (const el of this.svg?.querySelectorAll('g.edge.hover') ?? []) el.classList.remove('hover');
      if (id) for (const el of this.edgeEls.get(id) ?? []) el.classList.add('hover');
    });
  }

  private select(target: Element) {
    if (!this.layout) return;
    for (const el of this.svg?.querySelectorAll('.selected') ?? []) el.classList.remove('selected');
    const tl = target.closest('.tl');
    const st = target.closest('[data-node]');
    const d = this.layout.diagram;
    if (tl) {
      const edge = d.edges.find((e) => e.id === tl.getAttribute('data-edge'));
      const t = edge?.transitions[Number(tl.getAttribute('data-t'))];
      if (!edge || !t) return;
      tl.classList.add('selected');
      for (const el of this.edgeEls.get(edge.id) ?? []) el.classList.add('selected');
      const m = t.meta;
      const from = this.nodesById.get(edge.source)?.label ?? edge.source;
      const to = this.nodesById.get(edge.target)?.label ?? edge.target;
      this.info.replaceChildren(
        ...kids(h('div', {}, h('b', {}, t.label), ` — ${t.kind === 'qmp' ? 'QMP command' : t.kind === 'internal' ? 'internal event (what QEMU does on its own)' : 'event'}: `, h('code', {}, from), ' → ', h('code', {}, to)),
        m.ref ? h('div', {}, 'QEMU: ', h('code', { class: 'ref' }, String(m.ref))) : null,
        m.rule ? h('div', {}, 'rule: ', h('code', {}, String(m.rule))) : null,
        m.transition ? h('div', {}, 'transition: ', h('code', {}, String(m.transition))) : null,
        m.note ? h('div', { class: 'note' }, String(m.note)) : null,
      ));
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
    const cls = new Map<string, string>();
    for (const id of this.hl.sure) cls.set(id, 'active');
    for (const id of this.hl.possible ?? []) cls.set(id, 'possible');
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
