// The permission matrix: for each reachable state of a side (status, run state, and on the
// destination whether it listens) and each QMP command, QEMU's answer. Rows come from the default
// capabilities where possible; a state only some capability reaches says which. A cell whose answer
// changes with the capabilities lists the alternatives.
import type { Profile, SideState } from './profile.ts';
import { answer, exploreSide, matrixProbes, type Probe, type Reached } from './explore.ts';
import { fastStep } from './fast-step.ts';
import { monitorUp, startSide } from './side.ts';
import type { QmpError, Side } from './vocabulary.ts';

/** Capability sets tried, in order: the first that reaches a state names its row. */
export const CAP_VARIANTS: readonly (readonly string[])[] = [
  [],
  ['pause-before-switchover'],
  ['postcopy-ram'],
  ['x-colo'],
  ['return-path', 'x-colo'],
  ['release-ram', 'postcopy-ram'],
  ['events'],
  ['multifd'],
  // libvirt's postcopy: it sets pause-before-switchover for every migration (postcopy_start then
  // waits in pre-switchover for migrate-continue).
  ['pause-before-switchover', 'postcopy-ram'],
];

export interface Cell {
  allowed: boolean;
  error: QmpError | null;
  rule: string | null;
  ref: string | null;
  /** Present when other capability sets that reach this row answer differently. */
  dependsOn?: { caps: readonly string[]; allowed: boolean; error: QmpError | null }[];
}

export interface MatrixRow {
  key: string;
  status: string;
  runstate: string;
  listening?: boolean;
  /** The capabilities this row was reached with (the first variant that reaches it). */
  caps: readonly string[];
  /** The shortest path to it, as event labels. */
  path: string[];
  cells: Cell[];
}

export interface Matrix {
  profile: string;
  side: Side;
  columns: Probe[];
  rows: MatrixRow[];
}

function rowKey(r: Reached): string {
  return stateRowKey(r.context);
}
function stateRowKey(c: SideState): string {
  return c.side === 'destination' ? `${c.status} / ${c.runstate} / ${c.listening ? 'listening' : 'not listening'}` : `${c.status} / ${c.runstate}`;
}

export function eventLabel(e: Reached['path'][number]): string {
  if (e.type !== 'qmp') return e.type;
  return e.arguments ? `${e.command} ${JSON.stringify(e.arguments)}` : e.command;
}

function cellOf(p: Profile, r: Reached, probe: Probe): Cell {
  const d = answer(p, r, probe.command, probe.arguments ?? {});
  return d.allowed
    ? { allowed: true, error: null, rule: d.rule.id, ref: d.rule.ref }
    : { allowed: false, error: d.error, rule: d.rule?.id ?? null, ref: d.rule?.ref ?? null };
}

const cache = new WeakMap<Profile, Map<Side, Matrix>>();
/** The state each row was reached in (its first variant): beside the row, not in it, so the matrix's JSON and the docs stay as they are. */
const rowReached = new WeakMap<MatrixRow, Reached>();

export function permissionMatrix(p: Profile, side: Side): Matrix {
  let m = cache.get(p);
  if (!m) cache.set(p, (m = new Map()));
  const hit = m.get(side);
  if (hit) return hit;
  const columns = matrixProbes(p);
  // Per row key, the first state reached under each variant.
  const byKey = new Map<string, { caps: readonly string[]; reached: Reached }[]>();
  const order: string[] = [];
  for (const caps of CAP_VARIANTS) {
    if (!caps.every((c) => p.capabilities.includes(c))) continue;
    const seenHere = new Set<string>();
    for (const r of exploreSide(p, side, caps)) {
      // A process with no monitor yet (-incoming cpr) answers no command: not a row.
      if (!monitorUp(r.context)) continue;
      const k = rowKey(r);
      if (seenHere.has(k)) continue;
      seenHere.add(k);
      if (!byKey.has(k)) {
        byKey.set(k, []);
        order.push(k);
      }
      byKey.get(k)!.push({ caps, reached: r });
    }
  }
  const statusOrder = p.statuses[side];
  order.sort((a, b) => statusOrder.indexOf(a.split(' / ')[0] as never) - statusOrder.indexOf(b.split(' / ')[0] as never));
  const rows: MatrixRow[] = order.map((k) => {
    const variants = byKey.get(k)!;
    const first = variants[0];
    const c = first.reached.context;
    const cells = columns.map((probe) => {
      const cell = cellOf(p, first.reached, probe);
      const others = variants
        .slice(1)
        .map((v) => ({ caps: v.caps, cell: cellOf(p, v.reached, probe) }))
        .filter((o) => o.cell.allowed !== cell.allowed || o.cell.error?.desc !== cell.error?.desc);
      if (others.length) cell.dependsOn = others.map((o) => ({ caps: o.caps, allowed: o.cell.allowed, error: o.cell.error }));
      return cell;
    });
    const row: MatrixRow = {
      key: k,
      status: c.status,
      runstate: c.runstate,
      ...(side === 'destination' ? { listening: c.listening } : {}),
      caps: first.caps,
      path: first.reached.path.map(eventLabel),
      cells,
    };
    rowReached.set(row, first.reached);
    return row;
  });
  const out = { profile: p.name, side, columns, rows };
  m.set(side, out);
  return out;
}

/** Markdown rendering: cells are ✓ or an error number; the errors and capability notes follow. */
export function matrixMarkdown(mx: Matrix): string {
  const errors: string[] = [];
  const errNo = (e: QmpError) => {
    const s = `${e.class}: ${e.desc}`;
    let i = errors.indexOf(s);
    if (i < 0) i = errors.push(s) - 1;
    return `E${i + 1}`;
  };
  const notes: string[] = [];
  const lines: string[] = [];
  lines.push(`### ${mx.profile}: ${mx.side}`, '');
  lines.push(`| state (status / run state${mx.side === 'destination' ? ' / listener' : ''}) | reached with | ${mx.columns.map((c) => `\`${c.label}\``).join(' | ')} |`);
  lines.push(`|---|---|${mx.columns.map(() => '---').join('|')}|`);
  for (const r of mx.rows) {
    const cells = r.cells.map((c, i) => {
      let s = c.allowed ? '✓' : errNo(c.error!);
      if (c.dependsOn) {
        const n = notes.length + 1;
        notes.push(
          `${n}. \`${mx.columns[i].label}\` in ${r.key}: ${c.dependsOn.map((d) => `with [${d.caps.join(', ')}]: ${d.allowed ? 'allowed' : errNo(d.error!)}`).join('; ')}`,
        );
        s += ` †${n}`;
      }
      return s;
    });
    lines.push(`| ${r.key} | ${r.caps.length ? `[${r.caps.join(', ')}]` : 'default'} | ${cells.join(' | ')} |`);
  }
  lines.push('', '✓ accepted. Errors:', '');
  errors.forEach((e, i) => lines.push(`- E${i + 1}: ${e}`));
  if (notes.length) lines.push('', 'Cells that depend on capabilities (†):', '', ...notes);
  return lines.join('\n') + '\n';
}

// ---- the diff between two profiles' matrices ------------------------------------------------------

/**
 * How a cell changes from profile A to profile B: a permission flip (accepted in one, refused in the
 * other), a wording change (refused in both, with another error class or message), the same answer,
 * or no counterpart (the row or the column exists in one profile only).
 */
export type CellChange = 'flip-refused' | 'flip-accepted' | 'wording' | 'same' | 'only';
export const CELL_CHANGES: readonly CellChange[] = ['flip-refused', 'flip-accepted', 'wording', 'same', 'only'];

export function classifyCell(a: Cell | undefined, b: Cell | undefined): CellChange {
  if (!a || !b) return 'only';
  if (a.allowed !== b.allowed) return a.allowed ? 'flip-refused' : 'flip-accepted';
  if (a.allowed) return 'same';
  return a.error?.class === b.error?.class && a.error?.desc === b.error?.desc ? 'same' : 'wording';
}

/**
 * Two rows lined up: `state` when both profiles have a row for the same status, run state and
 * listener; `path` when the steps that reach A's row (or B's) reach the other's row in the other
 * profile, in the same run state and listener under another status (qemu-7.2 listens in status
 * none, proposed in setup);
 * `only` when one side has none.
 */
export interface DiffRow {
  a: number | null;
  b: number | null;
  match: 'state' | 'path' | 'only';
}
export interface DiffColumn {
  label: string;
  a: number | null;
  b: number | null;
}
export interface MatrixDiff {
  side: Side;
  a: Matrix;
  b: Matrix;
  columns: DiffColumn[];
  rows: DiffRow[];
  /** Per row, per column of this diff. */
  changes: CellChange[][];
  counts: Record<CellChange, number>;
}

/**
 * Whether two rows the same steps reach are one state under another status name: the run state and
 * the listener agree. Steps that end in another run state reach a different situation (a source
 * still running in 7.2's postcopy is finishing in proposed's), which stays two rows.
 */
const renamed = (x: MatrixRow, y: MatrixRow) => x.runstate === y.runstate && x.listening === y.listening;

/** The row key of the state that `r`'s start and steps lead to in profile `p` (a step `p` refuses or ignores moves nothing). */
function replayedKey(p: Profile, r: Reached): string {
  let c = startSide(p, r.start).context;
  for (const e of r.path) {
    const next = fastStep(p, c, e);
    if (next && next.side === c.side) c = next;
  }
  return stateRowKey(c);
}

/**
 * The permission matrices of two profiles on one side, rows lined up by what the state is (status,
 * run state, listener) and, for a state one profile names differently, by the steps that reach it;
 * every cell classified. The answers are each profile's own matrix cells (permissionMatrix).
 */
export function matrixDiff(pa: Profile, pb: Profile, side: Side): MatrixDiff {
  const a = permissionMatrix(pa, side);
  const b = permissionMatrix(pb, side);
  const columns: DiffColumn[] = a.columns.map((c, i) => ({ label: c.label, a: i, b: null }));
  const colIdx = new Map(columns.map((c, i) => [c.label, i]));
  b.columns.forEach((c, i) => {
    const at = colIdx.get(c.label);
    if (at !== undefined) columns[at].b = i;
    else columns.push({ label: c.label, a: null, b: i });
  });
  const bByKey = new Map(b.rows.map((r, i) => [r.key, i]));
  const aByKey = new Map(a.rows.map((r, i) => [r.key, i]));
  const pairOfA = new Map<number, { b: number; match: 'state' | 'path' }>();
  const takenB = new Set<number>();
  a.rows.forEach((r, i) => {
    const j = bByKey.get(r.key);
    if (j !== undefined) (pairOfA.set(i, { b: j, match: 'state' }), takenB.add(j));
  });
  // States one profile names differently: where A's steps lead in B, and B's in A.
  a.rows.forEach((r, i) => {
    if (pairOfA.has(i)) return;
    const j = bByKey.get(replayedKey(pb, rowReached.get(r)!));
    if (j !== undefined && !takenB.has(j) && renamed(r, b.rows[j])) (pairOfA.set(i, { b: j, match: 'path' }), takenB.add(j));
  });
  const takenA = new Set(pairOfA.keys());
  b.rows.forEach((r, j) => {
    if (takenB.has(j)) return;
    const i = aByKey.get(replayedKey(pa, rowReached.get(r)!));
    if (i !== undefined && !takenA.has(i) && renamed(a.rows[i], r)) (pairOfA.set(i, { b: j, match: 'path' }), takenA.add(i), takenB.add(j));
  });
  const rows: DiffRow[] = a.rows.map((_, i) => {
    const m = pairOfA.get(i);
    return m ? { a: i, b: m.b, match: m.match } : { a: i, b: null, match: 'only' };
  });
  b.rows.forEach((_, j) => {
    if (!takenB.has(j)) rows.push({ a: null, b: j, match: 'only' });
  });
  const counts = Object.fromEntries(CELL_CHANGES.map((k) => [k, 0])) as Record<CellChange, number>;
  const changes = rows.map((r) =>
    columns.map((c) => {
      const ca = r.a !== null && c.a !== null ? a.rows[r.a].cells[c.a] : undefined;
      const cb = r.b !== null && c.b !== null ? b.rows[r.b].cells[c.b] : undefined;
      const k = classifyCell(ca, cb);
      counts[k]++;
      return k;
    }),
  );
  return { side, a, b, columns, rows, changes, counts };
}
