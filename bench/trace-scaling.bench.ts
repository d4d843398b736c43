// How `migstate check-trace` scales with its input (issue 14): each kind of input at 1×, 2× and 4×
// its base size, the whole CLI as a process, time and peak memory. Linear time shows as ratios near
// 2 and 4; the memory column says whether it stays flat. Run: npx tsx bench/trace-scaling.bench.ts [BASE_LINES]
import { closeSync, openSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { line, writeLines, writePollingTrace } from './trace.bench.ts';

const BASE = Number(process.argv[2] ?? 100_000);
const root = resolve(import.meta.dirname, '..');

const KINDS: { name: string; write: (file: string, scale: number) => string }[] = [
  { name: 'valid polling', write: (f, s) => (writePollingTrace(f, BASE * s), `${BASE * s} lines`) },
  {
    name: 'replies missing',
    write: (f, s) => (writeLines(f, BASE * s, (i) => line(i, 'source', 'send', { execute: 'query-status', id: i })), `${BASE * s} commands, no reply`),
  },
  {
    // Each pair departs: migrate_cancel answered with an error no state gives.
    name: 'every line departing',
    write: (f, s) => (writeLines(f, BASE * s, (i) => (i % 2 ? line(i, 'source', 'recv', { error: { class: 'GenericError', desc: 'no such error' }, id: i - 1 }) : line(i, 'source', 'send', { execute: 'migrate_cancel', id: i }))), `${BASE * s} lines`),
  },
  {
    name: 'one big argument',
    write: (f, s) => {
      const mb = 12.5 * s;
      const big = 'x'.repeat(Math.round(mb * 1024 * 1024));
      writeLines(f, 2, (i) => (i === 0 ? line(0, 'source', 'send', { execute: 'migrate-set-parameters', arguments: { 'tls-creds': big }, id: 1 }) : line(1, 'source', 'recv', { return: {}, id: 1 })));
      return `${mb} MB tls-creds`;
    },
  },
];

/** The CLI in a child process, reporting its own peak memory (resourceUsage().maxRSS, KiB) at exit. */
function measure(file: string): { ms: number; peakMiB: number; exit: number | null } {
  const probe = `const { main } = await import(${JSON.stringify(join(root, 'cli', 'main.ts'))});
process.stdout.on('error', () => {});
const code = await main(['check-trace', '--profile', 'qemu-7.2', ${JSON.stringify(file)}]);
process.stderr.write('\\nmaxrss ' + process.resourceUsage().maxRSS + '\\n');
process.exit(code);`;
  // A file, not --eval: the reader's worker threads inherit the flags, and --input-type is refused there.
  const script = join(tmpdir(), `migstate-scaling-${process.pid}.mjs`);
  writeFileSync(script, probe);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx/esm', script], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  unlinkSync(script);
  const m = /maxrss (\d+)/.exec(r.stderr);
  return { ms, peakMiB: m ? Number(m[1]) / 1024 : NaN, exit: r.status };
}

console.log(`check-trace scaling, base ${BASE} lines (the CLI as a process; time includes start-up, about 0.3 s)`);
console.log('input                  size                          exit   time      ×1     peak MiB');
for (const k of KINDS) {
  const rows: { size: string; ms: number; peak: number; exit: number | null }[] = [];
  for (const s of [1, 2, 4]) {
    const file = join(tmpdir(), `migstate-scaling-${process.pid}-${s}.jsonl`);
    const size = k.write(file, s);
    const r = measure(file);
    unlinkSync(file);
    rows.push({ size, ms: r.ms, peak: r.peakMiB, exit: r.exit });
  }
  for (const r of rows)
    console.log(`${k.name.padEnd(22)} ${r.size.padEnd(29)} ${String(r.exit).padEnd(6)} ${(r.ms / 1000).toFixed(2).padStart(6)} s  ×${(r.ms / rows[0].ms).toFixed(2).padEnd(5)} ${r.peak.toFixed(0).padStart(6)}`);
}
