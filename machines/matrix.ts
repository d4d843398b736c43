// The permission matrix: for each reachable state of a side (status, run state, and on the
// destination whether it listens) and each QMP command, QEMU's answer. Rows come from the default
// capabilities where possible; a state only some capability reaches says which. A cell whose answer
// changes with the capabilities lists the alternatives.
import type { Profile } from './profile.ts';
import { answer, exploreSide, matrixProbes, type Probe, type Reached } from './explore.ts';
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
  const c = r.context;
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
    return {
      key: k,
      status: c.status,
      runstate: c.runstate,
      ...(side === 'destination' ? { listening: c.listening } : {}),
      caps: first.caps,
      path: first.reached.path.map(eventLabel),
      cells,
    };
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
