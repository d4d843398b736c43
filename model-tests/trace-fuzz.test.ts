// Fuzzing the trace parser and checker (fast-check): whatever the input, no uncaught exception, no
// hang, and only the documented outcomes: exit 0 or 1 with one JSON finding a line, or exit 2 with
// "line N: ..." on standard error and nothing on standard output.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ALL_STATUSES, getProfile, knownCommands } from '../machines/index.ts';
import { checkTraceText } from '../trace/check.ts';
import { parseTraceLine } from '../trace/format.ts';

const p72 = getProfile('qemu-7.2');
const KINDS = new Set(['unexpected-accept', 'unexpected-reject', 'wrong-error', 'unexpected-status', 'unexpected-runstate', 'unexpected-event', 'unmatched-reply', 'unexplained-start', 'model-error', 'pending']);

function deep(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

const vm = fc.constantFrom('source', 'destination');
const id = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('a', 'b', 'libvirt-1'), fc.constant(undefined));
const command = fc.oneof(fc.constantFrom(...knownCommands(p72)), fc.constantFrom('qmp_capabilities', 'query-block', 'migrate_set_speed', 'x-nonexistent'));
const args = fc.oneof(
  fc.constant(undefined),
  fc.constant({ uri: 'tcp:127.0.0.1:4444' }),
  fc.constant({ capabilities: [{ capability: 'events', state: true }] }),
  fc.constant({ capabilities: [{ capability: 'postcopy-ram', state: true }] }),
  fc.constant({ 'max-bandwidth': 9007199254740993 }),
  fc.constant({ state: 'pre-switchover' }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
);
const status = fc.oneof(fc.constantFrom(...ALL_STATUSES), fc.string({ maxLength: 8 }));
const msg = fc.oneof(
  fc.constant({ dir: 'recv', msg: { QMP: { version: {}, capabilities: [] } } }),
  fc.record({ command, args, id, oob: fc.boolean() }).map(({ command, args, id, oob }) => ({ dir: 'send', msg: { [oob ? 'exec-oob' : 'execute']: command, ...(args ? { arguments: args } : {}), ...(id !== undefined ? { id } : {}) } })),
  fc.record({ id, s: fc.option(status, { nil: undefined }) }).map(({ id, s }) => ({ dir: 'recv', msg: { return: s === undefined ? {} : { status: s }, ...(id !== undefined ? { id } : {}) } })),
  fc.record({ id, desc: fc.constantFrom("There's a migration process in progress", 'x', "Expecting capabilities negotiation with 'qmp_capabilities'") }).map(({ id, desc }) => ({ dir: 'recv', msg: { error: { class: 'GenericError', desc }, ...(id !== undefined ? { id } : {}) } })),
  status.map((s) => ({ dir: 'recv', msg: { event: 'MIGRATION', data: { status: s } } })),
  fc.constantFrom('STOP', 'RESUME', 'COLO_EXIT', 'SHUTDOWN', 'MIGRATION_PASS').map((e) => ({ dir: 'recv', msg: { event: e } })),
);
const goodLine = fc.record({ t: fc.double({ noNaN: true, noDefaultInfinity: true }), vm, m: msg }).map(({ t, vm, m }) => JSON.stringify({ t, vm, dir: m.dir, msg: m.msg }));
const badLine = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
  goodLine.chain((l) => fc.integer({ min: 0, max: l.length }).map((n) => l.slice(0, n))),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ t: fc.jsonValue({ maxDepth: 1 }), vm: fc.jsonValue({ maxDepth: 1 }), dir: fc.jsonValue({ maxDepth: 1 }), msg: fc.jsonValue({ maxDepth: 2 }) }).map((o) => JSON.stringify(o)),
  fc.constantFrom('{"t":1e400,"vm":"source","dir":"recv","msg":{"event":"STOP"}}', `{"t":1,"vm":"source","dir":"send","msg":{"execute":"migrate","arguments":{"a":${deep(5000)}}}}`, deep(100000), '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"return":{}}}'),
);

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
  const departures = fs.filter((f) => f.kind !== 'pending').length;
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
