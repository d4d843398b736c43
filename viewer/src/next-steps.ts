// "What can happen next" for one process: the permitted commands that change its state, and the
// synchronised steps and faults it takes part in, those possible now as buttons, the others with
// the reason on screen (machines/pair.ts blockedReason, the composition's own reason). A reviewer
// sees at a glance where the process can go from here without hovering anything.
import { FAULTS, mayMove, movingProbes, SYNC, type PairEvent, type Side } from '../../machines/index.ts';
import { h } from './dom.ts';
import { whyNot, type Simulation } from './sim.ts';

/** The steps of the pair one slot takes part in: a SyncSpec with a step of that VM, and every fault. */
function stepsOf(side: Side): PairEvent[] {
  return [
    ...SYNC.filter((s) => s.steps.some((x) => x.vm === side) || s.kills === side).map((s): PairEvent => ({ type: 'sync', name: s.name })),
    ...FAULTS.filter((f) => !f.startsWith('crash') || f === `crash-${side}`).map((f): PairEvent => ({ type: 'fault', fault: f })),
  ];
}

// The command panel and the pair panel have buttons of the same names: these say they are the strip's.
const SR_NEXT = () => h('span', { class: 'sr-only' }, ' (next step)');
const label = (e: PairEvent) => (e.type === 'sync' ? e.name : e.type === 'fault' ? `⚡ ${e.fault}` : e.type);
const key = (e: PairEvent) => (e.type === 'sync' ? `sync:${e.name}` : e.type === 'fault' ? `fault:${e.fault}` : e.type);

export class NextSteps {
  readonly el: HTMLElement;
  private now: HTMLElement;
  private notNow: HTMLElement;
  private notNowCount: HTMLElement;
  private box: HTMLDetailsElement;
  private idle = 0;
  /** The steps not possible now (as of the last update): listed once the box is open. */
  private blocked: PairEvent[] = [];
  private listed = false;

  constructor(
    private side: Side,
    private send: (e: PairEvent) => void,
    private getSim: () => Simulation,
  ) {
    this.now = h('div', { class: 'next-now', role: 'group', 'aria-label': `what the ${side} can do now` });
    this.notNowCount = h('span', {}, '');
    this.notNow = h('ul', { class: 'next-not', 'aria-label': `steps of the ${side} not possible now, with why` });
    // The list of steps not possible now is built only while its box is open: closed (as at
    // start-up), it is not seen, and building its items (about 130 elements a side) took a share of
    // the first render and of every step.
    this.box = h('details', { class: 'next-not-box', ontoggle: () => this.list() }, h('summary', {}, 'Not now ', this.notNowCount), this.notNow);
    this.el = h('section', { class: 'next-steps', 'aria-label': `${side}: what can happen next` }, h('h3', {}, 'What can happen next'), this.now, this.box);
  }

  update(): void {
    const sim = this.getSim();
    const snap = sim.snapshot(this.side);
    const items: HTMLElement[] = [];
    if (snap) {
      // Commands QEMU accepts here that move a chart (a query changes nothing: not a next step).
      // (explore.ts mayMove: the one answer to "does this command move the process"; a destination
      // that migrates on leaves its side's search there, but here it is a step like any other.)
      for (const probe of movingProbes(sim.profile, snap.context.side)) {
        const ev = { type: 'qmp' as const, vm: this.side, command: probe.command, ...(probe.arguments ? { arguments: probe.arguments } : {}) };
        const d = sim.decide(this.side, probe.command, probe.arguments);
        if (!d || !(mayMove(sim.profile, snap.context, ev) || (d.allowed && d.rule.accept?.becomes))) continue;
        const ref = d.rule ? `${d.rule.ref} [${d.rule.id}]` : '';
        const refused = !d.allowed ? ` (refused, yet the state changes: ${d.error.desc})` : '';
        items.push(h('button', { type: 'button', class: `next qmp${refused ? ' refused' : ''}`, 'data-next': probe.label, title: ref + refused, onclick: () => this.send(ev) }, probe.label, SR_NEXT()));
      }
    }
    const enabled = new Set(sim.enabled().map(key));
    const blocked: PairEvent[] = [];
    for (const e of stepsOf(this.side)) {
      if (enabled.has(key(e))) items.push(h('button', { type: 'button', class: `next ${e.type}`, 'data-next': label(e), onclick: () => this.send(e) }, label(e), SR_NEXT()));
      else blocked.push(e);
    }
    this.now.replaceChildren(...(items.length ? items : [h('span', { class: 'hint' }, snap ? 'nothing moves this process now but a fault' : 'the process has exited')]));
    this.notNowCount.textContent = `(${blocked.length})`;
    this.blocked = blocked;
    this.listed = false;
    this.list();
  }

  /** Lists the steps not possible now, when the box is open and they are not listed yet. */
  private list(): void {
    if (!this.box.open || this.listed) return;
    this.listed = true;
    const sim = this.getSim();
    const blocked = this.blocked;
    // The reasons cost a few model steps each: worked out after the frame, not inside the click.
    this.notNow.replaceChildren(...blocked.map((e) => h('li', { 'data-step': label(e) }, h('code', {}, label(e)), ' ', h('span', { class: 'why-text' }, '…'))));
    cancelIdle(this.idle);
    const state = sim.state;
    this.idle = requestIdle(() => {
      if (this.getSim().state !== state) return;
      const lis = this.notNow.children;
      blocked.forEach((e, i) => {
        const why = lis[i]?.querySelector('.why-text');
        if (why) why.textContent = whyNot(sim, e) || 'possible';
      });
    });
  }
}

const requestIdle = (f: () => void): number => (typeof requestIdleCallback === 'function' ? requestIdleCallback(f, { timeout: 300 }) : window.setTimeout(f, 30));
const cancelIdle = (n: number) => (typeof cancelIdleCallback === 'function' ? cancelIdleCallback(n) : clearTimeout(n));
