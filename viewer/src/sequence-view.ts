// The replayed trace as a message sequence chart (diagrams/sequence.ts): the management client and
// each QEMU process as lifelines, the current step highlighted, a click on a message moves the
// replay there, exports as SVG and Mermaid. A trace can have millions of steps: the chart shows a
// window of steps around the current one (the whole trace when it is short), asked of the replay
// worker, which reads those lines again from the file.
import { buildSequence, sequenceHeadsSvg, sequenceMermaid, sequenceSvg, type SeqMsg } from '../../diagrams/sequence.ts';
import { download, h } from './dom.ts';
import type { FindingLite } from './replay.worker.ts';

/** Up to this many steps, the chart shows the whole trace. */
const WHOLE = 600;
/** Otherwise a window this wide, a third of it before the current step. */
const WINDOW = 300;
/** The exports hold the whole trace up to this many steps, else the window shown. */
const EXPORT_MAX = 5000;

export type SeqSource = (from: number, to: number) => Promise<{ msgs: SeqMsg[]; findings: FindingLite[] }>;

export class SequenceView {
  readonly el: HTMLElement;
  private scroller: HTMLElement;
  private info: HTMLElement;
  private steps = 0;
  private name = 'trace';
  private from = 0;
  private to = 0;
  private current = -1;
  /** Bumped by each reset and request: an answer to an older one is dropped. */
  private gen = 0;

  constructor(
    private source: SeqSource,
    /** Moves the replay to a step (a click on a message). */
    private pick: (step: number) => void,
  ) {
    this.scroller = h('div', { class: 'seq-scroll', tabindex: '0', 'aria-label': 'message sequence chart of the trace' });
    this.info = h('span', { class: 'seq-info' });
    const btn = (label: string, title: string, f: () => void) => h('button', { type: 'button', title, onclick: f, disabled: true }, label);
    this.el = h(
      'section',
      { class: 'sequence-view', 'aria-label': 'sequence chart' },
      h(
        'div',
        { class: 'seq-head' },
        h('h2', {}, 'Sequence chart'),
        this.info,
        btn('Export SVG', 'Save the sequence chart as SVG', () => void this.export('svg')),
        btn('Export Mermaid', 'Save the sequence chart as Mermaid sequenceDiagram text', () => void this.export('mermaid')),
      ),
      this.scroller,
    );
    this.scroller.addEventListener('click', (e) => {
      const g = (e.target as Element).closest('[data-step]');
      if (g && this.scroller.contains(g)) this.pick(Number(g.getAttribute('data-step')));
    });
    this.reset();
  }

  /** No trace (a failed load, or a new one on its way): an empty chart. */
  reset(): void {
    this.gen++;
    this.steps = 0;
    this.from = this.to = 0;
    this.current = -1;
    this.scroller.replaceChildren(h('p', { class: 'muted' }, 'No trace replayed.'));
    this.info.textContent = '';
    for (const b of this.el.querySelectorAll('button')) (b as HTMLButtonElement).disabled = true;
    delete this.el.dataset.from;
    delete this.el.dataset.to;
    delete this.el.dataset.current;
  }

  /** A trace has been read: `steps` steps. */
  setTrace(steps: number, name: string): void {
    this.reset();
    this.steps = steps;
    this.name = name.replace(/\.[^.]*$/, '') || 'trace';
    for (const b of this.el.querySelectorAll('button')) (b as HTMLButtonElement).disabled = steps === 0;
    if (!steps) this.scroller.replaceChildren(h('p', { class: 'muted' }, 'The trace has no QMP messages.'));
  }

  /** The replay is at step `i`: highlight it, loading another window when it is outside the one shown. */
  show(i: number): void {
    if (!this.steps) return;
    this.current = i;
    this.el.dataset.current = String(i);
    // Move the window only when the step nears an edge that is not the trace's own.
    const nearEdge = (i < this.from + 20 && this.from > 0) || (i >= this.to - 20 && this.to < this.steps);
    if (i >= this.from && i < this.to && !nearEdge) {
      this.highlight();
      return;
    }
    const from = this.steps <= WHOLE ? 0 : Math.max(0, Math.min(this.steps - WINDOW, i - Math.floor(WINDOW / 3)));
    const to = this.steps <= WHOLE ? this.steps : Math.min(this.steps, from + WINDOW);
    const gen = ++this.gen;
    void this.source(from, to).then(({ msgs, findings }) => {
      if (gen !== this.gen) return;
      this.from = from;
      this.to = to;
      this.el.dataset.from = String(from);
      this.el.dataset.to = String(to);
      const chart = buildSequence(msgs, findings);
      // The heads in a row of their own that sticks to the top while the messages scroll.
      this.scroller.innerHTML = `<div class="seq-sticky">${sequenceHeadsSvg(chart)}</div>${sequenceSvg(chart, { current: this.current, heads: false })}`;
      this.info.textContent = to - from === this.steps ? `${this.steps} steps, ${chart.participants.length - 1} process${chart.participants.length === 2 ? '' : 'es'}` : `steps ${from + 1}–${to} of ${this.steps}`;
      this.highlight();
    });
  }

  private highlight(): void {
    for (const g of this.scroller.querySelectorAll('.msg.current')) g.classList.remove('current');
    const g = this.scroller.querySelector(`.msg[data-step="${this.current}"]`);
    if (!g) return;
    g.classList.add('current');
    // Keep the current message in sight inside the chart's own scroll area (not the page's).
    const r = g.getBoundingClientRect();
    const c = this.scroller.getBoundingClientRect();
    if (r.top < c.top + 50 || r.bottom > c.bottom - 10) this.scroller.scrollTop += r.top - c.top - c.height / 3;
  }

  /** The chart of the whole trace (up to EXPORT_MAX steps), else of the window shown. */
  private async chartForExport() {
    const [from, to] = this.steps <= EXPORT_MAX ? [0, this.steps] : [this.from, this.to];
    const { msgs, findings } = await this.source(from, to);
    return buildSequence(msgs, findings);
  }

  async export(kind: 'svg' | 'mermaid'): Promise<void> {
    if (!this.steps) return;
    const chart = await this.chartForExport();
    if (kind === 'svg') download(`${this.name}-sequence.svg`, new Blob([sequenceSvg(chart)], { type: 'image/svg+xml' }));
    else download(`${this.name}-sequence.mmd`, new Blob([sequenceMermaid(chart)], { type: 'text/plain' }));
  }
}
