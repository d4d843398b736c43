// Trace replay: open a trace (file picker, drag and drop, or the current simulation), parsed and
// replayed in a worker; step through it with a slider or next/previous, the charts following; the
// steps the model cannot explain (departures) are listed and flagged where they happen.
// A trace names its processes freely (source, destination, or A, B, C of a VM migrated on): every
// process is listed with its possible states at the step, and two chart slots show the processes
// the user picks (by default source and destination, else the first two), each with the chart of
// its role at that step. The verdict is check-trace's (replay.worker.ts runs the CLI's reader and
// checker); a sequence chart of the trace (sequence-view.ts) follows the step. The step is kept in
// the URL's hash (rstep, 1-based), so a link opens the next replayed trace at that step.
import { profileNames, type Side } from '../../machines/index.ts';
import { ChartView } from './chart-view.ts';
import { h, kids } from './dom.ts';
import { defaultSlots, isFixedName } from './replay.ts';
import type { Departure, FindingLite, ProcessDetail, ReplayMessage, StepDetail } from './replay.worker.ts';
import { SequenceView } from './sequence-view.ts';
import type { SeqMsg } from '../../diagrams/sequence.ts';
import './replay.css';

/** The replay step in the URL's hash (1-based, as the page counts steps). */
const HASH_KEY = 'rstep';
/**
 * Sets (or with null removes) the step in the hash, keeping the rest (main.ts writes the other keys;
 * url.ts carries this one). Written once the step rests: browsers throttle a stream of history
 * calls, as dragging the slider would make. A step the user moved to is a history entry of its own
 * (`push`: Back returns to the step before, as in the simulation); one the page chose (the first
 * step, a linked step, Back itself) replaces the entry.
 */
let hashTimer = 0;
let pushPending = false;
function setHashStep(i: number | null, push = false): void {
  clearTimeout(hashTimer);
  pushPending ||= push;
  hashTimer = window.setTimeout(() => {
    writeHashStep(i, pushPending);
    pushPending = false;
  }, 150);
}
function writeHashStep(i: number | null, push: boolean): void {
  const q = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (i === null) q.delete(HASH_KEY);
  else q.set(HASH_KEY, String(i + 1));
  const hash = '#' + q.toString();
  if (hash !== location.hash && !(hash === '#' && !location.hash)) (push ? history.pushState : history.replaceState).call(history, null, '', hash);
}

/** The two chart slots, by the key main.ts keeps their regions under. */
const SLOTS = ['source', 'destination'] as const;
type Slot = (typeof SLOTS)[number];
const slotNo = (slot: Slot) => SLOTS.indexOf(slot) + 1;

/** How a process's role reads: "destination process, now a source", "C (destination)", "B (role not yet known)". */
function whoText(p: ProcessDetail): string {
  const v = p.view;
  if (!p.seen || !v.roles.length) return '';
  if (isFixedName(p.name)) return v.role !== p.name ? ` process, now a ${v.role}` : '';
  return v.roles.length > 1 ? ' (role not yet known)' : ` (${v.role})`;
}

export class ReplayView {
  readonly el: HTMLElement;
  /** The two chart slots (keyed as main.ts keeps their regions). */
  readonly charts: Record<Slot, ChartView>;
  /** The process each slot shows; `picked`: chosen by the user (else it follows defaultSlots). */
  private shown: Record<Slot, string> = { source: 'source', destination: 'destination' };
  private picked: Record<Slot, boolean> = { source: false, destination: false };
  private pickers: Record<Slot, HTMLSelectElement>;
  private slotInfo: Record<Slot, HTMLElement>;
  private slotEls: Record<Slot, HTMLElement>;
  private processes: string[] = [];
  private detail: StepDetail | null = null;
  private worker: Worker | null = null;
  private file: HTMLInputElement;
  private profile: HTMLSelectElement;
  private slider: HTMLInputElement;
  private pos: HTMLElement;
  private statusEl: HTMLElement;
  private errorEl: HTMLElement;
  private detailEl: HTMLElement;
  private depList: HTMLOListElement;
  private pendingList: HTMLOListElement;
  private pendingHead: HTMLElement;
  private uncheckedList: HTMLOListElement;
  private uncheckedHead: HTMLElement;
  private verdictEl: HTMLElement;
  /** The sequence chart of the replayed trace. */
  readonly sequence: SequenceView;
  private seqReq = 0;
  private seqWaiting = new Map<number, (x: { msgs: SeqMsg[]; findings: FindingLite[] }) => void>();
  /** A step asked for by the URL (rstep, read by url.ts), applied once to the next trace read whole. */
  private linkedStep: number | null;
  private progress: HTMLProgressElement;
  private steps = 0;
  private departures: Departure[] = [];
  private current = -1;
  /** The step last asked of the worker: next / previous move from it, not from the step shown, so a
   * click while the worker is still busy with the previous request is not lost. */
  private wanted = -1;
  /** Whether the step being fetched is a history entry (go). */
  private entry: 'push' | 'replace' = 'replace';
  private lastBlob: { blob: Blob; name: string } | null = null;
  private loadStart = 0;
  private rafPending = false;
  onStep: ((d: StepDetail) => void) | null = null;

  constructor(
    defaultProfile: () => string,
    /** Draws the chart of `role` in slot `side` (the slot's key, for its regions). */
    private chartFor: (side: Side, view: ChartView, profile: string, role: Side) => Promise<void>,
    private currentTrace: () => string,
    linkedStep?: number,
  ) {
    this.linkedStep = linkedStep ?? null;
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
    this.pendingList = h('ol', { class: 'pending', 'aria-label': 'commands without a reply' });
    this.pendingHead = h('h2', { hidden: true }, 'Commands without a reply (not departures)');
    this.uncheckedList = h('ol', { class: 'unchecked', 'aria-label': 'commands the model does not check' });
    this.uncheckedHead = h('h2', { hidden: true }, 'Commands the model does not check (they change migration state: the trace is not shown to conform)');
    this.verdictEl = h('p', { class: 'verdict', 'aria-live': 'polite' });
    this.sequence = new SequenceView(
      (from, to) =>
        new Promise((resolve) => {
          if (!this.worker) return resolve({ msgs: [], findings: [] });
          const req = ++this.seqReq;
          this.seqWaiting.set(req, resolve);
          this.worker.postMessage({ type: 'seq', from, to, req });
        }),
      (step) => this.go(step),
    );
    this.progress = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': 'reading the trace' });
    const btn = (label: string, title: string, f: () => void) => h('button', { type: 'button', title, onclick: f }, label);
    this.charts = {
      source: new ChartView('replay chart 1'),
      destination: new ChartView('replay chart 2'),
    };
    const picker = (slot: Slot) =>
      h('select', {
        'aria-label': `process in chart ${slotNo(slot)}`,
        onchange: (e: Event) => {
          this.shown[slot] = (e.target as HTMLSelectElement).value;
          this.picked[slot] = true;
          if (this.detail) this.showStep(this.detail);
        },
      });
    this.pickers = { source: picker('source'), destination: picker('destination') };
    this.slotInfo = { source: h('span', { class: 'slot-info' }), destination: h('span', { class: 'slot-info' }) };
    const slotEl = (slot: Slot) =>
      h(
        'section',
        { class: 'replay-slot', 'data-slot': String(slotNo(slot)), 'aria-label': `chart ${slotNo(slot)}` },
        h('div', { class: 'slot-head' }, h('label', {}, `Chart ${slotNo(slot)}: `, this.pickers[slot]), ' ', this.slotInfo[slot]),
        this.charts[slot].el,
      );
    this.slotEls = { source: slotEl('source'), destination: slotEl('destination') };
    this.setProcesses([], true);
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
      this.verdictEl,
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
      // The sequence chart above the state charts: the messages first, then where they led.
      this.sequence.el,
      h('div', { class: 'replay-charts' }, this.slotEls.source, this.slotEls.destination),
      h('h2', {}, 'Departures from the model'),
      this.depList,
      this.uncheckedHead,
      this.uncheckedList,
      this.pendingHead,
      this.pendingList,
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
      const tag = (e.target as Element).tagName;
      if ((tag === 'INPUT' && e.target !== this.slider) || tag === 'SELECT') return;
      if (e.key === 'ArrowRight' && e.target !== this.slider) this.go(this.wanted + 1);
      else if (e.key === 'ArrowLeft' && e.target !== this.slider) this.go(this.wanted - 1);
    });
  }

  private drawn = '';
  /** The role each chart shows: a destination that migrated on is drawn as a source (F3). */
  private roles: Record<Slot, Side> = { source: 'source', destination: 'destination' };
  private drawCharts(profile: string) {
    if (this.drawn === profile) return;
    this.drawn = profile;
    for (const side of SLOTS) void this.chartFor(side, this.charts[side], profile, this.roles[side]);
  }

  /** The trace's processes so far (in the order they appeared): the pickers offer them, the slots not picked follow the default. */
  private setProcesses(list: readonly string[], force = false) {
    const changed = list.length !== this.processes.length || list.some((x, i) => x !== this.processes[i]);
    if (!changed && !force) return;
    this.processes = [...list];
    const def = defaultSlots(this.processes);
    for (const slot of SLOTS) {
      if (!this.picked[slot]) this.shown[slot] = def[slotNo(slot) - 1];
      const names = this.processes.includes(this.shown[slot]) ? this.processes : [...this.processes, this.shown[slot]];
      this.pickers[slot].replaceChildren(...names.map((n) => h('option', { value: n, selected: n === this.shown[slot] }, this.processes.includes(n) ? n : `${n} (not in the trace)`)));
      this.pickers[slot].value = this.shown[slot];
    }
  }

  private cancel() {
    this.worker?.terminate();
    this.worker = null;
    this.progress.hidden = true;
    this.statusEl.textContent = `Stopped after ${this.steps} steps.`;
  }

  /** Nothing of a previous trace stays on view: details, departures, marked states, the chart, the position. */
  private clear(): void {
    this.steps = 0;
    this.current = -1;
    this.wanted = -1;
    this.departures = [];
    this.detail = null;
    this.picked = { source: false, destination: false };
    this.setProcesses([], true);
    this.errorEl.hidden = true;
    this.errorEl.textContent = '';
    this.verdictEl.textContent = '';
    this.depList.replaceChildren();
    this.pendingList.replaceChildren();
    this.pendingHead.hidden = true;
    this.uncheckedList.replaceChildren();
    this.uncheckedHead.hidden = true;
    this.detailEl.replaceChildren();
    this.detailEl.className = 'step-detail';
    this.slider.disabled = true;
    this.slider.max = '0';
    this.slider.value = '0';
    this.slider.style.setProperty('--marks', 'none');
    this.pos.textContent = 'no trace loaded';
    for (const slot of SLOTS) {
      this.charts[slot].highlight({ sure: new Set(), possible: new Set() });
      this.charts[slot].el.classList.remove('exited');
      this.slotEls[slot].classList.remove('departure');
      this.slotInfo[slot].textContent = '';
    }
    this.sequence.reset();
    for (const r of this.seqWaiting.values()) r({ msgs: [], findings: [] });
    this.seqWaiting.clear();
    delete this.el.dataset.step;
    delete this.el.dataset.verdict;
    delete this.el.dataset.loaded;
  }

  /**
   * The step for the URL (0-based; url.ts: replayStep): the one asked for, which the view shows once
   * the worker answers (a URL written meanwhile must not name the step being left); undefined with no trace.
   */
  get position(): number | undefined {
    return this.wanted >= 0 && this.steps ? this.wanted : this.current >= 0 ? this.current : undefined;
  }

  load(blob: Blob, name: string): void {
    this.worker?.terminate();
    this.worker = null;
    this.drawCharts(this.profile.value);
    this.clear();
    this.lastBlob = { blob, name };
    this.worker = new Worker(new URL('./replay.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<ReplayMessage>) => this.onMessage(e.data);
    this.progress.hidden = false;
    this.progress.value = 0;
    this.loadStart = performance.now();
    this.statusEl.textContent = `Reading ${name} (${(blob.size / 1e6).toFixed(1)} MB)…`;
    this.worker.postMessage({ type: 'load', file: blob, profile: this.profile.value, name });
  }

  private onMessage(m: ReplayMessage) {
    if (m.type === 'progress') {
      this.progress.value = m.total ? m.bytes / m.total : 0;
      this.setProcesses(m.processes);
      this.setSteps(m.steps);
      this.statusEl.textContent = `Reading… ${(m.bytes / 1e6).toFixed(1)} of ${(m.total / 1e6).toFixed(1)} MB, ${m.steps} steps so far`;
      this.setDepartures(m.departures, false);
    } else if (m.type === 'done') {
      this.progress.hidden = true;
      this.setProcesses(m.processes);
      this.setSteps(m.steps);
      this.setDepartures(m.departures, true);
      this.pendingHead.hidden = !m.pending.length;
      this.pendingList.replaceChildren(...m.pending.slice(0, 500).map((d) => this.findingItem(d)));
      this.uncheckedHead.hidden = !m.unchecked.length;
      this.uncheckedList.replaceChildren(...m.unchecked.slice(0, 500).map((d) => this.findingItem(d)));
      const procs = m.processes.length > 2 || m.processes.some((x) => !isFixedName(x)) ? ` of ${m.processes.length} processes (${m.processes.join(', ')})` : '';
      this.statusEl.textContent = `${this.lastBlob?.name}: ${m.steps} steps${procs} replayed against ${this.profile.value} in ${(m.ms / 1000).toFixed(2)} s; ${m.departures.length ? `${m.departures.length} departure${m.departures.length === 1 ? '' : 's'} from the model` : 'no departure from the model'}.`;
      // In check-trace's words (the same checker): exit 1 with departures or unchecked commands, else 0.
      const exit = m.departures.length || m.unchecked.length ? 1 : 0;
      this.verdictEl.textContent = `${m.summary} (migstate check-trace --profile ${this.profile.value} would exit ${exit})`;
      this.el.dataset.verdict = m.departures.length ? 'departs' : m.unchecked.length ? 'unchecked' : 'conforms';
      this.sequence.setTrace(m.steps, this.lastBlob?.name ?? 'trace');
      const linked = this.linkedStep;
      this.linkedStep = null;
      if (linked !== null && linked < m.steps) this.go(linked, 'replace');
      else if (this.current >= 0) this.sequence.show(this.current);
      this.el.dataset.loaded = 'true';
    } else if (m.type === 'error') {
      // A trace check-trace rejects (exit 2): nothing of it stays on view, only why.
      this.worker?.terminate();
      this.worker = null;
      const name = this.lastBlob?.name;
      this.clear();
      this.progress.hidden = true;
      this.errorEl.hidden = false;
      this.errorEl.textContent = `Cannot replay ${name}: ${m.message}`;
      this.statusEl.textContent = '';
      this.verdictEl.textContent = `Not a trace: migstate check-trace --profile ${this.profile.value} would exit 2.`;
      this.el.dataset.verdict = 'rejected';
      setHashStep(null);
    } else if (m.type === 'step') this.showStep(m.detail);
    else if (m.type === 'seq') {
      const r = this.seqWaiting.get(m.req);
      this.seqWaiting.delete(m.req);
      r?.({ msgs: m.msgs, findings: m.findings });
    }
  }

  /** A finding as a list item: its step (a link), line, process and kind as data, its text in words. */
  private findingItem(d: Departure): HTMLLIElement {
    return h(
      'li',
      { 'data-process': d.vm, 'data-line': String(d.line), 'data-kind': d.kind },
      h('button', { type: 'button', class: 'linkish', onclick: () => this.go(d.index) }, `step ${d.index + 1}`),
      ` (line ${d.line}): ${d.text}`,
    );
  }

  private setSteps(n: number) {
    const first = this.steps === 0 && n > 0;
    this.steps = n;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.disabled = n === 0;
    if (n === 0) this.pos.textContent = 'no trace loaded';
    if (first) this.go(0, 'replace');
    else this.updatePos();
  }

  private setDepartures(list: Departure[], final: boolean) {
    if (final) this.departures = list;
    else for (const d of list) if (!this.departures.some((x) => x.index === d.index)) this.departures.push(d);
    this.depList.replaceChildren(...this.departures.slice(0, 500).map((d) => this.findingItem(d)));
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

  /** Shows step `i`; `entry` 'push' makes it a history entry (a move of the user's), 'replace' does not. */
  go(i: number, entry: 'push' | 'replace' = 'push'): void {
    if (!this.worker || !this.steps) return;
    i = Math.max(0, Math.min(this.steps - 1, i));
    this.wanted = i;
    this.entry = entry;
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
    this.detail = d;
    this.current = d.index;
    this.updatePos();
    // A step may name a process the last progress message did not (the worker is ahead).
    if (d.processes.length > this.processes.length) this.setProcesses(d.processes.map((p) => p.name));
    const slotsOf = (name: string) => SLOTS.filter((s) => this.shown[s] === name);
    const row = (p: ProcessDetail) => {
      const v = p.view;
      const states = !p.seen ? h('span', { class: 'muted' }, 'no lines yet') : v.labels.length === 1 ? h('code', {}, v.labels[0]) : h('span', {}, `one of ${v.labels.length}: `, ...v.labels.map((l) => h('code', { class: 'alt' }, l)));
      const cls = [p.name === d.vm ? 'current' : '', p.departure ? 'departure' : '', p.seen ? '' : 'unseen'].filter((x) => x).join(' ');
      return h(
        'li',
        { class: cls || null, 'data-process': p.name, 'data-role': p.seen && v.roles.length ? v.role : null, title: p.name === d.vm ? 'the process of this step' : null },
        h('b', {}, p.name),
        whoText(p),
        ': ',
        states,
        ...slotsOf(p.name).map((s) => h('span', { class: 'slot-badge' }, ` chart ${slotNo(s)}`)),
        p.departure ? h('span', { class: 'dep-mark', title: p.departure }, ' ⚠ departure') : null,
      );
    };
    this.detailEl.className = `step-detail${d.departure ? ' departure' : ''}`;
    this.detailEl.replaceChildren(
      ...kids(h('div', {}, h('b', {}, `Step ${d.index + 1}`), ` (line ${d.lineNo}${d.t !== null ? `, t = ${d.t}` : ''}): `, d.summary),
      h('pre', { class: 'raw' }, d.text.length > 2000 ? d.text.slice(0, 2000) + '…' : d.text),
      d.departure ? h('div', { class: 'dep', role: 'status' }, '⚠ Departure: ', d.departure) : null,
      h('ul', { class: 'processes', 'aria-label': 'processes at this step' }, ...d.processes.map(row)),
    ));
    for (const slot of SLOTS) {
      const name = this.shown[slot];
      const p = d.processes.find((x) => x.name === name);
      const v = p?.view;
      // No states yet (or none any more): the slot keeps the chart it shows, nothing marked.
      const role = v && v.roles.length ? v.role : this.roles[slot];
      if (role !== this.roles[slot]) void this.chartFor(slot, this.charts[slot], this.drawn, (this.roles[slot] = role));
      this.charts[slot].highlight({ sure: new Set(v?.sure ?? []), possible: new Set(v?.possible ?? []) });
      const exited = !!v && v.labels.length > 0 && v.labels.every((l) => l === 'exited');
      this.charts[slot].el.classList.toggle('exited', exited);
      this.charts[slot].el.dataset.role = role;
      this.charts[slot].el.dataset.process = name;
      const el = this.slotEls[slot];
      el.dataset.process = name;
      el.classList.toggle('departure', !!p?.departure);
      this.slotInfo[slot].textContent =
        (!p ? `${name}: not in the trace` : !p.seen ? `${name}: no lines yet at this step` : exited ? `${name}: exited` : `${name}${whoText(p)}: ${v!.roles.length > 1 ? `drawn with the ${role} chart` : `the ${role} chart`}`) +
        (p?.departure ? ' — ⚠ departure at this step' : '');
    }
    this.el.dataset.step = String(d.index);
    // Only the step asked for is an entry: later updates of it (the worker catching up) replace it.
    setHashStep(d.index, this.entry === 'push' && d.index === this.wanted);
    this.entry = 'replace';
    this.sequence.show(d.index);
    this.onStep?.(d);
  }
}
