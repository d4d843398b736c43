// The byte scanner (trace/scan.ts) and the reader check-trace uses (cli/trace-reader.ts) against the
// reference: JSON.parse of the decoded line and extract.ts: extractLine. Wherever the scanner says
// it is certain, its record must be the reference's; wherever it is not, the reader falls back to
// the reference. The reader, with or without worker threads, must hand over every line's record in
// order whatever the block and chunk boundaries.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { writeFileSync, mkdtempSync, readFileSync, rmSync, createReadStream, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REC_WIDTH, extractLine } from '../trace/extract.ts';
import { scanLine, scanLines } from '../trace/scan.ts';
import { recordBlocks, type ReaderOptions, type ReaderStats } from '../cli/trace-reader.ts';
import { writePollingTrace } from '../bench/trace.bench.ts';
import { badLine, goodLine } from './trace-arbitraries.ts';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The reference record of a line given as bytes. */
function reference(bytes: Uint8Array): unknown[] {
  const r = new Array(REC_WIDTH);
  extractLine(decoder.decode(bytes), r, 0);
  return r;
}

/** The scanner's record, or null when it is not certain. */
function scanned(bytes: Uint8Array): unknown[] | null {
  const r = new Array(REC_WIDTH);
  return scanLine(bytes, 0, bytes.length, r, 0) ? r : null;
}

const PIECES = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\t', '\r', '0', '-', '1', '.', 'e', 'E', '+', 'u', 'x', 'é', '€', '\u0000', '\u001f', '\\u0041', '\\"', 'null', 'true', 'false', '1e999', '"__proto__":1,', '"status":"x",', '"id":1,', '"data":{},', '\ufeff'];

/** A good line with a few characters deleted, inserted or replaced: mostly near-misses of valid JSON. */
const mutated = fc
  .tuple(goodLine, fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'ins', 'rep'), fc.constantFrom(...PIECES)), { minLength: 1, maxLength: 3 }))
  .map(([l, edits]) => {
    let s = l;
    for (const [at, op, piece] of edits) {
      const i = at % (s.length + 1);
      s = op === 'del' ? s.slice(0, i) + s.slice(i + 1) : op === 'ins' ? s.slice(0, i) + piece + s.slice(i) : s.slice(0, i) + piece + s.slice(i + 1);
    }
    return s;
  });

/** A good line re-written with whitespace between the tokens and its members in another order. */
const respaced = fc.tuple(goodLine, fc.constantFrom(' ', '\t', ' \r ', '  '), fc.boolean()).map(([l, sp, reverse]) => {
  const reorder = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reorder);
    if (v === null || typeof v !== 'object') return v;
    const es = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, reorder(x)] as const);
    return Object.fromEntries(reverse ? es.reverse() : es);
  };
  return sp + JSON.stringify(reorder(JSON.parse(l)), null, sp).replace(/\n/g, sp) + sp;
});

/** Lines written by hand at the edges: ids of every type, escapes, non-ASCII, duplicates, huge numbers. */
const EDGES = [
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{"status":"active"},"data":{"status":"failed"},"id":"a"}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{"status":5},"id":5}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":[{"status":"active"}],"id":5.0}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"id":-0}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"id":1e2}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"id":"\\u0000x"}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"id":{"b":1,"a":[null]}}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"id":null}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"id":"é"}}',
  '{"t":1,"vm":"source","dir":"send","msg":{"execute":"query\\u002dmigrate","id":"libvirt-1"}}',
  '{"t":1,"vm":"source","dir":"send","msg":{"exec-oob":"migrate-pause","arguments":{"b":1,"a":2,"b":3}}}',
  '{"t":1,"vm":"source","dir":"send","msg":{"execute":"migrate","arguments":{"uri":"tcp:127.0.0.1:4444","x":1.50}}}',
  '{"t":1,"vm":"source","dir":"send","msg":{"execute":""}}',
  '{"t":1e999,"vm":"source","dir":"recv","msg":{"event":"STOP"}}',
  `{"t":1${'0'.repeat(400)},"vm":"source","dir":"recv","msg":{"event":"STOP"}}`,
  '{"t":-0,"vm":"destination","dir":"recv","msg":{"event":"MIGRATION","data":{"status":"active"},"timestamp":{"seconds":1}}}',
  '{"t":1,"vm":"destination","dir":"recv","msg":{"event":"MIGRATION","data":{"status":7}}}',
  '{"t":1,"vm":"destination","dir":"recv","msg":{"event":"MIGRATION","data":{"status":"a\\"b"}}}',
  '{"t":1,"vm":"destination","dir":"recv","msg":{"event":"MIGRATION","timestamp":5}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"error":{"class":"GenericError","desc":"Ünïcode €"},"id":"x"}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"error":{"class":"GenericError"}}}',
  '{"t":1,"vm":"source","vm":"destination","dir":"recv","msg":{"event":"STOP"}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"event":"STOP"},"msg":{"event":"RESUME"}}',
  '{"t":1,"v\\u006d":"source","dir":"recv","msg":{"event":"STOP"}}',
  '{"t":1,"vm":"source","dir":"send","msg":{"event":"STOP"}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"QMP":{"version":{}},"extra":[1,2,{"a":"b"}]}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"QMP":[]}}',
  '\ufeff{"t":1,"vm":"source","dir":"recv","msg":{"event":"STOP"}}',
  ' {"t":1,"vm":"source","dir":"recv","msg":{"event":"STOP"}} \r',
  '{"t":1,"vm":"source","dir":"recv","msg":{"event":"STOP","data":{"x":' + '['.repeat(300) + ']'.repeat(300) + '}}}',
  '',
  '   ',
  '{"t":"1","vm":"source","dir":"recv","msg":{"event":"STOP"}}',
  '{"t":1,"vm":"source","dir":"recv","msg":{"event":"STOP"}} x',
];

describe('trace/scan.ts: scanLine', () => {
  it('takes the fast path on well-formed generated lines, with the record extractLine gives', () => {
    fc.assert(
      fc.property(goodLine, (l) => {
        const bytes = Buffer.from(l);
        const s = scanned(bytes);
        expect(s).not.toBeNull();
        expect(s).toEqual(reference(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('on any line, mutated, re-spaced or malformed, is either not certain or gives extractLine\'s record', () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.oneof(mutated, respaced, badLine, goodLine), fc.boolean(), (l, asBuffer) => {
        const bytes = asBuffer ? Buffer.from(l) : new TextEncoder().encode(l);
        const s = scanned(bytes);
        if (s) {
          fast++;
          expect(s).toEqual(reference(bytes));
        }
      }),
      { numRuns: 6000 },
    );
    // The property would hold for a scanner that is never certain: it must be certain often.
    expect(fast).toBeGreaterThan(2000);
  });

  it('on the hand-written edge cases', () => {
    let fast = 0;
    for (const l of EDGES) {
      const bytes = Buffer.from(l);
      const s = scanned(bytes);
      if (s) {
        fast++;
        expect(s, l).toEqual(reference(bytes));
      }
    }
    expect(fast).toBeGreaterThan(10);
  });

  it('scanLines splits on \\n as the reference does, a final \\n starting no line, and bytes that are not UTF-8 decoded alike', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(goodLine, mutated, badLine, fc.constantFrom(...EDGES)), { maxLength: 8 }), fc.boolean(), fc.uint8Array({ maxLength: 4 }), (ls, finalNl, junk) => {
        const text = ls.map((l) => l.replace(/\n/g, ' ')).join('\n') + (finalNl ? '\n' : '');
        const bytes = Buffer.concat([Buffer.from(text), Buffer.from(junk.filter((b) => b !== 10))]);
        const out: unknown[] = [];
        const n = scanLines(bytes, bytes.length, out);
        const parts = decoder.decode(bytes).split('\n');
        if (parts[parts.length - 1] === '') parts.pop();
        expect(n).toBe(parts.length);
        for (let k = 0; k < n; k++) {
          const r = new Array(REC_WIDTH);
          extractLine(parts[k], r, 0);
          for (let j = 0; j < REC_WIDTH; j++) if (j in r) expect(out[k * REC_WIDTH + j], `line ${k + 1} slot ${j}`).toEqual(r[j]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** Every record recordBlocks hands over, each copied out (the block's array is reused). */
async function readAll(input: AsyncIterable<Uint8Array>, opts: ReaderOptions): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const { count, records } of recordBlocks(input, opts))
    for (let k = 0; k < count; k++) out.push(records.slice(k * REC_WIDTH, (k + 1) * REC_WIDTH));
  return out;
}

function expected(bytes: Uint8Array): unknown[][] {
  const parts = decoder.decode(bytes).split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => {
    const r = new Array(REC_WIDTH);
    extractLine(l, r, 0);
    return r;
  });
}

/** Same records, slot by slot, where the reference writes a slot (a record's unused slots are left as they were). */
function expectSame(got: unknown[][], want: unknown[][]): void {
  expect(got.length).toBe(want.length);
  for (let k = 0; k < want.length; k++)
    for (let j = 0; j < REC_WIDTH; j++) if (j in want[k]) expect(got[k][j], `line ${k + 1} slot ${j}`).toEqual(want[k][j]);
}

describe('cli/trace-reader.ts: recordBlocks', () => {
  it('in this thread: every line in order, whatever the chunk and block sizes, long lines included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(goodLine, mutated, fc.constantFrom(...EDGES), fc.constant('{"t":1,"vm":"source","dir":"recv","msg":{"event":"STOP","data":{"pad":"' + 'é'.repeat(300) + '"}}}')), { maxLength: 20 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 16, max: 256 }),
        async (ls, finalNl, chunk, blockBytes) => {
          const bytes = Buffer.from(ls.map((l) => l.replace(/\n/g, ' ')).join('\n') + (finalNl ? '\n' : ''));
          const chunks: Uint8Array[] = [];
          for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
          expectSame(await readAll(Readable.from(chunks), { workers: 0, blockBytes }), expected(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with a worker thread on a 24 MB trace: the same records in the same order, parsed partly by the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migstate-scan-'));
    try {
      const file = join(dir, 't.jsonl');
      writePollingTrace(file, 150_000);
      // Odd lines among the ordinary ones, early and late: fallbacks, malformed lines, non-ASCII.
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const [i, e] of EDGES.entries()) lines.splice(Math.floor(((i + 1) * lines.length) / (EDGES.length + 1)), 0, e);
      writeFileSync(file, lines.join('\n'));
      const bytes = readFileSync(file);
      const stats: ReaderStats = { here: 0, workers: 0 };
      const got = await readAll(createReadStream(file, { highWaterMark: 1 << 16 }), { workers: 1, blockBytes: 1 << 16, serialBytes: 0, sizeHint: statSync(file).size, stats });
      expectSame(got, expected(bytes));
      expect(stats.workers).toBeGreaterThan(0);
      expect(stats.here + stats.workers).toBeGreaterThan(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
