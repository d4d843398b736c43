// The inspector: xstate-style inspection events of the simulated pair (actor created, event received,
// snapshot), logged in the page. Optionally forwarded to a WebSocket inspector on this machine
// (`npx tsx viewer/inspect-receiver.ts`, or any @statelyai/inspect WebSocket server): off by
// default; nothing connects anywhere unless the user turns it on, and only to localhost.
import type { InspectionEvent, Observer } from 'xstate';
import { h } from './dom.ts';

interface Entry {
  n: number;
  time: number;
  type: string;
  actor: string;
  text: string;
}

const MAX = 2000;

const isLocal = (url: string) => {
  try {
    const u = new URL(url);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
};

export class Inspector {
  readonly el: HTMLElement;
  private entries: Entry[] = [];
  private n = 0;
  /** The log's rows and count, once the tab has been shown (built then: the page opens on another tab). */
  private view: { body: HTMLTableSectionElement; count: HTMLElement } | null = null;
  private visible = false;
  private dirty = false;
  private forward: Observer<InspectionEvent> | null = null;
  private forwardStop: (() => void) | null = null;
  private t0 = performance.now();
  paused = false;

  /** The observer to give xstate (createActor(..., { inspect })). */
  readonly observer: Observer<InspectionEvent> = {
    next: (ev) => {
      if (this.forward) this.forward.next?.(ev);
      if (this.paused) return;
      this.push(ev);
    },
  };

  constructor() {
    this.el = h('div', { class: 'inspector' });
  }

  /** The tab's controls and table, built the first time it is shown. */
  private build(): { body: HTMLTableSectionElement; count: HTMLElement } {
    const body = h('tbody');
    const count = h('span', { class: 'count' });
    const wsStatus = h('span', { class: 'ws-status', 'aria-live': 'polite' }, 'off');
    const url = h('input', { type: 'text', value: 'ws://127.0.0.1:8080', 'aria-label': 'local WebSocket inspector address', spellcheck: 'false' });
    const toggle = h('input', { type: 'checkbox', 'aria-label': 'forward inspection events to a local WebSocket inspector' });
    toggle.addEventListener('change', () => void this.setForward(toggle.checked ? url.value : null, toggle, wsStatus));
    this.el.append(
      h(
        'div',
        { class: 'controls' },
        h('button', { type: 'button', onclick: () => ((this.entries = []), (this.dirty = true), this.render()) }, 'Clear'),
        count,
        h('span', { class: 'spacer' }),
        h('label', {}, toggle, ' forward to a local WebSocket inspector at '),
        url,
        ' ',
        wsStatus,
      ),
      h('p', { class: 'hint' }, 'Events and snapshots of the simulated pair (source, destination, channel) in the shape of xstate’s inspection events, newest first: the pair is stepped purely (machines/pair.ts: stepPair), and each step logs its event, then every snapshot it changed. Forwarding is off by default and only goes to this machine (run `npx tsx viewer/inspect-receiver.ts` for a receiver that prints them).'),
      h('table', { class: 'log' }, h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 't (s)'), h('th', {}, 'kind'), h('th', {}, 'actor'), h('th', {}, 'event / snapshot'))), body),
    );
    return { body, count };
  }

  private push(ev: InspectionEvent) {
    const actor = (ev.actorRef as { id?: string } | undefined)?.id ?? '?';
    let text = '';
    if (ev.type === '@xstate.event') text = JSON.stringify(ev.event);
    else if (ev.type === '@xstate.snapshot') {
      const s = ev.snapshot as { value?: unknown; context?: { caps?: unknown } };
      text = `value ${JSON.stringify(s.value)} after ${JSON.stringify(ev.event)}`;
    } else if (ev.type === '@xstate.actor') text = 'actor started';
    else if (ev.type === '@xstate.microstep') text = `microstep: ${(ev as unknown as { _transitions?: { eventType: string }[] })._transitions?.map((t) => t.eventType).join(', ') ?? ''}`;
    else text = ev.type;
    this.entries.push({ n: ++this.n, time: (performance.now() - this.t0) / 1000, type: ev.type.replace('@xstate.', ''), actor, text });
    if (this.entries.length > MAX) this.entries.splice(0, this.entries.length - MAX);
    this.dirty = true;
    if (this.visible) queueMicrotask(() => this.render());
  }

  /** A marker line (restart, undo) in the log. */
  note(text: string): void {
    this.entries.push({ n: ++this.n, time: (performance.now() - this.t0) / 1000, type: 'note', actor: '', text });
    this.dirty = true;
    if (this.visible) this.render();
  }

  setVisible(v: boolean): void {
    this.visible = v;
    if (v) this.render();
  }

  private render() {
    const { body, count } = (this.view ??= this.build());
    if (!this.dirty && body.childElementCount) return;
    this.dirty = false;
    const rows = this.entries.slice(-300).reverse();
    body.replaceChildren(...rows.map((e) => h('tr', { class: e.type }, h('td', {}, String(e.n)), h('td', {}, e.time.toFixed(3)), h('td', {}, e.type), h('td', {}, e.actor), h('td', {}, h('code', {}, e.text)))));
    count.textContent = `${this.entries.length} entries${this.entries.length > 300 ? ' (newest 300 shown)' : ''}`;
  }

  private async setForward(url: string | null, toggle: HTMLInputElement, status: HTMLElement) {
    this.forwardStop?.();
    this.forward = null;
    this.forwardStop = null;
    if (!url) {
      status.textContent = 'off';
      return;
    }
    if (!isLocal(url)) {
      status.textContent = 'only ws://127.0.0.1, ws://localhost or ws://[::1] addresses';
      toggle.checked = false;
      return;
    }
    // Loaded only now: nothing of it runs unless asked for.
    const { createWebSocketInspector } = await import('@statelyai/inspect');
    const insp = createWebSocketInspector({ url, autoStart: true });
    this.forward = insp.inspect;
    this.forwardStop = () => insp.stop();
    status.textContent = `forwarding to ${url} (events are queued until it connects)`;
  }
}
