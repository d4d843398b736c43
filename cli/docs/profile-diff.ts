// The difference between two profiles, computed from their data (never written by hand): statuses,
// capabilities and commands added or removed; chart transitions added or removed (the edges the
// charts draw, each with its QEMU reference); commands newly allowed or blocked (the permission
// matrices of both profiles compared cell by cell, state by state); and the rows of the rule table
// and of the internal transitions that were added, removed or changed. Pure: returns Markdown.
import {
  chartEdges, coloChart, destinationStatusChart, failoverChart, permissionMatrix, returnPathChart, runStateChart, sourceStatusChart,
  type Cell, type ChartEdge, type ChartSpec, type Profile, type Side,
} from '../../machines/index.ts';
import { byText, cell, code, condText, outcomeText, transitionText } from './text.ts';

const SIDES: readonly Side[] = ['source', 'destination'];

/** The charts of one side of a profile, in the order the side machine has them. */
export function chartSpecs(p: Profile, side: Side): ChartSpec[] {
  return [
    side === 'source' ? sourceStatusChart(p) : destinationStatusChart(p),
    runStateChart(p, side, side === 'source' ? 'running' : 'inmigrate'),
    coloChart(p, side),
    failoverChart(p, side),
    returnPathChart(p, side),
  ];
}

const edgeKey = (e: ChartEdge) => `${e.chart}|${e.from}|${e.to}|${e.meta.label}|${e.meta.rule ?? e.meta.transition ?? ''}`;
const byWhat = (e: ChartEdge) => e.meta.rule ?? e.meta.transition ?? '';

function setDiff<T>(a: readonly T[], b: readonly T[]): { added: T[]; removed: T[] } {
  return { added: b.filter((x) => !a.includes(x)), removed: a.filter((x) => !b.includes(x)) };
}

const names = (xs: readonly string[]) => (xs.length ? xs.map(code).join(', ') : '—');

interface Change {
  side: Side;
  command: string;
  kind: 'newly allowed' | 'newly blocked' | 'other error';
  states: string[];
  a: Cell;
  b: Cell;
}

function answer(c: Cell): string {
  return c.allowed ? 'accepted' : `${c.error!.class}: ${c.error!.desc}`;
}

/** Cells of the two matrices for the states both profiles reach, grouped by what changed. */
function commandChanges(a: Profile, b: Profile, side: Side): { changes: Change[]; onlyA: string[]; onlyB: string[] } {
  const ma = permissionMatrix(a, side);
  const mb = permissionMatrix(b, side);
  const rowsA = new Map(ma.rows.map((r) => [r.key, r]));
  const rowsB = new Map(mb.rows.map((r) => [r.key, r]));
  const colA = new Map(ma.columns.map((c, i) => [c.label, i]));
  const groups = new Map<string, Change>();
  for (const rb of mb.rows) {
    const ra = rowsA.get(rb.key);
    if (!ra) continue;
    mb.columns.forEach((col, j) => {
      const i = colA.get(col.label);
      if (i === undefined) return;
      const ca = ra.cells[i];
      const cb = rb.cells[j];
      let kind: Change['kind'] | null = null;
      if (!ca.allowed && cb.allowed) kind = 'newly allowed';
      else if (ca.allowed && !cb.allowed) kind = 'newly blocked';
      else if (!ca.allowed && !cb.allowed && (ca.error!.desc !== cb.error!.desc || ca.error!.class !== cb.error!.class)) kind = 'other error';
      if (!kind) return;
      const k = JSON.stringify([col.label, kind, cb.rule, cb.error, ca.rule, ca.error]);
      const g = groups.get(k);
      if (g) g.states.push(rb.key);
      else groups.set(k, { side, command: col.label, kind, states: [rb.key], a: ca, b: cb });
    });
  }
  return {
    changes: [...groups.values()],
    onlyA: ma.rows.filter((r) => !rowsB.has(r.key)).map((r) => r.key),
    onlyB: mb.rows.filter((r) => !rowsA.has(r.key)).map((r) => r.key),
  };
}

function rowDiff<T extends { id: string }>(a: readonly T[], b: readonly T[]): { added: T[]; removed: T[]; changed: { before: T; after: T; fields: string[] }[] } {
  const ia = new Map(a.map((x) => [x.id, x]));
  const ib = new Map(b.map((x) => [x.id, x]));
  const changed: { before: T; after: T; fields: string[] }[] = [];
  for (const x of b) {
    const y = ia.get(x.id);
    if (!y || JSON.stringify(x) === JSON.stringify(y)) continue;
    const keys = [...new Set([...Object.keys(y), ...Object.keys(x)])];
    const fields = keys.filter((k) => JSON.stringify((y as Record<string, unknown>)[k]) !== JSON.stringify((x as Record<string, unknown>)[k]));
    changed.push({ before: y, after: x, fields });
  }
  return { added: b.filter((x) => !ia.has(x.id)), removed: a.filter((x) => !ib.has(x.id)), changed };
}

/** The Markdown document: what changes from profile `a` to profile `b`. */
export function profileDiffMarkdown(a: Profile, b: Profile): string {
  const L: string[] = [];
  L.push(`# Profile diff: ${a.name} → ${b.name}`, '');
  L.push(`From **${a.title}** (${a.qemuVersion}) to **${b.title}** (${b.qemuVersion}).`);
  L.push(`${b.name}${b.base ? ` is written as a delta on ${b.base}` : ' is written out in full'}; this page is computed from the two profiles' data`);
  L.push('(statuses, rule tables, chart transitions, permission matrices), so it is as current as the model. Every change names');
  L.push(`the QEMU function behind it as ${b.name} cites it.`, '');

  // ---- statuses, capabilities, commands
  L.push('## Statuses, capabilities and commands', '');
  L.push('| what | added | removed |', '|---|---|---|');
  for (const side of SIDES) {
    const d = setDiff(a.statuses[side], b.statuses[side]);
    L.push(`| ${side} statuses | ${names(d.added)} | ${names(d.removed)} |`);
  }
  const caps = setDiff(a.capabilities, b.capabilities);
  L.push(`| capabilities | ${names(caps.added)} | ${names(caps.removed)} |`);
  const cmds = setDiff(a.commands, b.commands);
  L.push(`| modelled commands | ${names(cmds.added)} | ${names(cmds.removed)} |`);
  const absent = setDiff(a.absentCommands, b.absentCommands);
  L.push(`| commands QEMU lacks (CommandNotFound) | ${names(absent.added)} | ${names(absent.removed)} |`);
  const conf = rowDiff(a.capConflicts, b.capConflicts);
  L.push(`| capability conflicts (migrate_caps_check) | ${names([...conf.added, ...conf.changed.map((c) => c.after)].map((c) => c.id))} | ${names(conf.removed.map((c) => c.id))} |`);
  const argsChanged = [...new Set([...Object.keys(a.commandArgs), ...Object.keys(b.commandArgs)])]
    .filter((k) => JSON.stringify(a.commandArgs[k] ?? null) !== JSON.stringify(b.commandArgs[k] ?? null))
    .sort(byText);
  if (argsChanged.length) {
    L.push('', 'Command arguments (QAPI schema):', '');
    for (const k of argsChanged) L.push(`- ${code(k)}: ${(a.commandArgs[k] ?? []).join(', ') || '—'} → ${(b.commandArgs[k] ?? []).join(', ') || '—'}`);
  }
  L.push('');

  // ---- commands newly allowed or blocked
  L.push('## Commands newly allowed or blocked', '');
  L.push(`Each command (as the permission matrix probes it) in each state both profiles reach, with the default`);
  L.push('capabilities or the first capability set that reaches the state. The rule and reference are the ones');
  L.push(`that decide in ${b.name}; "was" is the rule that decided in ${a.name}.`, '');
  for (const side of SIDES) {
    const { changes, onlyA, onlyB } = commandChanges(a, b, side);
    L.push(`### ${side}`, '');
    if (!changes.length) L.push('No command changes its answer in a state both profiles reach.', '');
    else {
      L.push(`| command | change | in states (status / run state${side === 'destination' ? ' / listener' : ''}) | ${b.name} answers | ${b.name} rule: QEMU reference | was (${a.name}) |`);
      L.push('|---|---|---|---|---|---|');
      const order: Change['kind'][] = ['newly blocked', 'newly allowed', 'other error'];
      changes.sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind));
      for (const c of changes)
        L.push(
          `| ${code(c.command)} | ${c.kind} | ${cell(c.states.join('; '))} | ${cell(answer(c.b))} | ${c.b.rule ? `${code(c.b.rule)}: ${cell(c.b.ref ?? '')}` : '—'} | ${c.a.rule ? code(c.a.rule) : '—'}: ${cell(answer(c.a))} |`,
        );
      L.push('');
    }
    if (onlyB.length) L.push(`States only ${b.name} reaches: ${onlyB.map(code).join(', ')}.`, '');
    if (onlyA.length) L.push(`States only ${a.name} reaches: ${onlyA.map(code).join(', ')}.`, '');
  }

  // ---- chart transitions
  L.push('## Chart transitions added or removed', '');
  L.push('The edges of the charts (what the diagrams draw): a QMP command or an internal event moving a chart from one');
  L.push('state to another. An edge whose rule or transition only changed its condition is listed further down.', '');
  for (const side of SIDES) {
    const ea = chartSpecs(a, side).flatMap((s) => chartEdges(a, s));
    const eb = chartSpecs(b, side).flatMap((s) => chartEdges(b, s));
    const ka = new Map(ea.map((e) => [edgeKey(e), e]));
    const kb = new Map(eb.map((e) => [edgeKey(e), e]));
    const rows: string[] = [];
    const row = (sign: string, e: ChartEdge) =>
      rows.push(`| ${sign} | ${e.chart} | ${code(e.from)} | ${code(e.to)} | ${e.meta.kind === 'qmp' ? code(e.meta.label) : `(${e.meta.label})`} | ${code(byWhat(e))} | ${cell(e.meta.ref)} |`);
    for (const e of eb) if (!ka.has(edgeKey(e))) row('added', e);
    for (const e of ea) if (!kb.has(edgeKey(e))) row('removed', e);
    for (const e of eb) {
      const old = ka.get(edgeKey(e));
      if (old && old.meta.ref !== e.meta.ref) row('new reference', e);
    }
    L.push(`### ${side}`, '');
    if (!rows.length) L.push('No chart edge added or removed.', '');
    else L.push('| change | chart | from | to | on | rule / transition | QEMU reference |', '|---|---|---|---|---|---|---|', ...rows, '');
  }

  // ---- the data behind it
  L.push('## Rule table rows added, removed or changed', '');
  const rules = rowDiff(a.rules, b.rules);
  if (!rules.added.length && !rules.removed.length && !rules.changed.length) L.push('The rule tables are the same.', '');
  else {
    L.push('| change | rule | side | command | when | outcome | QEMU reference |', '|---|---|---|---|---|---|---|');
    for (const r of rules.added) L.push(`| added | ${code(r.id)} | ${r.side} | ${code(r.command)} | ${cell(condText(r.when))} | ${cell(outcomeText(r))} | ${cell(r.ref)} |`);
    for (const { after: r, fields } of rules.changed)
      L.push(`| changed (${fields.join(', ')}) | ${code(r.id)} | ${r.side} | ${code(r.command)} | ${cell(condText(r.when))} | ${cell(outcomeText(r))} | ${cell(r.ref)} |`);
    for (const r of rules.removed) L.push(`| removed | ${code(r.id)} | ${r.side} | ${code(r.command)} | ${cell(condText(r.when))} | ${cell(outcomeText(r))} | ${cell(r.ref)} |`);
    L.push('');
  }
  L.push('## Internal transitions added, removed or changed', '');
  const ts = rowDiff(a.transitions, b.transitions);
  if (!ts.added.length && !ts.removed.length && !ts.changed.length) L.push('The internal transitions are the same.', '');
  else {
    L.push('| change | transition | event | chart: from → to | when | QEMU reference |', '|---|---|---|---|---|---|');
    for (const t of ts.added) L.push(`| added | ${code(t.id)} | ${code(t.event)} | ${cell(transitionText(t))} | ${cell(condText(t.when))} | ${cell(t.ref)} |`);
    for (const { after: t, fields } of ts.changed)
      L.push(`| changed (${fields.join(', ')}) | ${code(t.id)} | ${code(t.event)} | ${cell(transitionText(t))} | ${cell(condText(t.when))} | ${cell(t.ref)} |`);
    for (const t of ts.removed) L.push(`| removed | ${code(t.id)} | ${code(t.event)} | ${cell(transitionText(t))} | ${cell(condText(t.when))} | ${cell(t.ref)} |`);
    L.push('');
  }
  return L.join('\n');
}
