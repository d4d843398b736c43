// Mutation tests of the trace checker, generated from real traces of the QEMU 7.2 binary committed
// in the repository (the conformance tests run the same over the traces of their own run). Each
// mutation is a change real traffic cannot show, or can show only in a race: the checker must report
// it at the mutated line or at a later line of that process.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../machines/index.ts';
import { checkTraceText } from '../trace/check.ts';
import { expectMutationsCaught, formatMutationReport, mutationReport, mutations } from './mutations.ts';

const ROOT = resolve(import.meta.dirname, '..');
const p72 = getProfile('qemu-7.2');

/** The committed real traces of the 7.2 binary (fixtures and findings). */
function realTraces(): { name: string; text: string }[] {
  const dirs = [join(ROOT, 'model-tests', 'fixtures', 'traces', 'qemu-7.2'), join(ROOT, 'docs', 'findings')];
  return dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.jsonl') && !f.includes('master'))
      .map((f) => ({ name: f, text: readFileSync(join(d, f), 'utf8') })),
  );
}

describe('check-trace: mutations of real 7.2 traces', () => {
  it('builds each kind of mutation from the traces, and at most maxPerKind of a kind from one trace', () => {
    const all = realTraces().flatMap((f) => mutations(f.text));
    expect([...new Set(all.map((m) => m.kind))].sort()).toEqual(['delete-event', 'error-text', 'error-to-return', 'status', 'swap-events']);
    const some = mutations(readFileSync(join(ROOT, 'docs', 'findings', 'precopy-active-probes-complete.jsonl'), 'utf8'), 10);
    expect(some.filter((m) => m.kind === 'status')).toHaveLength(10);
  });

  it('reports every mutation of the committed real traces, at the mutated line or later', { timeout: 300_000 }, () => {
    const files = realTraces();
    expect(files.length).toBeGreaterThanOrEqual(10);
    const r = mutationReport((t) => checkTraceText(p72, t), files);
    console.log(formatMutationReport(r));
    expect(r.traces).toBeGreaterThanOrEqual(8);
    expect(r.made).toBeGreaterThan(300);
    expectMutationsCaught(r);
  });

  it('catches them as well when the processes have names of their own (A and B: the role follows from what each does)', { timeout: 300_000 }, () => {
    const rename = (t: string) => t.replaceAll('"vm":"source"', '"vm":"A"').replaceAll('"vm":"destination"', '"vm":"B"');
    const files = realTraces();
    const named = files.map((f) => ({ name: f.name, text: rename(f.text) }));
    // The same traces conform under either naming.
    for (const [i, f] of files.entries()) expect(checkTraceText(p72, named[i].text).code, f.name).toBe(checkTraceText(p72, f.text).code);
    const fixed = mutationReport((t) => checkTraceText(p72, t), files, 10);
    const free = mutationReport((t) => checkTraceText(p72, t), named, 10);
    console.log('named A and B: ' + formatMutationReport(free));
    expect(free.made).toBe(fixed.made);
    expectMutationsCaught(free);
    // Not knowing the roles costs at most a few racy status mutations.
    expect(free.caught).toBeGreaterThanOrEqual(fixed.caught - 2);
  });
});
