// QEMU's migration tests against migstate (qemu/qtest-coverage.ts): every case once, the counts the
// inventory found, and every reference resolving to a scenario or capability set that exists, so a
// case called covered cannot name a scenario that was renamed or never written. Prints the table.
import { afterAll, describe, expect, it } from 'vitest';
import { CAP_VARIANTS, getProfile, profileNames } from '../machines/index.ts';
import { allScenarios } from './scenarios.ts';
import { KVM_SCENARIOS, SCENARIOS, scenarioNames } from '../qemu/scenarios.ts';
import { scenarioPlaysOn } from '../qemu/conformance.ts';
import { QTEST_CASES, qtestCoverageCounts, type CoverRef, type QtestCase } from '../qemu/qtest-coverage.ts';
import { qtestCoverageMarkdown } from '../cli/docs/qtest-coverage.ts';

afterAll(() => {
  const rows = qtestCoverageCounts().map((c) => `${c.family.padEnd(24)} ${String(c.total).padStart(5)} ${String(c.covered).padStart(8)} ${String(c.partly).padStart(7)} ${String(c.not).padStart(4)}`);
  console.log(`\nQEMU migration tests (family, total, covered, partly, not):\n${'family'.padEnd(24)} total  covered  partly  not\n${rows.join('\n')}`);
});

const modelNames = new Map<string, Set<string>>();
function modelScenarioNames(profile: string): Set<string> {
  let s = modelNames.get(profile);
  if (!s) modelNames.set(profile, (s = new Set(allScenarios(getProfile(profile)).map((x) => x.name))));
  return s;
}
const conformance = new Set(scenarioNames());
const conformanceByName = new Map([...SCENARIOS, ...KVM_SCENARIOS].map((s) => [s.name, s]));

/** Why a reference does not resolve for this case, or null. */
function unresolved(c: QtestCase, r: CoverRef): string | null {
  if ('model' in r) return modelScenarioNames(c.profile).has(r.model) ? null : `no model scenario '${r.model}' under ${c.profile}`;
  if ('conformance' in r) {
    if (!conformance.has(r.conformance)) return `no conformance scenario '${r.conformance}'`;
    // A case read on a released binary's profile must name conformance scenarios played on it.
    if (c.profile === 'qemu-7.2' || c.profile === 'qemu-10.0')
      return scenarioPlaysOn(conformanceByName.get(r.conformance)!, c.profile) ? null : `conformance '${r.conformance}' is not played on ${c.profile}`;
    return null;
  }
  const variant = CAP_VARIANTS.find((v) => v.length === r.paths.length && v.every((x, i) => x === r.paths[i]));
  if (!variant) return `paths [${r.paths.join(',')}] is not a CAP_VARIANTS entry`;
  // the generated paths explore a capability set only where the profile has every capability in it
  return variant.every((x) => getProfile(c.profile).capabilities.includes(x)) ? null : `${c.profile} lacks a capability of [${r.paths.join(',')}]`;
}

describe('qtest coverage table', () => {
  it('every case has a unique path', () => {
    const seen = new Set<string>();
    const dup = QTEST_CASES.filter((c) => (seen.has(c.path) ? true : (seen.add(c.path), false))).map((c) => c.path);
    expect(dup).toEqual([]);
  });

  it('102 qtest cases and 15 functional test methods', () => {
    expect(QTEST_CASES.filter((c) => c.source === 'qtest').length).toBe(102);
    expect(QTEST_CASES.filter((c) => c.source === 'functional').length).toBe(15);
  });

  it('every case is read under a profile that exists', () => {
    const names = profileNames();
    expect(QTEST_CASES.filter((c) => !names.includes(c.profile)).map((c) => `${c.path}: ${c.profile}`)).toEqual([]);
  });

  it("every covered or partly case has a reference; a 'not' case has none", () => {
    expect(QTEST_CASES.filter((c) => c.coverage !== 'not' && c.covers.length === 0).map((c) => c.path)).toEqual([]);
    expect(QTEST_CASES.filter((c) => c.coverage === 'not' && c.covers.length > 0).map((c) => c.path)).toEqual([]);
  });

  it('every reference resolves: model scenarios under the profile, conformance scenarios, CAP_VARIANTS entries', () => {
    const bad = QTEST_CASES.flatMap((c) => c.covers.map((r) => unresolved(c, r)).filter((x) => x !== null).map((x) => `${c.path} (${c.coverage}): ${x}`));
    expect(bad).toEqual([]);
  });

  it('a covered case that names a scenario that does not exist fails the check', () => {
    const c = QTEST_CASES.find((x) => x.coverage === 'covered' && x.covers.some((r) => 'model' in r))!;
    expect(unresolved(c, { model: 'no such scenario' })).toMatch(/no model scenario/);
    expect(unresolved(c, { conformance: 'no-such-scenario' })).toMatch(/no conformance scenario/);
    expect(unresolved(c, { paths: ['multifd', 'postcopy-ram'] })).toMatch(/not a CAP_VARIANTS entry/);
  });

  it('every case not covered says what is missing', () => {
    expect(QTEST_CASES.filter((c) => c.coverage !== 'covered' && !c.missing?.trim()).map((c) => c.path)).toEqual([]);
  });

  it('the page has the summary and one row per case', () => {
    const md = qtestCoverageMarkdown();
    expect(md).toContain('| family | total | covered | partly | not |');
    expect(md).toContain('model-tests/qtest-coverage.test.ts');
    const rows = md.split('\n').filter((l) => /^\| `[^`]+` \| /.test(l));
    expect(rows.length).toBe(QTEST_CASES.length);
  });
});
