// The CLI as a process against hostile input (issue 14): for every subcommand, random bytes, huge
// lines and arguments, deep nesting, directories, FIFOs, closed pipes, missing or unwritable outputs.
// The contract holds for each: exit 0, 1 or 2 as documented, and never a stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '..', 'cli', 'bin.js');
const dir = mkdtempSync(join(tmpdir(), 'migstate-cli-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** The contract: a documented exit code, no stack trace, no crash by signal. */
function holds(r: ReturnType<typeof run>, what: string, codes: readonly number[] = [0, 1, 2]): void {
  expect(r.signal, `${what}: killed by a signal`).toBeNull();
  expect(codes, `${what}: exit ${r.code}; stderr: ${r.err.slice(0, 300)}`).toContain(r.code);
  expect(r.err, `${what}: a stack trace`).not.toMatch(/\n\s+at [\w.<]+ \(|node:internal|TypeError|RangeError|SyntaxError: |ReferenceError/);
}

/** The commands that read an input, and how to give them one. */
const READERS: { name: string; args: (file: string) => string[] }[] = [
  { name: 'permitted', args: (f) => ['permitted', '--profile', 'qemu-7.2', '--queries', f] },
  { name: 'check-trace', args: (f) => ['check-trace', '--profile', 'qemu-7.2', f] },
  { name: 'check-trace --format text', args: (f) => ['check-trace', '--profile', 'qemu-7.2', '--format', 'text', f] },
  { name: 'import-libvirt', args: (f) => ['import-libvirt', f] },
];

describe('the CLI as a process, on hostile input', () => {
  it('random bytes, for every command that reads an input', () => {
    let k = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) => {
        const f = join(dir, `random-${k++}.bin`);
        writeFileSync(f, bytes);
        for (const c of READERS) holds(run(c.args(f)), `${c.name} on ${bytes.length} random bytes`);
      }),
      { numRuns: 12, seed: 20261204 },
    );
  });

  it('JSON-shaped garbage: deep nesting, huge numbers, wrong types, long strings, lone \\r', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const lines = [
      deep,
      `{"t":1,"vm":"source","dir":"send","msg":{"execute":"migrate","arguments":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"id":1}}`,
      '{"t":1e309,"vm":"source","dir":"recv","msg":{}}',
      '{"t":1,"vm":["source"],"dir":"recv","msg":{"return":5}}',
      '{"side":"source","status":"active","command":"migrate","arguments":{"uri":' + JSON.stringify('x'.repeat(2_000_000)) + '}}',
      '{"side":"source"}\r{"side":"destination"}',
      '\u0000\u0001\u001b[31m',
    ];
    const f = join(dir, 'garbage.jsonl');
    writeFileSync(f, lines.join('\n') + '\n');
    for (const c of READERS) holds(run(c.args(f)), `${c.name} on JSON-shaped garbage`);
    for (const l of lines) {
      const g = join(dir, 'one.jsonl');
      writeFileSync(g, l + '\n');
      for (const c of READERS) holds(run(c.args(g)), `${c.name} on ${JSON.stringify(l.slice(0, 40))}…`);
    }
  });

  it('one huge line (20 MB), for every reader', () => {
    const f = join(dir, 'huge.jsonl');
    writeFileSync(f, JSON.stringify({ t: 0, vm: 'source', dir: 'send', msg: { execute: 'migrate-set-parameters', arguments: { 'tls-creds': 'x'.repeat(20 << 20) }, id: 1 } }) + '\n');
    for (const c of READERS) holds(run(c.args(f)), `${c.name} on a 20 MB line`);
  });

  it('a directory, a missing file and a FIFO as input', async () => {
    for (const c of READERS) {
      const d = run(c.args(dir));
      holds(d, `${c.name} on a directory`, [2]);
      holds(run(c.args(join(dir, 'no-such-file'))), `${c.name} on a missing file`, [2]);
    }
    // A FIFO a writer feeds and closes: read like a file.
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const c of READERS) {
      const child = spawn(process.execPath, [BIN, ...c.args(fifo)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.stdout.resume();
      writeFileSync(fifo, '{"t":0,"vm":"source","dir":"send","msg":{"execute":"query-status","id":1}}\n');
      const code = await new Promise<number | null>((r) => child.once('exit', (x) => r(x)));
      holds({ code, signal: null, out: '', err }, `${c.name} on a FIFO`);
    }
  });

  it('option values and arguments at random, for every subcommand', () => {
    const cmds = ['profiles', 'permitted', 'matrix', 'check-trace', 'import-libvirt', 'conformance', 'explore', 'hazards', 'paths', 'docs'];
    const opts = ['--profile', '--format', '--side', '--caps', '--max-depth', '--against', '--out', '--vm', '--mon', '--jobs', '--paths', '--scenarios', '--queries'];
    fc.assert(
      fc.property(
        fc.constantFrom(...cmds),
        fc.array(fc.tuple(fc.constantFrom(...opts), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '0', '99999999999', '', 'all', 'none', '../..', '/dev/null'))), { maxLength: 3 }),
        (cmd, pairs) => {
          // Never a run that starts QEMU or writes somewhere real: conformance without --qemu, docs only into the scratch folder.
          const args = pairs.flatMap(([o, v]) => (o === '--out' ? [o, join(dir, 'out', v.replace(/[/.]/g, '_'))] : o === '--qemu' ? [] : [o, v]));
          if (cmd === 'docs' || cmd === 'conformance' || cmd === 'explore' || cmd === 'hazards') args.push('--profile', 'no-such-profile');
          holds(run([cmd, ...args], ''), `${cmd} ${args.join(' ')}`);
        },
      ),
      { numRuns: 25, seed: 4122026 },
    );
  });

  it('a closed pipe and an output that cannot be written', () => {
    const q = JSON.stringify({ side: 'source', status: 'active', command: 'migrate_cancel' }) + '\n';
    writeFileSync(join(dir, 'q.jsonl'), q.repeat(100_000));
    for (const cmd of [`permitted --profile qemu-7.2 --queries ${join(dir, 'q.jsonl')}`, 'matrix --profile qemu-7.2 --format json', 'profiles']) {
      const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${cmd} | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}`], { encoding: 'utf8', timeout: 120_000 });
      holds({ code: r.status, signal: r.signal, out: '', err: r.stderr }, `${cmd} | head -c 10`);
      expect(r.stderr).toBe('');
    }
    const log = resolve(import.meta.dirname, 'fixtures', 'libvirt', 'krempa-2020-12-01-background-snapshot.txt');
    for (const out of ['/proc/version', join(dir, 'missing', 'x'), dir]) holds(run(['import-libvirt', log, '--out', out]), `import-libvirt --out ${out}`, [2]);
    holds(run(['docs', '--out', '/proc/migstate-docs']), 'docs --out /proc/...', [2]);
  });
});
