// The parallel trace reader (trace/parallel.ts): JSON parsed in worker threads must give the checker
// exactly the records, in exactly the order, that parsing line by line gives, whatever the block
// boundaries; and check-trace on a trace long enough to use the workers reports the same lines.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { REC_WIDTH, extractLine } from '../trace/extract.ts';
import { recordBlocks } from '../trace/parallel.ts';
import { spawnSync } from 'node:child_process';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'traces');
const BIN = join(import.meta.dirname, '..', 'cli', 'bin.js');
/** The real CLI, in its own process (so its worker threads start as a user's would). */
function checkTrace(file: string) {
  const r = spawnSync(process.execPath, [BIN, 'check-trace', '--profile', 'qemu-7.2', file], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tmp = mkdtempSync(join(tmpdir(), 'migstate-par-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What the sequential reader hands the checker: the lines as cli/trace-cmds.ts splits them, each extracted. */
function sequential(text: string): unknown[][] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => {
    const r = new Array(REC_WIDTH);
    extractLine(l, r, 0);
    return r;
  });
}

async function viaBlocks(chunks: string[], workers: number, blockChars: number): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const b of recordBlocks(Readable.from(chunks), { workers, blockChars }))
    for (let i = 0; i < b.lines; i++) out.push(b.recs.slice(i * REC_WIDTH, (i + 1) * REC_WIDTH));
  return out;
}

/** Cuts text into chunks of pseudo-random sizes (deterministic), as a stream would deliver it. */
function chunked(text: string, seed: number): string[] {
  const out: string[] = [];
  let s = seed;
  for (let i = 0; i < text.length; ) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (s % 700);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

const ALL_FIXTURES = readdirSync(join(FIXTURES, 'qemu-7.2'))
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .map((f) => readFileSync(join(FIXTURES, 'qemu-7.2', f), 'utf8'))
  .join('');
// Lines the fast path does not take: blank, malformed, wrong types, non-ASCII, a number id.
const ODD = [
  '',
  '{"t": 1, "vm": "source", "dir": "send", "msg": {"execute": "query-status", "id": 7}}',
  '{"t":2,"vm":"source","dir":"recv","msg":{"return":{"status":"running","note":"é ü — 漢字"},"id":7}}',
  '{"t":3,"vm":"source","dir":"recv","msg":{"return":',
  '{"t":"x","vm":"source","dir":"send","msg":{}}',
  '   ',
  '{"t":4,"vm":"destination","dir":"recv","msg":{"event":"MIGRATION","data":{"status":"setup"}}}',
].join('\n');

describe('recordBlocks: the same records in the same order as line by line', () => {
  for (const [name, text] of [
    ['the recorded QEMU 7.2 traces, then odd lines, ending with a newline', ALL_FIXTURES + ODD + '\n'],
    ['the same without the final newline', ALL_FIXTURES + ODD],
    ['ending with a blank line', ODD + '\n\n'],
    ['a single newline', '\n'],
    ['nothing', ''],
  ] as const) {
    it(name, async () => {
      const want = sequential(text);
      for (const workers of [0, 1, 2])
        for (const blockChars of [64, 4096, 1 << 21]) expect(await viaBlocks(chunked(text, blockChars + workers), workers, blockChars)).toEqual(want);
    });
  }
});

describe('check-trace on a trace long enough for the worker threads', () => {
  // Over 4 MB: more than two blocks of 2 Mi characters, so the lines are parsed in the workers.
  const poll = (i: number) =>
    [
      JSON.stringify({ t: i, vm: 'source', dir: 'send', msg: { execute: 'query-migrate', id: `q${i}` } }),
      JSON.stringify({ t: i, vm: 'source', dir: 'recv', msg: { return: { status: 'none', padding: 'x'.repeat(200) }, id: `q${i}` } }),
    ].join('\n');
  const head = [
    JSON.stringify({ t: 0, vm: 'source', dir: 'recv', msg: { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 } }, capabilities: ['oob'] } } }),
    JSON.stringify({ t: 0, vm: 'source', dir: 'send', msg: { execute: 'qmp_capabilities', id: 'c' } }),
    JSON.stringify({ t: 0, vm: 'source', dir: 'recv', msg: { return: {}, id: 'c' } }),
  ];
  const N = 12_000;
  const body = Array.from({ length: N }, (_, i) => poll(i));
  const lastLine = head.length + 2 * N;

  it('a conforming trace: exit 0, every line counted', () => {
    const f = join(tmp, 'ok.jsonl');
    writeFileSync(f, [...head, ...body].join('\n') + '\n');
    expect(statSync(f).size).toBeGreaterThan(2 * (2 << 20));
    const r = checkTrace(f);
    expect(r.stderr).toContain(`${lastLine} lines; conforms`);
    expect(r.code).toBe(0);
  });

  it('a departure near the end is reported at its line', () => {
    const f = join(tmp, 'departs.jsonl');
    const bad = JSON.stringify({ t: N, vm: 'source', dir: 'recv', msg: { return: { status: 'postcopy-active' }, id: `q${N - 1}` } });
    writeFileSync(f, [...head, ...body.slice(0, -1), JSON.stringify({ t: N, vm: 'source', dir: 'send', msg: { execute: 'query-migrate', id: `q${N - 1}` } }), bad].join('\n') + '\n');
    const r = checkTrace(f);
    expect(r.code).toBe(1);
    const found = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(found).toEqual([expect.objectContaining({ line: lastLine, kind: 'unexpected-status', observed: 'postcopy-active' })]);
  });

  it('a malformed line in the middle: exit 2 naming that line, nothing on standard output', () => {
    const f = join(tmp, 'malformed.jsonl');
    const at = 9_001; // 1-based line number of the broken line
    const lines = [...head, ...body.flatMap((b) => b.split('\n'))];
    lines[at - 1] = lines[at - 1].slice(0, 40);
    writeFileSync(f, lines.join('\n') + '\n');
    const r = checkTrace(f);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`line ${at}:`);
  });
});
