// The VM launcher against the real QEMU binary: a pair is launched and disposed leaving no process
// and no temp folder; start failures are typed and leave nothing behind; a run that gets SIGINT
// ends every QEMU it started (checked from outside, by pid).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pair, Vm, VmStartError, freePort, livePids, liveTempDirs, makeTempDir, pidAlive, qemuArgs, removeTempDir } from '../qemu/vm.ts';

const ROOT = resolve(import.meta.dirname, '..');

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function eventually(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('VM launcher (real qemu-system-x86_64)', () => {
  it('builds QEMU argument arrays (no shell)', () => {
    expect(qemuArgs({ dir: '/d', name: 'destination', incoming: 'defer', paused: true })).toEqual([
      '-M', 'pc', '-m', '64', '-nodefaults', '-display', 'none', '-accel', 'tcg', '-qmp', 'unix:/d/destination.sock,server=on,wait=off', '-incoming', 'defer', '-S',
    ]);
  });

  it('finds free ports on 127.0.0.1', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    for (const p of ports) expect(p).toBeGreaterThan(1023);
  });

  it('launches a pair and disposes of it, leaving no process and no temp folder', async () => {
    const pair = await Pair.launch({ incoming: 'uri' });
    const pids = [pair.source.pid, pair.destination.pid];
    const dir = pair.dir;
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    expect(existsSync(join(dir, 'source.sock'))).toBe(true);
    expect(pair.destination.args).toContain(`tcp:127.0.0.1:${pair.port}`);
    for (const pid of pids) expect(cmdline(pid)).toContain(dir);
    expect(await pair.destination.client.execute('query-status')).toMatchObject({ ok: true, return: { status: 'inmigrate' } });
    // a migration over the pair works
    expect(await pair.source.client.execute('migrate', { uri: pair.uri })).toEqual({ ok: true, return: {} });
    await pair.dispose();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(livePids()).toEqual([]);
    expect(liveTempDirs()).toEqual([]);
    await pair.dispose(); // twice is harmless
  });

  it('reports why QEMU would not start, and leaves nothing behind', async () => {
    const dir = makeTempDir();
    try {
      const e1 = await Vm.launch({ name: 'source', dir, qemu: '/nonexistent/qemu-system-x86_64' }).catch((e: unknown) => e);
      expect(e1).toBeInstanceOf(VmStartError);
      expect((e1 as Error).message).toMatch(/cannot start/);
      const e2 = await Vm.launch({ name: 'source', dir, extraArgs: ['-no-such-option'] }).catch((e: unknown) => e);
      expect(e2).toBeInstanceOf(VmStartError);
      expect((e2 as VmStartError).stderr).toMatch(/no-such-option/);
      expect(livePids()).toEqual([]);
    } finally {
      removeTempDir(dir);
    }
  });

  it('captures stderr: a destination whose incoming migration fails says why and exits', async () => {
    const pair = await Pair.launch({ incoming: 'uri' });
    try {
      await pair.source.client.execute('migrate-set-parameters', { 'max-bandwidth': 10 });
      await pair.source.client.execute('migrate', { uri: pair.uri });
      await eventually(() => false, 300);
      await pair.source.kill();
      const exit = await Promise.race([pair.destination.exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(pair.destination.stderr).toMatch(/load of migration failed/);
    } finally {
      await pair.dispose();
    }
  });

  it('ends every QEMU of a run that gets SIGINT (child process, checked by pid)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'migstate-sigint-'));
    try {
      const script = join(work, 'child.mts');
      writeFileSync(
        script,
        `import { Pair } from ${JSON.stringify(join(ROOT, 'qemu/vm.ts'))};
const pair = await Pair.launch({ incoming: 'defer' });
process.stdout.write(JSON.stringify({ pids: [pair.source.pid, pair.destination.pid], dir: pair.dir }) + '\\n');
setInterval(() => {}, 1000);
`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        expect(await eventually(() => out.includes('\n'), 20_000), `child output: ${out} ${err}`).toBe(true);
        const { pids, dir } = JSON.parse(out.split('\n')[0]) as { pids: number[]; dir: string };
        for (const pid of pids) expect(pidAlive(pid)).toBe(true);
        expect(existsSync(dir)).toBe(true);
        child.kill('SIGINT');
        const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
        expect(code).toBe(130);
        for (const pid of pids) expect(await eventually(() => !pidAlive(pid), 3000)).toBe(true);
        expect(existsSync(dir)).toBe(false);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('a --qemu wrapper script that runs QEMU without exec', () => {
  it('is ended with the QEMU it started (the process group), on dispose and on kill', async () => {
    const dir = makeTempDir();
    const wrapper = join(dir, 'qemu-wrapper.sh');
    writeFileSync(wrapper, '#!/bin/sh\n/usr/bin/qemu-system-x86_64 "$@"\necho wrapper-done >&2\n', { mode: 0o755 });
    const inDir = () =>
      readdirSync('/proc')
        .filter((x) => /^\d+$/.test(x))
        .filter((pid) => cmdline(Number(pid)).includes(dir) && cmdline(Number(pid)).includes('qemu-system-x86_64 -M'))
        .map(Number)
        .filter(pidAlive);
    try {
      for (const end of ['dispose', 'kill'] as const) {
        const vm = await Vm.launch({ name: `source-${end}`, qemu: wrapper, dir });
        expect(await vm.client.execute('query-status')).toMatchObject({ ok: true });
        const qemu = inDir();
        expect(qemu.length, 'QEMU runs as a child of the wrapper').toBe(1);
        expect(qemu[0]).not.toBe(vm.pid);
        if (end === 'dispose') await vm.dispose();
        else await vm.kill();
        expect(await eventually(() => inDir().length === 0, 5000), `QEMU left behind after ${end}`).toBe(true);
      }
    } finally {
      removeTempDir(dir);
    }
  });
});
