// The CLI's start-up bundle (cli/bundle.js): built on first use, reused while the sources are
// unchanged, rebuilt when one changes, and never needed: without a writable cache the CLI runs
// through tsx. And check-trace on a trace long enough to start its worker threads, which load the
// bundled scanner.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, appendFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePollingTrace } from '../bench/trace.bench.ts';

const BIN = join(import.meta.dirname, '..', 'cli', 'bin.js');

function run(args: string[], cache: string) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MIGSTATE_CACHE_DIR: cache }, timeout: 120_000 });
}

describe('cli/bundle.js', () => {
  it('builds once, reuses the bundle, rebuilds when an input changes, and falls back to tsx without a cache', () => {
    const cache = mkdtempSync(join(tmpdir(), 'migstate-cache-'));
    try {
      const a = run(['profiles'], cache);
      expect(a.status, a.stderr).toBe(0);
      expect(a.stdout).toContain('qemu-7.2');
      const p1 = JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8'));
      expect(p1.inputs.map((i: [string]) => i[0])).toContain('cli/main.ts');
      expect(p1.inputs.map((i: [string]) => i[0])).toContain('trace/scan.ts');

      const b = run(['profiles'], cache);
      expect(b.stdout).toBe(a.stdout);
      expect(JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')).dir).toBe(p1.dir);

      // An input whose recorded modification time no longer matches: as if the file had been edited.
      p1.inputs[0][2] -= 1000;
      writeFileSync(join(cache, 'current.json'), JSON.stringify(p1));
      const c = run(['profiles'], cache);
      expect(c.stdout).toBe(a.stdout);
      const p2 = JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8'));
      expect(p2.dir).not.toBe(p1.dir);
      expect(readdirSync(cache).filter((d) => d.startsWith('build-')).sort()).toEqual([p1.dir, p2.dir].sort());

      // A rebuild removes only builds older than a few hours: a CLI started from another build
      // (made beside it on a fresh cache, or the one just replaced) loads chunks from it lazily.
      const recent = join(cache, 'build-1-recent');
      const old = join(cache, 'build-2-old');
      for (const d of [recent, old]) mkdirSync(d);
      utimesSync(old, new Date(Date.now() - 7 * 3600_000), new Date(Date.now() - 7 * 3600_000));
      p2.inputs[0][2] -= 1000;
      writeFileSync(join(cache, 'current.json'), JSON.stringify(p2));
      expect(run(['profiles'], cache).stdout).toBe(a.stdout);
      const left = readdirSync(cache);
      expect(left).toContain('build-1-recent');
      expect(left).toContain(p1.dir);
      expect(left).not.toContain('build-2-old');

      // A cache that cannot be a folder: tsx compiles on the fly, same answer.
      const file = join(cache, 'not-a-folder');
      writeFileSync(file, '');
      const d = run(['profiles'], file);
      expect(d.status, d.stderr).toBe(0);
      expect(d.stdout).toBe(a.stdout);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  }, 120_000);

  it('check-trace on a 12 MB trace (worker threads): conforms; a malformed line near the end is named by its number, nothing on stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migstate-big-'));
    try {
      const file = join(dir, 't.jsonl');
      const n = writePollingTrace(file, 80_000);
      const ok = run(['check-trace', '--profile', 'qemu-7.2', file], join(dir, 'cache'));
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stderr).toContain(`check-trace: ${n} lines; conforms`);
      appendFileSync(file, '{"t":1,"vm":"source","dir":"recv","msg":{"event":"STOP"}\n' + '{"t":2,"vm":"source","dir":"recv","msg":{"event":"STOP"}}\n');
      const bad = run(['check-trace', '--profile', 'qemu-7.2', file], join(dir, 'cache'));
      expect(bad.status).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toMatch(new RegExp(`line ${n + 1}: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
