// The permission matrix as a table (state × command) for a profile and side, and a diff between
// two profiles. The diff (machines/matrix.ts matrixDiff, computed in the worker) lines rows up by
// the state they are, not by their label, and classifies each cell: a permission flip (✓→✗, ✗→✓)
// is what breaks a client; a change of error wording alone is shown quietly and can be filtered out.
import { profileNames, type Cell, type Matrix, type MatrixRow, type Side } from '../../machines/index.ts';
import { CELL_CHANGES, type CellChange, type MatrixDiff } from '../../machines/matrix.ts';
import type { MatrixQuery } from './matrix.worker.ts';
import { h } from './dom.ts';
import './matrix.css';

const worker = () => new Worker(new URL('./matrix.worker.ts', import.meta.url), { type: 'module' });
let w: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { res: (m: unknown) => void; rej: (e: Error) => void }>();
const cache = new Map<string, Promise<unknown>>();

function ask<T>(key: string, req: MatrixQuery): Promise<T> {
  let hit = cache.get(key);
  if (hit) return hit as Promise<T>;
  if (!w) {
    w = worker();
    w.onmessage = (e: MessageEvent<{ id: number; matrix?: Matrix; diff?: MatrixDiff; error?: string }>) => {
      const p = pending.get(e.data.id);
      pending.delete(e.data.id);
      const v = e.data.matrix ?? e.data.diff;
      if (v) p?.res(v);
      else p?.rej(new Error(e.data.error));
    };
  }
  const id = ++nextId;
  hit = new Promise((res, rej) => pending.set(id, { res, rej }));
  w.postMessage({ id, ...req });
  cache.set(key, hit);
  return hit as Promise<T>;
}

export const loadMatrix = (profile: string, side: Side) => ask<Matrix>(`${profile}|${side}`, { profile, side });
export const loadDiff = (a: string, b: string, side: Side) => ask<MatrixDiff>(`${a}→${b}|${side}`, { a, b, side });

const cellText = (c: Cell | undefined) => (!c ? '—' : c.allowed ? '✓' : '✗');
const cellLong = (c: Cell | undefined) => (!c ? 'no such state/command' : c.allowed ? `accepted (${c.rule ?? ''})` : `${c.error?.class}: ${c.error?.desc}`);

/** The filter's words for each kind of cell, and how a diff cell shows it. */
const KIND_LABEL: Record<CellChange, string> = {
  'flip-refused': '✓→✗ now refused',
  'flip-accepted': '✗→✓ now accepted',
  wording: '✗→✗ error wording only',
  same: 'unchanged',
  only: 'only in one profile',
};
const KIND_WORDS: Record<CellChange, string> = {
  'flip-refused': 'permission flip, accepted then refused',
  'flip-accepted': 'permission flip, refused then accepted',
  wording: 'refused in both, another error',
  same: 'same answer',
  only: 'in one profile only',
};

type RowRef = { ra: MatrixRow | undefined; rb: MatrixRow | undefined; key: string };

export class MatrixView {
  readonly el: HTMLElement;
  private a: HTMLSelectElement;
  private b: HTMLSelectElement;
  private side: HTMLSelectElement;
  private diff: HTMLInputElement;
  private onlyChanged: HTMLInputElement;
  private kinds = new Map<CellChange, { input: HTMLInputElement; count: HTMLElement }>();
  private kindBox: HTMLFieldSetElement;
  private status: HTMLElement;
  private tableBox: HTMLElement;
  private detail: HTMLElement;
  private token = 0;

  constructor(private onState: () => void) {
    const names = profileNames();
    const sel = (label: string, values: string[], value: string) =>
      h('select', { 'aria-label': label, onchange: () => this.refresh() }, ...values.map((v) => h('option', { value: v, selected: v === value }, v)));
    this.a = sel('profile', names, names[0]);
    this.b = sel('compare with profile', names, names[names.length - 1]);
    this.side = sel('side', ['source', 'destination'], 'source');
    this.diff = h('input', { type: 'checkbox', onchange: () => this.refresh() });
    this.onlyChanged = h('input', { type: 'checkbox', onchange: () => this.refresh() });
    // One real checkbox per kind of cell, its label saying the kind and how many there are.
    this.kindBox = h('fieldset', { class: 'matrix-kinds' }, h('legend', {}, 'Show in the diff'));
    for (const k of CELL_CHANGES) {
      const input = h('input', { type: 'checkbox', checked: true, 'data-kind': k, onchange: () => this.refresh() });
      const count = h('span', { class: 'count' });
      this.kinds.set(k, { input, count });
      this.kindBox.append(h('label', { class: `kind kind-${k}` }, input, ' ', h('span', { class: 'swatch', 'aria-hidden': 'true' }), KIND_LABEL[k], ' ', count));
    }
    this.status = h('p', { class: 'status', 'aria-live': 'polite' });
    this.tableBox = h('div', { class: 'matrix-box' });
    this.detail = h('div', { class: 'info matrix-detail', 'aria-live': 'polite' }, 'Select a cell for QEMU’s answer, the rule and the QEMU function, and how the state is reached.');
    this.el = h(
      'div',
      { class: 'matrix-view' },
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'Profile ', this.a),
        h('label', {}, 'Side ', this.side),
        h('label', {}, this.diff, ' Diff with '),
        this.b,
        h('label', {}, this.onlyChanged, ' only rows that change'),
      ),
      this.kindBox,
      this.status,
      this.detail,
      this.tableBox,
    );
    this.tableBox.addEventListener('keydown', (e) => this.navigate(e));
  }

  private shown(): Set<CellChange> {
    return new Set(CELL_CHANGES.filter((k) => this.kinds.get(k)!.input.checked));
  }

  get state() {
    const shown = this.shown();
    // Only a filter that hides something goes into the link.
    const show = shown.size === CELL_CHANGES.length ? undefined : [...shown].join(',') || 'none';
    return { a: this.a.value, b: this.b.value, side: this.side.value, diff: this.diff.checked, show, changedRows: this.onlyChanged.checked || undefined };
  }

  setState(s: { a?: string; b?: string; side?: string; diff?: boolean; show?: string; changedRows?: boolean }): void {
    if (s.a) this.a.value = s.a;
    if (s.b) this.b.value = s.b;
    if (s.side) this.side.value = s.side;
    if (s.diff !== undefined) this.diff.checked = s.diff;
    if (s.changedRows !== undefined) this.onlyChanged.checked = s.changedRows;
    if (s.show !== undefined) {
      const list = s.show.split(',');
      for (const [k, { input }] of this.kinds) input.checked = list.includes(k);
    }
  }

  async refresh(): Promise<void> {
    this.onState();
    const token = ++this.token;
    const side = this.side.value as Side;
    const diff = this.diff.checked;
    this.b.disabled = !diff;
    this.onlyChanged.disabled = !diff;
    this.kindBox.disabled = !diff;
    this.kindBox.hidden = !diff;
    this.status.textContent = 'Exploring the state space…';
    try {
      if (diff) {
        const d = await loadDiff(this.a.value, this.b.value, side);
        if (token === this.token) this.renderDiff(d);
      } else {
        const m = await loadMatrix(this.a.value, side);
        if (token === this.token) this.renderOne(m);
      }
    } catch (e) {
      if (token === this.token) this.status.textContent = `Could not build the matrix: ${(e as Error).message}`;
    }
  }

  private head(ma: Matrix, cols: string[], caption: string): HTMLTableElement {
    return h(
      'table',
      { class: 'matrix' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'rowhead' }, `state (status / run state${ma.side === 'destination' ? ' / listener' : ''})`), h('th', { scope: 'col' }, 'reached with'), ...cols.map((c) => h('th', { scope: 'col', class: 'col' }, h('span', {}, c))))),
    );
  }

  private button(text: string, title: string, aria: string, first: boolean, onShow: () => void): HTMLButtonElement {
    const btn = h('button', { type: 'button', class: 'cellbtn', tabindex: first ? '0' : '-1', title, 'aria-label': aria }, text);
    btn.addEventListener('click', onShow);
    btn.addEventListener('focus', onShow);
    return btn;
  }

  private renderOne(ma: Matrix): void {
    const cols = ma.columns.map((c) => c.label);
    const table = this.head(ma, cols, `Permission matrix, ${ma.side}: ${ma.profile}`);
    const body = h('tbody');
    let first = true;
    for (const r of ma.rows) {
      const tds = r.cells.map((c, i) => {
        const title = cellLong(c);
        const btn = this.button(cellText(c) + (c.dependsOn ? '†' : ''), title, `${r.key}, ${cols[i]}: ${title}`, first, () => this.show(cols[i], { ra: r, rb: undefined, key: r.key }, c, undefined, ma, null, null));
        first = false;
        return h('td', { class: [c.allowed ? 'yes' : 'no', c.dependsOn ? 'depends' : ''].filter(Boolean).join(' '), 'data-col': cols[i] }, btn);
      });
      body.append(h('tr', { 'data-key-a': r.key }, h('th', { scope: 'row', class: 'rowhead' }, r.key), h('td', { class: 'caps' }, capsText(r)), ...tds));
    }
    table.append(body);
    this.tableBox.replaceChildren(table);
    this.status.textContent = `${ma.rows.length} states × ${ma.columns.length} commands. ✓ accepted, ✗ rejected (the error is in the cell's details); † the answer depends on capabilities.`;
  }

  private renderDiff(d: MatrixDiff): void {
    const { a: ma, b: mb } = d;
    const shown = this.shown();
    const cols = d.columns.map((c) => c.label);
    const table = this.head(ma, cols, `Permission matrix, ${ma.side}: ${ma.profile} → ${mb.profile} (permission flips marked; rows lined up by state)`);
    table.classList.add('diff');
    const body = h('tbody');
    let first = true;
    let renamed = 0;
    d.rows.forEach((dr, ri) => {
      const ra = dr.a !== null ? ma.rows[dr.a] : undefined;
      const rb = dr.b !== null ? mb.rows[dr.b] : undefined;
      const key = ra && rb && ra.key !== rb.key ? `${ra.key} → ${rb.key}` : (ra ?? rb)!.key;
      if (dr.match === 'path') renamed++;
      const ref: RowRef = { ra, rb, key };
      let visible = 0;
      let changes = 0;
      const tds = d.columns.map((col, ci) => {
        const kind = d.changes[ri][ci];
        const ca = ra && col.a !== null ? ra.cells[col.a] : undefined;
        const cb = rb && col.b !== null ? rb.cells[col.b] : undefined;
        if (kind !== 'same') changes++;
        // A kind the filter hides leaves an empty cell, so the columns stay aligned.
        if (!shown.has(kind)) return h('td', { class: 'filtered', 'data-col': col.label, 'data-change': kind });
        visible++;
        const c = ca ?? cb;
        const flip = kind === 'flip-refused' || kind === 'flip-accepted';
        const text = flip || kind === 'wording' ? `${cellText(ca)}→${cellText(cb)}` : cellText(c) + (c?.dependsOn ? '†' : '');
        const title = kind === 'same' ? cellLong(c) : `${ma.profile}: ${cellLong(ca)}\n${mb.profile}: ${cellLong(cb)}`;
        const btn = this.button(text, `${KIND_WORDS[kind]}\n${title}`, `${key}, ${col.label}: ${KIND_WORDS[kind]}; ${title.replace('\n', '; ')}`, first, () => this.show(col.label, ref, ca, cb, ma, mb, kind));
        first = false;
        const cls = [`ch-${kind}`, kind === 'same' ? (c?.allowed ? 'yes' : 'no') : '', flip ? 'changed flip' : ''].filter(Boolean).join(' ');
        return h('td', { class: cls, 'data-col': col.label, 'data-change': kind }, btn);
      });
      if (!visible || (this.onlyChanged.checked && !changes)) return;
      const rowCls = !rb ? 'only-a' : !ra ? 'only-b' : '';
      const note = !rb ? ` (only ${ma.profile})` : !ra ? ` (only ${mb.profile})` : dr.match === 'path' ? ' (same steps, another status)' : '';
      const caps = ra && rb && capsText(ra) !== capsText(rb) ? `${capsText(ra)} → ${capsText(rb)}` : capsText((ra ?? rb)!);
      body.append(
        h(
          'tr',
          { class: [rowCls, changes ? 'row-changed' : '', dr.match === 'path' ? 'renamed' : ''].filter(Boolean).join(' '), 'data-key-a': ra?.key, 'data-key-b': rb?.key, 'data-match': dr.match },
          h('th', { scope: 'row', class: 'rowhead' }, key, note ? h('small', {}, note) : ''),
          h('td', { class: 'caps' }, caps),
          ...tds,
        ),
      );
    });
    table.append(body);
    this.tableBox.replaceChildren(table);
    for (const [k, { count }] of this.kinds) count.textContent = `(${d.counts[k]})`;
    const n = d.counts;
    const flips = n['flip-refused'] + n['flip-accepted'];
    const onlyA = d.rows.filter((r) => r.b === null).length;
    const onlyB = d.rows.filter((r) => r.a === null).length;
    const s = (x: number, one: string, many: string) => `${x} ${x === 1 ? one : many}`;
    this.status.textContent =
      `${ma.profile} → ${mb.profile}, ${ma.side}: ${s(flips, 'cell changes', 'cells change')} permission (${n['flip-refused']} ✓→✗, ${n['flip-accepted']} ✗→✓), ` +
      `${s(n.wording, 'only its error wording', 'only their error wording')}; ${s(onlyA, 'state', 'states')} only in ${ma.profile}, ${onlyB} only in ${mb.profile}` +
      (renamed ? `; ${s(renamed, 'state', 'states')} lined up under another status (reached by the same steps).` : '.');
  }

  private show(label: string, row: RowRef, ca: Cell | undefined, cb: Cell | undefined, ma: Matrix, mb: Matrix | null, kind: CellChange | null) {
    const part = (name: string, r: MatrixRow | undefined, c: Cell | undefined) =>
      h(
        'div',
        { class: 'cell-detail' },
        h('b', {}, name),
        r && mb ? ` (${r.key})` : '',
        ': ',
        c ? (c.allowed ? h('span', { class: 'ok' }, 'accepted') : h('span', { class: 'err' }, `${c.error?.class}: ${c.error?.desc}`)) : 'no such state or command',
        c?.ref ? h('div', {}, 'QEMU: ', h('code', { class: 'ref' }, c.ref), c.rule ? ` [${c.rule}]` : '') : null,
        c?.dependsOn ? h('div', {}, 'with other capabilities: ', c.dependsOn.map((d) => `[${d.caps.join(', ')}] ${d.allowed ? 'accepted' : d.error?.desc}`).join('; ')) : null,
        r ? h('div', { class: 'note' }, `reached with ${r.caps.length ? r.caps.join(', ') : 'default capabilities'} by: ${r.path.join(' → ') || '(start)'}`) : null,
      );
    this.detail.replaceChildren(
      h('div', {}, h('code', {}, label), ' in ', h('code', {}, row.key), kind ? ` — ${KIND_WORDS[kind]}` : ''),
      part(ma.profile, row.ra, ca),
      mb ? part(mb.profile, row.rb, cb) : '',
    );
  }

  private navigate(e: KeyboardEvent) {
    const btn = (e.target as Element).closest('button.cellbtn') as HTMLButtonElement | null;
    if (!btn) return;
    const td = btn.parentElement as HTMLTableCellElement;
    const tr = td.parentElement as HTMLTableRowElement;
    // Filtered cells have no button: step over them to the next one that has.
    let next: HTMLButtonElement | null = null;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      for (let c = td as Element | null; c && !next; ) {
        c = e.key === 'ArrowRight' ? c.nextElementSibling : c.previousElementSibling;
        next = c?.querySelector('button.cellbtn') ?? null;
      }
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      for (let r = tr as HTMLTableRowElement | null; r && !next; ) {
        r = (e.key === 'ArrowDown' ? r.nextElementSibling : r.previousElementSibling) as HTMLTableRowElement | null;
        next = r?.cells[td.cellIndex]?.querySelector('button.cellbtn') ?? null;
      }
    }
    if (next) {
      e.preventDefault();
      btn.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  }
}

const capsText = (r: MatrixRow) => (r.caps.length ? r.caps.join(', ') : 'default');
