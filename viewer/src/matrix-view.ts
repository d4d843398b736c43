// The permission matrix as a table (state × command) for a profile and side, and a diff between
// two profiles: cells whose answer changes are marked, rows only one profile reaches too.
import { profileNames, type Cell, type Matrix, type Side } from '../../machines/index.ts';
import { h } from './dom.ts';

const worker = () => new Worker(new URL('./matrix.worker.ts', import.meta.url), { type: 'module' });
let w: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { res: (m: Matrix) => void; rej: (e: Error) => void }>();
const cache = new Map<string, Promise<Matrix>>();

export function loadMatrix(profile: string, side: Side): Promise<Matrix> {
  const key = `${profile}|${side}`;
  let hit = cache.get(key);
  if (hit) return hit;
  if (!w) {
    w = worker();
    w.onmessage = (e: MessageEvent<{ id: number; matrix?: Matrix; error?: string }>) => {
      const p = pending.get(e.data.id);
      pending.delete(e.data.id);
      if (e.data.matrix) p?.res(e.data.matrix);
      else p?.rej(new Error(e.data.error));
    };
  }
  const id = ++nextId;
  hit = new Promise<Matrix>((res, rej) => pending.set(id, { res, rej }));
  w.postMessage({ id, profile, side });
  cache.set(key, hit);
  return hit;
}

const same = (a: Cell | undefined, b: Cell | undefined) => !!a && !!b && a.allowed === b.allowed && (a.allowed || a.error?.desc === b.error?.desc);
const cellText = (c: Cell | undefined) => (!c ? '—' : c.allowed ? '✓' : '✗');
const cellLong = (c: Cell | undefined) => (!c ? 'no such state/command' : c.allowed ? `accepted (${c.rule ?? ''})` : `${c.error?.class}: ${c.error?.desc}`);

export class MatrixView {
  readonly el: HTMLElement;
  private a: HTMLSelectElement;
  private b: HTMLSelectElement;
  private side: HTMLSelectElement;
  private diff: HTMLInputElement;
  private onlyChanged: HTMLInputElement;
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
      this.status,
      this.detail,
      this.tableBox,
    );
    this.tableBox.addEventListener('keydown', (e) => this.navigate(e));
  }

  get state() {
    return { a: this.a.value, b: this.b.value, side: this.side.value, diff: this.diff.checked };
  }

  setState(s: { a?: string; b?: string; side?: string; diff?: boolean }): void {
    if (s.a) this.a.value = s.a;
    if (s.b) this.b.value = s.b;
    if (s.side) this.side.value = s.side;
    if (s.diff !== undefined) this.diff.checked = s.diff;
  }

  async refresh(): Promise<void> {
    this.onState();
    const token = ++this.token;
    const side = this.side.value as Side;
    const diff = this.diff.checked;
    this.b.disabled = !diff;
    this.onlyChanged.disabled = !diff;
    this.status.textContent = 'Exploring the state space…';
    try {
      const ma = await loadMatrix(this.a.value, side);
      const mb = diff ? await loadMatrix(this.b.value, side) : null;
      if (token !== this.token) return;
      this.render(ma, mb);
    } catch (e) {
      if (token === this.token) this.status.textContent = `Could not build the matrix: ${(e as Error).message}`;
    }
  }

  private render(ma: Matrix, mb: Matrix | null): void {
    const cols = [...ma.columns.map((c) => c.label)];
    if (mb) for (const c of mb.columns) if (!cols.includes(c.label)) cols.push(c.label);
    const rowKeys = ma.rows.map((r) => r.key);
    if (mb) for (const r of mb.rows) if (!rowKeys.includes(r.key)) rowKeys.push(r.key);
    const rowA = new Map(ma.rows.map((r) => [r.key, r]));
    const rowB = new Map((mb?.rows ?? []).map((r) => [r.key, r]));
    const colA = new Map(ma.columns.map((c, i) => [c.label, i]));
    const colB = new Map((mb?.columns ?? []).map((c, i) => [c.label, i]));
    let changed = 0;
    let onlyA = 0;
    let onlyB = 0;
    const table = h('table', { class: `matrix${mb ? ' diff' : ''}` });
    table.append(
      h('caption', {}, mb ? `Permission matrix, ${ma.side}: ${ma.profile} → ${mb.profile} (changed cells marked)` : `Permission matrix, ${ma.side}: ${ma.profile}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'rowhead' }, `state (status / run state${ma.side === 'destination' ? ' / listener' : ''})`), h('th', { scope: 'col' }, 'reached with'), ...cols.map((c) => h('th', { scope: 'col', class: 'col' }, h('span', {}, c))))),
    );
    const body = h('tbody');
    let first = true;
    for (const key of rowKeys) {
      const ra = rowA.get(key);
      const rb = mb ? rowB.get(key) : undefined;
      const rowCls = mb && !ra ? 'only-b' : mb && !rb ? 'only-a' : '';
      if (rowCls === 'only-a') onlyA++;
      if (rowCls === 'only-b') onlyB++;
      let rowChanged = !!rowCls;
      const tds: HTMLElement[] = [];
      cols.forEach((label) => {
        const ca = ra && colA.has(label) ? ra.cells[colA.get(label)!] : undefined;
        const cb = rb && colB.has(label) ? rb.cells[colB.get(label)!] : undefined;
        const isChange = !!mb && !!ra && !!rb && !same(ca, cb);
        if (isChange) {
          changed++;
          rowChanged = true;
        }
        const c = mb && !ra ? cb : ca;
        const text = isChange ? `${cellText(ca)}→${cellText(cb)}` : cellText(c);
        const title = isChange ? `${ma.profile}: ${cellLong(ca)}\n${mb!.profile}: ${cellLong(cb)}` : cellLong(c);
        const cls = [c?.allowed ? 'yes' : 'no', isChange ? 'changed' : '', c?.dependsOn ? 'depends' : ''].filter(Boolean).join(' ');
        const btn = h('button', { type: 'button', class: 'cellbtn', tabindex: first ? '0' : '-1', title, 'aria-label': `${key}, ${label}: ${title.replace('\n', '; ')}` }, text + (c?.dependsOn ? '†' : ''));
        first = false;
        btn.addEventListener('click', () => this.show(key, label, ra, rb, ca, cb, ma, mb));
        btn.addEventListener('focus', () => this.show(key, label, ra, rb, ca, cb, ma, mb));
        tds.push(h('td', { class: cls }, btn));
      });
      if (mb && this.onlyChanged.checked && !rowChanged) continue;
      const r = ra ?? rb!;
      body.append(
        h('tr', { class: rowCls + (rowChanged && mb ? ' row-changed' : '') }, h('th', { scope: 'row', class: 'rowhead' }, key, rowCls ? h('small', {}, rowCls === 'only-a' ? ` (only ${ma.profile})` : ` (only ${mb!.profile})`) : ''), h('td', { class: 'caps' }, r.caps.length ? r.caps.join(', ') : 'default'), ...tds),
      );
    }
    table.append(body);
    this.tableBox.replaceChildren(table);
    this.status.textContent = mb
      ? `${ma.profile} → ${mb.profile}, ${ma.side}: ${changed} cell${changed === 1 ? '' : 's'} change; ${onlyA} state${onlyA === 1 ? '' : 's'} only in ${ma.profile}, ${onlyB} only in ${mb.profile}.`
      : `${ma.rows.length} states × ${ma.columns.length} commands. ✓ accepted, ✗ rejected (the error is in the cell's details); † the answer depends on capabilities.`;
  }

  private show(key: string, label: string, ra: Matrix['rows'][number] | undefined, rb: Matrix['rows'][number] | undefined, ca: Cell | undefined, cb: Cell | undefined, ma: Matrix, mb: Matrix | null) {
    const part = (name: string, r: typeof ra, c: Cell | undefined) =>
      h(
        'div',
        { class: 'cell-detail' },
        h('b', {}, name),
        ': ',
        c ? (c.allowed ? h('span', { class: 'ok' }, 'accepted') : h('span', { class: 'err' }, `${c.error?.class}: ${c.error?.desc}`)) : 'no such state or command',
        c?.ref ? h('div', {}, 'QEMU: ', h('code', { class: 'ref' }, c.ref), c.rule ? ` [${c.rule}]` : '') : null,
        c?.dependsOn ? h('div', {}, 'with other capabilities: ', c.dependsOn.map((d) => `[${d.caps.join(', ')}] ${d.allowed ? 'accepted' : d.error?.desc}`).join('; ')) : null,
        r ? h('div', { class: 'note' }, `reached with ${r.caps.length ? r.caps.join(', ') : 'default capabilities'} by: ${r.path.join(' → ') || '(start)'}`) : null,
      );
    this.detail.replaceChildren(h('div', {}, h('code', {}, label), ' in ', h('code', {}, key)), part(ma.profile, ra, ca), mb ? part(mb.profile, rb, cb) : '');
  }

  private navigate(e: KeyboardEvent) {
    const btn = (e.target as Element).closest('button.cellbtn') as HTMLButtonElement | null;
    if (!btn) return;
    const td = btn.parentElement as HTMLTableCellElement;
    const tr = td.parentElement as HTMLTableRowElement;
    let target: Element | null | undefined = null;
    if (e.key === 'ArrowRight') target = td.nextElementSibling;
    else if (e.key === 'ArrowLeft') target = td.previousElementSibling;
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const row = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLTableRowElement | null;
      target = row?.cells[td.cellIndex];
    }
    const next = target?.querySelector('button.cellbtn') as HTMLButtonElement | null;
    if (next) {
      e.preventDefault();
      btn.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  }
}
