// An interrupted `migstate conformance` leaves nothing behind: the CLI runs as a child process with
// its own TMPDIR (so its private temp folders, QMP sockets and every process it starts are told apart
// from other runs on the machine by their command lines); SIGINT arrives mid-run; afterwards no
// process of that run and no temp folder or socket remain.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../qemu/vm.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'cli', 'bin.js');

/** Processes whose command line mentions `needle` (e.g. a QMP socket in the run's temp folder). */
function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(needle) && pidAlive(Number(d))) out.push({ pid: Number(d), cmd });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** After a test: the CLI and whatever of its run is left (a failing test must not leak QEMU). */
function endLeftovers(child: ChildProcess, tmp: string): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const x of processesMentioning(tmp)) {
    try {
      process.kill(x.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function eventually(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('migstate conformance interrupted by SIGINT', () => {
  it('ends every QEMU and helper of the run by pid and removes its temp folders and sockets', { timeout: 120_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'migstate-sigint-cli-'));
    try {
      // Two scenarios at once, one of them with the stalled UNIX listener (a helper process).
      const child = spawn(
        process.execPath,
        [BIN, 'conformance', '--qemu', 'qemu-system-x86_64', '--jobs', '2', '--scenarios', 'precopy-active-probes-complete,setup-stalled-cancel', '--traces', join(tmp, 'traces')],
        { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.stdout.resume();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        // Mid-run: both pairs up (four QEMU processes whose QMP sockets are in the run's temp folders).
        const up = await eventually(() => processesMentioning(tmp).filter((x) => x.cmd.includes('qemu-system')).length >= 4, 60_000);
        expect(up, `the run did not start its pairs: ${err}`).toBe(true);
        await new Promise((r) => setTimeout(r, 500));
        const seen = processesMentioning(tmp);
        const qemus = seen.filter((x) => x.cmd.includes('qemu-system'));
        expect(qemus.length).toBeGreaterThanOrEqual(4);
        expect(readdirSync(tmp).filter((d) => d.startsWith('migstate-qemu-')).length).toBeGreaterThanOrEqual(2);
        child.kill('SIGINT');
        const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
        expect(code).toBe(130);
        for (const x of seen) expect(await eventually(() => !pidAlive(x.pid), 3000), `${x.pid} ${x.cmd}`).toBe(true);
        expect(processesMentioning(tmp)).toEqual([]);
        // No private temp folder (with its QMP sockets and stalled-listener socket) is left (tsx keeps
        // its compile cache there too: not the run's).
        expect(readdirSync(tmp).filter((d) => d !== 'traces' && !d.startsWith('tsx-'))).toEqual([]);
      } finally {
        endLeftovers(child, tmp);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('migstate conformance killed with SIGKILL', () => {
  it('leaves a record from which the next run ends its QEMU processes and removes its temp folders and sockets', { timeout: 120_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'migstate-sigkill-cli-'));
    const env = { ...process.env, TMPDIR: tmp };
    try {
      const child = spawn(process.execPath, [BIN, 'conformance', '--qemu', 'qemu-system-x86_64', '--scenarios', 'precopy-active-probes-complete', '--traces', join(tmp, 'traces')], {
        cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        const up = await eventually(() => processesMentioning(tmp).filter((x) => x.cmd.includes('qemu-system')).length >= 2, 60_000);
        expect(up, `the run did not start its pair: ${err}`).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
        child.kill('SIGKILL');
        await exited;
        // Nothing could end them: the pair is still there, with its folder and the run's record.
        const left = processesMentioning(tmp).filter((x) => x.cmd.includes('qemu-system'));
        expect(left.length).toBeGreaterThanOrEqual(2);
        expect(readdirSync(join(tmp, 'migstate-runs'))).toEqual([`${child.pid}.json`]);
        // The next run ends them first (here: only that, --reap).
        const reap = spawnSync(process.execPath, [BIN, 'conformance', '--reap', '--json'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
        expect(reap.status, reap.stderr).toBe(0);
        const r = JSON.parse(reap.stdout) as { runs: number; processes: { pid: number }[]; dirs: string[] };
        expect(r.runs).toBe(1);
        expect(r.processes.map((x) => x.pid).sort()).toEqual(left.map((x) => x.pid).sort());
        for (const x of left) expect(await eventually(() => !pidAlive(x.pid), 5000), `${x.pid} ${x.cmd}`).toBe(true);
        expect(processesMentioning(tmp)).toEqual([]);
        expect(readdirSync(tmp).filter((d) => d.startsWith('migstate-qemu-'))).toEqual([]);
        expect(existsSync(join(tmp, 'migstate-runs'))).toBe(false);
        // And a second reap finds nothing (a record is reaped once; live runs are never touched).
        const again = spawnSync(process.execPath, [BIN, 'conformance', '--reap', '--json'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
        expect(JSON.parse(again.stdout)).toEqual({ runs: 0, processes: [], dirs: [] });
      } finally {
        endLeftovers(child, tmp);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
