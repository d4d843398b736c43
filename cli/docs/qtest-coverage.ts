// QEMU's migration tests against migstate, as a page: qemu/qtest-coverage.ts rendered as a summary
// per family and one row per test case. Pure: returns Markdown.
import { QTEST_CASES, qtestCoverageCounts, type CoverRef, type FamilyCount } from '../../qemu/qtest-coverage.ts';
import { cell, code } from './text.ts';

/** A reference in one cell: what kind it is, then the name (paths: the capability set). */
export function coverRefText(r: CoverRef): string {
  if ('model' in r) return `model ${code(r.model)}`;
  if ('conformance' in r) return `conformance ${code(r.conformance)}`;
  return `paths ${r.paths.length ? code(r.paths.join(',')) : '(no capabilities)'}`;
}

function countRow(c: FamilyCount, bold = false): string {
  const b = (x: string | number) => (bold ? `**${x}**` : String(x));
  return `| ${b(c.family)} | ${b(c.total)} | ${b(c.covered)} | ${b(c.partly)} | ${b(c.not)} |`;
}

function sum(family: string, cs: FamilyCount[]): FamilyCount {
  return cs.reduce((a, c) => ({ family, total: a.total + c.total, covered: a.covered + c.covered, partly: a.partly + c.partly, not: a.not + c.not }), { family, total: 0, covered: 0, partly: 0, not: 0 });
}

export function qtestCoverageMarkdown(): string {
  const counts = qtestCoverageCounts();
  const qtestFamilies = new Set(QTEST_CASES.filter((c) => c.source === 'qtest').map((c) => c.family));
  const L: string[] = ['# QEMU migration tests: what migstate covers', ''];
  L.push(
    `Every migration test QEMU has (${QTEST_CASES.filter((c) => c.source === 'qtest').length} qtest cases in \`tests/qtest/migration/\` and ` +
      `${QTEST_CASES.filter((c) => c.source === 'functional').length} functional test methods), with the migstate scenarios that exercise it and ` +
      'what the model lacks where they do not. **covered**: every QMP step of the case and its expected outcome is exercised by the ' +
      'references taken together (a step that only sets a capability or parameter the model accepts and no modelled step reads counts); ' +
      '**partly**: the model accepts the sequence but lacks something the case checks, or nothing plays it; **not**: a command, run state ' +
      'or outcome the case needs is not modelled. A reference is a model scenario (`model-tests/scenarios.ts`, run under the profile ' +
      'named), a conformance scenario played on the real QEMU binaries (`qemu/scenarios.ts`), or the generated paths under one ' +
      'capability set (`model-tests/paths.test.ts`). The data is `qemu/qtest-coverage.ts`; `model-tests/qtest-coverage.test.ts` ' +
      'checks that every reference names a scenario or capability set that exists.',
    '',
  );
  L.push('## Per family', '');
  L.push('| family | total | covered | partly | not |', '|---|---|---|---|---|');
  const q = counts.filter((c) => qtestFamilies.has(c.family));
  const f = counts.filter((c) => !qtestFamilies.has(c.family));
  for (const c of q) L.push(countRow(c));
  L.push(countRow(sum('qtest total', q), true));
  for (const c of f) L.push(countRow(c));
  L.push(countRow(sum('all', counts), true), '');
  L.push('## Cases', '');
  L.push('| test | family | coverage | profile | covered by | missing |', '|---|---|---|---|---|---|');
  for (const c of QTEST_CASES)
    L.push(`| ${code(c.path)} | ${cell(c.family)} | ${c.coverage} | ${c.profile} | ${c.covers.map(coverRefText).join('<br>') || '—'} | ${cell(c.missing ?? '')} |`);
  L.push('');
  return L.join('\n');
}
