// Fuzzing the trace parser and checker (fast-check): whatever the input, no uncaught exception, no
// hang, and only the documented outcomes: exit 0 or 1 with one JSON finding a line, or exit 2 with
// "line N: ..." on standard error and nothing on standard output.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProfile } from '../machines/index.ts';
import { badLine, goodLine } from './trace-arbitraries.ts';
import { checkTraceText, isDeparture } from '../trace/check.ts';
import { parseTraceLine } from '../trace/format.ts';

const p72 = getProfile('qemu-7.2');
const KINDS = new Set(['unexpected-accept', 'unexpected-reject', 'wrong-error', 'unexpected-status', 'unexpected-runstate', 'unexpected-event', 'unmatched-reply', 'unexplained-start', 'model-error', 'missing-event', 'pending']);

function checkOutcome(text: string): void {
  const r = checkTraceText(p72, text);
  expect([0, 1, 2]).toContain(r.code);
  if (r.code === 2) {
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^check-trace: line \d+: \S/);
    return;
  }
  const fs = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  for (const f of fs) {
    expect(typeof f.line).toBe('number');
    expect(['source', 'destination']).toContain(f.vm);
    expect(KINDS.has(f.kind)).toBe(true);
    expect('expected' in f && 'observed' in f).toBe(true);
  }
  const departures = fs.filter((f) => isDeparture(f)).length;
  expect(r.code).toBe(departures ? 1 : 0);
  expect(r.stderr).toMatch(/^check-trace: \d+ lines; /);
}

describe('fuzz: parser', () => {
  it('never throws, and says what is wrong with every rejected line', () => {
    fc.assert(
      fc.property(fc.oneof(goodLine, badLine), (l) => {
        const r = parseTraceLine(l);
        if (!r.ok) expect(r.error.length).toBeGreaterThan(5);
        else if (r.line) expect(['greeting', 'command', 'return', 'error', 'event']).toContain(r.line.msg.kind);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed generated line', () => {
    fc.assert(
      fc.property(goodLine, (l) => {
        expect(parseTraceLine(l).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('fuzz: checker', () => {
  it('well-formed random traces: exit 0 or 1 with documented findings', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(goodLine, { maxLength: 14 }), (greet, ls) => {
        const g = JSON.stringify({ t: 0, vm: 'source', dir: 'recv', msg: { QMP: {} } });
        checkOutcome([...(greet ? [g] : []), ...ls].join('\n'));
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('traces with malformed lines mixed in: exit 2 naming the first bad line, nothing on stdout', () => {
    fc.assert(
      fc.property(fc.array(goodLine, { maxLength: 6 }), badLine, fc.array(goodLine, { maxLength: 3 }), (before, bad, after) => {
        const text = [...before, bad, ...after].join('\n');
        const r = checkTraceText(p72, text);
        checkOutcome(text);
        const parsed = parseTraceLine(bad);
        if (!parsed.ok && !bad.includes('\n')) {
          expect(r.code).toBe(2);
          expect(r.stderr).toContain(`line ${before.length + 1}:`);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
