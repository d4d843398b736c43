// Trace replay: open a trace (file picker, drag and drop, or the current simulation), parsed and
// replayed in a worker; step through it with a slider or next/previous, the charts following; the
// steps the model cannot explain (departures) are listed and flagged where they happen.
import { profileNames, type Side } from '../../machines/index.ts';
import { ChartView } from './chart-view.ts';
import { h, kids } from './dom.ts';
import type { ReplayMessage, StepDetail } from './replay.worker.ts';

export class ReplayView {
  readonly el: HTMLElement;
  readonly charts: Record<Side, ChartView>;
  private worker: Worker | null = null;
  private file: HTMLInputElement;
  private profile: HTMLSelectElement;
  private slider: HTMLInputElement;
  private pos: HTMLElement;
  private statusEl: HTMLElement;
  private errorEl: HTMLElement;
  private detailEl: HTMLElement;
  private depList: HTMLOListElement;
  private progress: HTMLProgressElement;
  private steps = 0;
  private departures: { index: number; text: string }[] = [];
  private current = -1;
  /** The step last asked of the worker: next / previous move from it, not from the step shown, so a
   * click while the worker is still busy with the previous request is not lost. */
  private wanted = -1;
  private lastBlob: { blob: Blob; name: string } | null = null;
  private loadStart = 0;
  private rafPending = false;
  onStep: ((d: StepDetail) => void) | null = null;

  constructor(
    defaultProfile: () => string,
    /** Draws the chart of `role` for the process in slot `side`. */
    private chartFor: (side: Side, view: ChartView, profile: string, role: Side) => Promise<void>,
    private currentTrace: () => string,
  ) {
    this.file = h('input', { type: 'file', accept: '.jsonl,.json,.ndjson,.txt,.trace,application/json,text/plain', 'aria-label': 'open a trace file' });
    this.file.addEventListener('change', () => {
      const f = this.file.files?.[0];
      if (f) this.load(f, f.name);
    });
    this.profile = h('select', { 'aria-label': 'profile to replay against', onchange: () => this.lastBlob && this.load(this.lastBlob.blob, this.lastBlob.name) }, ...profileNames().map((n) => h('option', { value: n, selected: n === defaultProfile() }, n)));
    this.slider = h('input', { type: 'range', min: '0', max: '0', value: '0', disabled: true, 'aria-label': 'trace step' });
    this.slider.addEventListener('input', () => this.go(Number(this.slider.value)));
    this.pos = h('span', { class: 'pos', 'aria-live': 'polite' }, 'no trace loaded');
    this.statusEl = h('p', { class: 'status', 'aria-live': 'polite' });
    this.errorEl = h('div', { class: 'error', role: 'alert', hidden: true });
    this.detailEl = h('div', { class: 'step-detail' });
    this.depList = h('ol', { class: 'departures', 'aria-label': 'departures from the model' });
    this.progress = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': 'reading the trace' });
    const btn = (label: string, title: string, f: () => void) => h('button', { type: 'button', title, onclick: f }, label);
    this.charts = {
      source: new ChartView('replay source'),
      destination: new ChartView('replay destination'),
    };
    this.drawCharts(defaultProfile());
    const drop = h(
      'div',
      { class: 'dropzone' },
      h('label', {}, 'Trace file (JSON lines {"t","vm","dir","msg"}): ', this.file),
      ' or drop a file here, or ',
      btn('replay the current simulation', 'Export the simulation as a trace and replay it', () => this.load(new Blob([this.currentTrace()], { type: 'application/x-ndjson' }), 'simulation.jsonl')),
      h('label', {}, ' against ', this.profile),
      btn('Cancel', 'Stop reading the trace', () => this.cancel()),
    );
    this.el = h(
      'div',
      { class: 'replay-view' },
      drop,
      this.progress,
      this.statusEl,
      this.errorEl,
      h(
        'div',
        { class: 'stepper' },
        btn('⟨⟨ departure', 'Previous departure', () => this.jumpDeparture(-1)),
        btn('⟨ previous', 'Previous step (←)', () => this.go(this.wanted - 1)),
        this.slider,
        btn('next ⟩', 'Next step (→)', () => this.go(this.wanted + 1)),
        btn('departure ⟩⟩', 'Next departure', () => this.jumpDeparture(1)),
        this.pos,
      ),
      this.detailEl,
      h('div', { class: 'replay-charts' }, this.charts.source.el, this.charts.destination.el),
      h('h3', {}, 'Departures from the model'),
      this.depList,
    );
    this.el.addEventListener('dragover', (e) => {
      e.preventDefault();
      this.el.classList.add('dragging-file');
    });
    this.el.addEventListener('dragleave', () => this.el.classList.remove('dragging-file'));
    this.el.addEventListener('drop', (e) => {
      e.preventDefault();
      this.el.classList.remove('dragging-file');
      const f = e.dataTransfer?.files?.[0];
      if (f) this.load(f, f.name);
    });
    this.el.addEventListener('keydown', (e) => {
      if ((e.target as Element).tagName === 'INPUT' && e.target !== this.slider) return;
      if (e.key === 'ArrowRight' && e.target !== this.slider) this.go(this.wanted + 1);
      else if (e.key === 'ArrowLeft' && e.target !== this.slider) this.go(this.wanted - 1);
    });
  }

  private drawn = '';
  /** The role each chart shows: a destination that migrated on is drawn as a source (F3). */
  private roles: Record<Side, Side> = { source: 'source', destination: 'destination' };
  private drawCharts(profile: string) {
    if (this.drawn === profile) return;
    this.drawn = profile;
    for (const side of ['source', 'destination'] as const) void this.chartFor(side, this.charts[side], profile, this.roles[side]);
  }

  private cancel() {
    this.worker?.terminate();
    this.worker = null;
    this.progress.hidden = true;
    this.statusEl.textContent = `Stopped after ${this.steps} steps.`;
  }

  load(blob: Blob, name: string): void {
    this.worker?.terminate();
    this.drawCharts(this.profile.value);
    delete this.el.dataset.loaded;
    this.lastBlob = { blob, name };
    this.worker = new Worker(new URL('./replay.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<ReplayMessage>) => this.onMessage(e.data);
    this.steps = 0;
    this.current = -1;
    this.wanted = -1;
    this.departures = [];
    this.errorEl.hidden = true;
    this.errorEl.textContent = '';
    this.depList.replaceChildren();
    this.detailEl.replaceChildren();
    this.slider.disabled = true;
    this.progress.hidden = false;
    this.progress.value = 0;
    this.loadStart = performance.now();
    this.statusEl.textContent = `Reading ${name} (${(blob.size / 1e6).toFixed(1)} MB)…`;
    this.worker.postMessage({ type: 'load', file: blob, profile: this.profile.value, name });
  }

  private onMessage(m: ReplayMessage) {
    if (m.type === 'progress') {
      this.progress.value = m.total ? m.bytes / m.total : 0;
      this.setSteps(m.steps);
      this.statusEl.textContent = `Reading… ${(m.bytes / 1e6).toFixed(1)} of ${(m.total / 1e6).toFixed(1)} MB, ${m.steps} steps so far`;
      this.setDepartures(m.departures, false);
    } else if (m.type === 'done') {
      this.progress.hidden = true;
      this.setSteps(m.steps);
      this.setDepartures(m.departures, true);
      this.statusEl.textContent = `${this.lastBlob?.name}: ${m.steps} steps replayed against ${this.profile.value} in ${(m.ms / 1000).toFixed(2)} s; ${m.departures.length ? `${m.departures.length} departure${m.departures.length === 1 ? '' : 's'} from the model` : 'no departure from the model'}.`;
      this.el.dataset.loaded = 'true';
    } else if (m.type === 'error') {
      this.progress.hidden = true;
      this.errorEl.hidden = false;
      this.errorEl.textContent = `Cannot replay ${this.lastBlob?.name}: ${m.message}`;
      this.statusEl.textContent = '';
      this.setSteps(0);
    } else if (m.type === 'step') this.showStep(m.detail);
  }

  private setSteps(n: number) {
    const first = this.steps === 0 && n > 0;
    this.steps = n;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.disabled = n === 0;
    if (n === 0) this.pos.textContent = 'no trace loaded';
    if (first) this.go(0);
    else this.updatePos();
  }

  private setDepartures(list: { index: number; text: string }[], final: boolean) {
    if (final) this.departures = list;
    else for (const d of list) if (!this.departures.some((x) => x.index === d.index)) this.departures.push(d);
    this.depList.replaceChildren(
      ...this.departures.slice(0, 500).map((d) => h('li', {}, h('button', { type: 'button', class: 'linkish', onclick: () => this.go(d.index) }, `step ${d.index + 1}`), `: ${d.text}`)),
    );
    this.slider.style.setProperty('--marks', this.departureMarks());
  }

  /** Departures drawn on the slider track. */
  private departureMarks(): string {
    if (!this.steps || !this.departures.length) return 'none';
    const stops = this.departures.slice(0, 200).map((d) => {
      const x = ((d.index + 0.5) / this.steps) * 100;
      return `transparent calc(${x}% - 1px), #d42 calc(${x}% - 1px), #d42 calc(${x}% + 1px), transparent calc(${x}% + 1px)`;
    });
    return `linear-gradient(to right, ${stops.join(', ')})`;
  }

  private updatePos() {
    if (this.current >= 0) this.pos.textContent = `step ${this.current + 1} of ${this.steps}`;
  }

  go(i: number): void {
    if (!this.worker || !this.steps) return;
    i = Math.max(0, Math.min(this.steps - 1, i));
    this.wanted = i;
    this.slider.value = String(i);
    // One request per frame: dragging the slider over a big trace stays smooth.
    if (this.rafPending) return;
    this.rafPending = true;
    requestAnimationFrame(() => {
      this.rafPending = false;
      this.worker?.postMessage({ type: 'get', index: this.wanted });
    });
  }

  private jumpDeparture(dir: 1 | -1) {
    const list = this.departures.map((d) => d.index).sort((a, b) => a - b);
    const next = dir > 0 ? list.find((x) => x > this.current) : [...list].reverse().find((x) => x < this.current);
    if (next !== undefined) this.go(next);
  }

  private showStep(d: StepDetail) {
    this.current = d.index;
    this.updatePos();
    const states = (side: Side) => {
      const v = d[side];
      return h('div', {}, h('b', {}, side), v.role !== side ? ` process, now a ${v.role}` : '', ': ', v.labels.length === 1 ? h('code', {}, v.labels[0]) : h('span', {}, `one of ${v.labels.length}: `, ...v.labels.map((l) => h('code', { class: 'alt' }, l))));
    };
    this.detailEl.className = `step-detail${d.departure ? ' departure' : ''}`;
    this.detailEl.replaceChildren(
      ...kids(h('div', {}, h('b', {}, `Step ${d.index + 1}`), ` (line ${d.lineNo}${d.t !== null ? `, t = ${d.t}` : ''}): `, d.summary),
      h('pre', { class: 'raw' }, d.text.length > 2000 ? d.text.slice(0, 2000) + '…' : d.text),
      d.departure ? h('div', { class: 'dep', role: 'status' }, '⚠ Departure: ', d.departure) : null,
      states('source'),
      states('destination'),
    ));
    for (const side of ['source', 'destination'] as const) {
      if (d[side].role !== this.roles[side]) void this.chartFor(side, this.charts[side], this.drawn, (this.roles[side] = d[side].role));
      this.charts[side].highlight({ sure: new Set(d[side].sure), possible: new Set(d[side].possible) });
      this.charts[side].el.dataset.role = d[side].role;
    }
    this.el.dataset.step = String(d.index);
    this.onStep?.(d);
  }
}
