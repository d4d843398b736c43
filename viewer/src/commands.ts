// The command panel of one process: every QMP command of the profile (the matrix's probes, arguments
// editable), each marked permitted or blocked in the current state with QEMU's exact error and the
// rule/QEMU function deciding (or "exited" once the process is gone). And the pair panel: the
// synchronised steps and faults of the pair (machines/pair.ts), enabled where they can happen now,
// the others greyed with why, plus "restart destination".
import { FAULTS, matrixProbes, SYNC, type PairEvent, type Profile, type QmpArguments, type Side } from '../../machines/index.ts';
import { afterPaint, h } from './dom.ts';
import { whyNot, type Simulation } from './sim.ts';

/** What each fault stands for. */
export const FAULT_DOC: Record<string, string> = {
  'channel-break': 'the migration socket is shut down or lost (network fault): both ends see I/O errors',
  'heartbeat-loss': 'the peers lose each other (COLO: no more checkpoints); modelled as a channel break',
  'crash-source': 'the source QEMU process dies: its end of the channel breaks',
  'crash-destination': 'the destination QEMU process dies: its end of the channel breaks',
};

/**
 * Rows built with the page's first frame: more than a command list's scroll box shows (34vh, about
 * five rows at 1440×900, eight on a 1440-tall screen). The other fifty-odd rows of each list are out
 * of sight, and their DOM, decisions, style and layout need not come before that frame.
 */
const FIRST_ROWS = 12;

interface Row {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  badge: HTMLElement;
  input: HTMLInputElement;
  why: HTMLElement;
  command: string;
  key: string;
}

export class CommandPanel {
  readonly el: HTMLElement;
  private rows: Row[] = [];
  private list: HTMLUListElement;
  private state: HTMLElement;
  readonly reply: HTMLOutputElement;
  private profile: Profile | null = null;

  constructor(
    private side: Side,
    private send: (event: PairEvent) => void,
    private getSim: () => Simulation,
  ) {
    this.list = h('ul', { class: 'cmds', 'aria-label': `QMP commands to the ${side}`, id: `cmds-${side}`, tabindex: '-1' });
    this.state = h('div', { class: 'state-line', 'aria-live': 'polite' });
    this.reply = h('output', { class: 'reply', 'aria-live': 'polite', 'aria-label': `last reply from the ${side}` });
    this.el = h(
      'section',
      { class: 'panel', 'aria-label': `${side} commands` },
      this.state,
      h('h3', {}, 'QMP commands ', h('small', {}, 'click to send; blocked ones answer with QEMU’s error and change nothing')),
      this.list,
      h('h3', {}, 'Last reply'),
      this.reply,
    );
  }

  /** Builds the rows for a profile (its commands, with representative arguments): the first
   * FIRST_ROWS now, the others once the frame that shows them is painted (`complete`). */
  build(p: Profile): void {
    this.profile = p;
    this.rows = [];
    this.list.replaceChildren();
    const probes = matrixProbes(p);
    const gen = ++this.generation;
    probes.slice(0, FIRST_ROWS).forEach((probe, i) => this.addRow(probe, i));
    this.complete = afterPaint().then(() => {
      if (gen !== this.generation) return;
      const from = this.rows.length;
      probes.slice(from).forEach((probe, j) => this.updateRow(this.addRow(probe, from + j)));
    });
  }

  /** Resolves once every command has its row (the rows after the first screenful come a frame later). */
  complete: Promise<void> = Promise.resolve();
  private generation = 0;

  private addRow(probe: ReturnType<typeof matrixProbes>[number], i: number): Row {
    const key = `${this.side}-${i}`;
    const input = h('input', {
      class: 'args',
      type: 'text',
      spellcheck: 'false',
      value: probe.arguments ? JSON.stringify(probe.arguments) : '',
      placeholder: 'no arguments',
      'aria-label': `arguments of ${probe.label} (JSON)`,
    });
    const why = h('div', { class: 'why', id: `why-${key}` });
    const badge = h('span', { class: 'badge' });
    const button = h('button', { type: 'button', class: 'send', 'aria-describedby': `why-${key}`, 'data-command': probe.command }, probe.label);
    const li = h('li', { class: 'cmd' }, h('div', { class: 'line' }, button, badge, input), why);
    const row: Row = { li, button, badge, input, why, command: probe.command, key };
    button.addEventListener('click', () => {
      const args = this.args(row);
      if (args === undefined) return;
      this.send(args ? { type: 'qmp', vm: this.side, command: probe.command, arguments: args } : { type: 'qmp', vm: this.side, command: probe.command });
    });
    input.addEventListener('input', () => this.updateRow(row));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') button.click();
    });
    this.rows.push(row);
    this.list.append(li);
    return row;
  }

  /** The row's arguments: an object, null for none, undefined if the text is not a JSON object. */
  private args(row: Row): QmpArguments | null | undefined {
    const text = row.input.value.trim();
    if (!text) return null;
    try {
      const v = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as QmpArguments;
    } catch {
      /* below */
    }
    return undefined;
  }

  private updateRow(row: Row): void {
    const sim = this.getSim();
    const args = this.args(row);
    if (args === undefined) {
      row.li.className = 'cmd invalid';
      row.badge.textContent = 'arguments?';
      row.why.textContent = 'The arguments must be a JSON object, e.g. {"uri": "tcp:127.0.0.1:4444"}.';
      row.button.disabled = true;
      return;
    }
    row.button.disabled = false;
    const d = sim.decide(this.side, row.command, args ?? undefined);
    if (!d) {
      row.li.className = 'cmd exited';
      row.badge.textContent = 'exited';
      row.why.textContent = 'The process has exited: nothing answers.';
      return;
    }
    const ref = d.rule ? `${d.rule.ref} [${d.rule.id}]` : 'qapi/qmp-dispatch.c: qmp_dispatch';
    if (d.allowed) {
      row.li.className = 'cmd allowed';
      row.badge.textContent = 'permitted';
      const a = d.rule.accept;
      const moves = [a?.status && `status → ${a.status}`, a?.runstate && `run state → ${a.runstate}`].filter(Boolean).join(', ');
      row.why.replaceChildren(moves ? h('span', { class: 'moves' }, moves + ' · ') : '', h('code', { class: 'ref' }, ref));
    } else {
      row.li.className = 'cmd blocked';
      row.badge.textContent = 'blocked';
      row.why.replaceChildren(h('span', { class: 'err' }, `${d.error.class}: ${d.error.desc}`), ' · ', h('code', { class: 'ref' }, ref));
    }
  }

  /** Re-marks every command for the process's current state. */
  update(): void {
    const sim = this.getSim();
    const snap = sim.snapshot(this.side);
    this.el.classList.toggle('exited', !snap);
    if (snap) this.el.dataset.role = snap.context.side;
    if (!snap) {
      this.state.replaceChildren(h('b', {}, this.side), ': ', h('code', { class: 'cur-status' }, 'exited'), ' · the process is gone (crashed, or exited on a failed load)');
    } else {
      const c = snap.context;
      // Commands are judged by the process's role now (decide reads its data): a destination that
      // migrated on is a source (rule migrate.start.dst, docs/findings.md F3).
      const role = c.side !== this.side ? [h('span', { class: 'role' }, ` process, now a ${c.side}`), ` (F3: it migrates on; its commands are judged as a ${c.side}'s)`] : [];
      const extra = c.side === 'destination' ? ` · ${c.listening ? 'listening' : 'not listening'}` : '';
      const opt = (label: string, v: string, none: string) => (v !== none ? [` · ${label} `, h('code', {}, v)] : []);
      const colo = typeof snap.value === 'object' && snap.value && 'colo' in snap.value ? leaf((snap.value as Record<string, unknown>).colo) : String(c.colo);
      this.state.replaceChildren(
        h('b', {}, this.side),
        ...role,
        ': status ',
        h('code', { class: 'cur-status' }, c.status),
        ' · run state ',
        h('code', { class: 'cur-run' }, c.runstate),
        ...opt('COLO', colo, 'none'),
        ...opt('failover', String(c.failover), 'none'),
        ...opt('return path', String(c.rp), 'closed'),
        extra,
        ' · caps ',
        h('code', {}, c.caps.length ? c.caps.join(', ') : 'none'),
      );
    }
    for (const row of this.rows) this.updateRow(row);
  }
}

/** 'primary.checkpoint.stopped' from {primary: {checkpoint: 'stopped'}}. */
function leaf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (!v || typeof v !== 'object') return '';
  const [k, x] = Object.entries(v as Record<string, unknown>)[0] ?? ['', ''];
  return `${k}.${leaf(x)}`;
}

/** The steps of the pair: synchronised steps, faults, a fresh destination. */
export class PairPanel {
  readonly el: HTMLElement;
  private buttons: { button: HTMLButtonElement; why: HTMLElement; event: PairEvent; key: string; title: string; stale: boolean }[] = [];
  private incoming: HTMLSelectElement;
  readonly line: HTMLElement;
  readonly reply: HTMLOutputElement;

  constructor(
    private send: (event: PairEvent) => void,
    private getSim: () => Simulation,
  ) {
    let n = 0;
    const mk = (event: PairEvent, label: string, title: string, cls: string) => {
      const key = `pair-${n++}`;
      const why = h('span', { class: 'why-not', id: `why-${key}` });
      // aria-disabled, not disabled: a step that cannot happen keeps its keyboard focus, so a
      // keyboard user reaches it and reads why (shown beside it on focus and hover).
      const button = h('button', { type: 'button', class: cls, title, 'aria-describedby': `why-${key}`, 'data-event': label, onclick: () => button.getAttribute('aria-disabled') !== 'true' && this.send(event) }, label);
      const entry = { button, why, event, key, title, stale: true };
      // Why a step cannot happen costs a few steps of the model: worked out when asked (hover, focus).
      const explain = () => {
        if (!entry.stale) return;
        entry.stale = false;
        const w = button.getAttribute('aria-disabled') === 'true' ? whyNot(this.getSim(), event) : '';
        why.textContent = w;
        button.title = w ? `cannot happen now: ${w}\n${title}` : title;
      };
      const wrap = h('span', { class: 'pair-step', onpointerenter: explain }, button, why);
      button.addEventListener('focus', explain);
      this.buttons.push(entry);
      return wrap;
    };
    const syncs = SYNC.map((s) => mk({ type: 'sync', name: s.name }, s.name, s.ref, 'internal'));
    const faults = FAULTS.map((f) => mk({ type: 'fault', fault: f }, f, FAULT_DOC[f] ?? f, 'internal fault'));
    this.incoming = h('select', { 'aria-label': 'restarted destination -incoming' }, h('option', { value: 'defer' }, '-incoming defer'), h('option', { value: 'uri' }, '-incoming tcp:…'));
    const restart = h(
      'button',
      { type: 'button', class: 'internal restart', title: 'a fresh destination QEMU process (e.g. a new secondary to resume COLO replication)', onclick: () => this.send({ type: 'restart-destination', incoming: this.incoming.value === 'uri' ? 'uri' : 'defer' }) },
      'restart destination',
    );
    this.line = h('div', { class: 'state-line', 'aria-live': 'polite' });
    this.reply = h('output', { class: 'reply', 'aria-live': 'polite', 'aria-label': 'last step of the pair' });
    this.el = h(
      'section',
      { class: 'panel pair-panel', 'aria-label': 'pair steps' },
      this.line,
      h('h3', {}, 'Synchronised steps ', h('small', {}, 'what QEMU’s threads do together on both processes; greyed: cannot happen now (focus or hover one for why)')),
      h('div', { class: 'events', role: 'group', 'aria-label': 'synchronised steps' }, ...syncs),
      h('h3', {}, 'Faults'),
      h('div', { class: 'events', role: 'group', 'aria-label': 'faults' }, ...faults, restart, this.incoming),
      h('h3', {}, 'Last step of the pair'),
      this.reply,
    );
  }

  update(): void {
    const sim = this.getSim();
    const en = new Set(sim.enabled().map((e) => (e.type === 'sync' ? `sync:${e.name}` : e.type === 'fault' ? `fault:${e.fault}` : '')));
    for (const b of this.buttons) {
      const k = b.event.type === 'sync' ? `sync:${b.event.name}` : b.event.type === 'fault' ? `fault:${b.event.fault}` : '';
      const ok = en.has(k);
      b.button.setAttribute('aria-disabled', String(!ok));
      b.why.textContent = '';
      b.button.title = b.title;
      b.stale = true;
    }
    const s = sim.state;
    this.line.replaceChildren(
      h('b', {}, 'channel'),
      ': ',
      h('code', { class: 'cur-channel' }, String(s.channel.value)),
      ` · connections so far ${s.channel.context.connections}`,
      s.source ? '' : ' · source exited',
      s.destination ? '' : ' · destination exited',
      // F3: its outgoing migration has a third process for peer, outside this pair; no step here moves it.
      s.destination && s.destination.context.side !== 'destination' ? ' · the destination process is now a source: its migration is to a third process, not modelled here (its commands and a crash still act)' : '',
    );
  }
}
