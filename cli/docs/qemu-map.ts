// The QEMU map: every command rule and internal transition of every profile, every synchronised step
// of the pair and every transition of the channel, listed under the QEMU source file and function it
// cites (the `ref` the model keeps on each row). A row that several profiles share is listed once,
// with the profiles that have it. Pure: returns Markdown.
import { PROFILES, SYNC, type Profile } from '../../machines/index.ts';
import { channelDiagram } from '../../diagrams/charts.ts';
import { byText, cell, code, condText, outcomeText, refParts, transitionText } from './text.ts';

interface MapRow {
  kind: 'rule' | 'transition' | 'pair step' | 'channel';
  id: string;
  side: string;
  on: string;
  when: string;
  does: string;
  ref: string;
}

function rowsOf(p: Profile): MapRow[] {
  const out: MapRow[] = [];
  for (const r of p.rules)
    out.push({ kind: 'rule', id: r.id, side: r.side, on: r.command, when: condText(r.when), does: outcomeText(r) + (r.note ? ` — ${r.note}` : ''), ref: r.ref });
  for (const t of p.transitions)
    out.push({
      kind: 'transition', id: t.id, side: t.side ?? (t.chart === 'source-status' ? 'source' : 'destination'), on: `(${t.event})`,
      when: condText(t.when), does: transitionText(t) + (t.note ? ` — ${t.note}` : ''), ref: t.ref,
    });
  return out;
}

function sharedRows(): MapRow[] {
  const out: MapRow[] = [];
  for (const s of SYNC)
    out.push({
      kind: 'pair step', id: s.name, side: [...new Set(s.steps.map((x) => x.vm))].join(' + '), on: s.steps.map((x) => `(${x.event})`).join(' + '),
      when: s.channelIn ? `channel ${s.channelIn.join('|')}` : 'always', does: `synchronised step${s.channel ? `; channel ${s.channel}` : ''}`, ref: s.ref,
    });
  const d = channelDiagram();
  for (const e of d.edges)
    for (const t of e.transitions)
      out.push({ kind: 'channel', id: `${e.source}→${e.target}`, side: 'channel', on: `(${t.label})`, when: 'always', does: `channel: ${e.source} → ${e.target}`, ref: String(t.meta.ref ?? '') });
  return out;
}

export function qemuMapMarkdown(profiles: readonly Profile[] = PROFILES): string {
  // One entry per distinct row, with the profiles that have it ('all' for the shared ones).
  const entries = new Map<string, { row: MapRow; profiles: string[] }>();
  for (const p of profiles)
    for (const row of rowsOf(p)) {
      const k = JSON.stringify(row);
      const e = entries.get(k);
      if (e) e.profiles.push(p.name);
      else entries.set(k, { row, profiles: [p.name] });
    }
  for (const row of sharedRows()) entries.set(JSON.stringify(row), { row, profiles: profiles.map((p) => p.name) });

  const byFile = new Map<string, Map<string, { row: MapRow; profiles: string[] }[]>>();
  for (const e of entries.values()) {
    const { file, fn } = refParts(e.row.ref);
    let fns = byFile.get(file);
    if (!fns) byFile.set(file, (fns = new Map()));
    fns.set(fn, [...(fns.get(fn) ?? []), e]);
  }
  const files = [...byFile.keys()].sort(byText);
  const all = profiles.map((p) => p.name).join(',');
  const L: string[] = [];
  L.push('# The QEMU functions the model cites', '');
  L.push('Every command rule and internal transition of every profile, every synchronised step of the pair and every');
  L.push('transition of the migration channel, under the QEMU source file and function its reference names (the first');
  L.push('function of the reference; the full reference is in the last column: `a -> b` is a call chain, parentheses say which');
  L.push('check). A row shared by profiles is listed once; "profiles" says which have it. How to read it: `docs/qemu-map.md`.', '');
  L.push(`${entries.size} distinct rows; rules per profile: ${profiles.map((p) => `${p.name} ${p.rules.length}`).join(', ')}; internal transitions per profile: ${profiles.map((p) => `${p.name} ${p.transitions.length}`).join(', ')}.`, '');
  L.push('| file | functions | rows |', '|---|---|---|');
  for (const f of files) {
    const fns = byFile.get(f)!;
    L.push(`| [${cell(f)}](#${anchor(f)}) | ${fns.size} | ${[...fns.values()].reduce((n, xs) => n + xs.length, 0)} |`);
  }
  L.push('');
  for (const f of files) {
    L.push(`## ${f}`, '');
    const fns = byFile.get(f)!;
    for (const fn of [...fns.keys()].sort(byText)) {
      L.push(`### ${fn}`, '');
      L.push('| kind | id | side | on | when | does | profiles | reference |', '|---|---|---|---|---|---|---|---|');
      for (const { row: r, profiles: ps } of fns.get(fn)!)
        L.push(`| ${r.kind} | ${code(r.id)} | ${r.side} | ${code(r.on)} | ${cell(r.when)} | ${cell(r.does)} | ${ps.join(',') === all ? 'all' : ps.join(', ')} | ${cell(r.ref)} |`);
      L.push('');
    }
  }
  return L.join('\n');
}

/** The anchor GitHub-style Markdown renderers give a heading. */
export function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 _-]/g, '').replace(/ /g, '-');
}
