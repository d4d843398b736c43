// The trace commands through the real CLI (node cli/bin.js): exit codes and where output goes.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const fx = (...p: string[]) => join(root, 'model-tests', 'fixtures', ...p);
function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [join(root, 'cli', 'bin.js'), ...args], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('migstate check-trace (CLI)', () => {
  it('exit 0 for a conforming trace, with the summary on standard error', () => {
    const r = run(['check-trace', '--profile', 'qemu-7.2', fx('traces', 'precopy-clean.jsonl')]);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/check-trace: 42 lines; conforms/);
  });

  it('exit 1 with one JSON departure a line', () => {
    const r = run(['check-trace', '--profile', 'qemu-7.2', fx('traces', 'departure-error.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).kind)).toEqual(['wrong-error']);
    expect(r.stderr).toMatch(/1 departure\(s\) \(1 wrong-error\)/);
  });

  it('exit 1 for an unchecked command (add-fd, not modelled), listed as such; --allow-unchecked: exit 0, still listed', () => {
    const args = ['check-trace', '--profile', 'qemu-7.2', fx('traces', 'qemu-7.2', 'fd-set-unchecked.jsonl')];
    const r = run(args);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).kind)).toEqual(['unchecked']);
    expect(r.stderr).toMatch(/not shown to conform; 1 unchecked command/);
    const a = run([...args, '--allow-unchecked']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(r.stdout);
    const t = run([...args, '--format', 'text']);
    expect(t.stdout).toMatch(/line 14 source: add-fd unchecked: it changes the fd sets/);
  });

  it('reads standard input for -, and --format text', () => {
    const r = run(['check-trace', '--profile', 'qemu-7.2', '--format', 'text', '-'], readFileSync(fx('traces', 'pending.jsonl'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/line 6 source: migrate pending/);
  });

  it('exit 2 with the line number for malformed input, nothing on standard output', () => {
    const r = run(['check-trace', '--profile', 'qemu-7.2', fx('traces', 'malformed.jsonl')]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/malformed\.jsonl: line 3: not valid JSON/);
  });

  it('exit 2 for an unknown profile, a missing file, a bad option', () => {
    for (const args of [
      ['check-trace', '--profile', 'qemu-1.0', fx('traces', 'pending.jsonl')],
      ['check-trace', '--profile', 'qemu-7.2', '/nonexistent/trace.jsonl'],
      ['check-trace', '--profile', 'qemu-7.2', '--format', 'yaml', fx('traces', 'pending.jsonl')],
      ['check-trace', fx('traces', 'pending.jsonl')],
    ]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/migstate check-trace: /);
    }
  });

  it('binary garbage on standard input: exit 2', () => {
    const r = run(['check-trace', '--profile', 'qemu-7.2', '-'], '\u0000\u00ff\u0001{{{\n');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/line 1: not valid JSON/);
  });
});

describe('migstate import-libvirt (CLI)', () => {
  it('writes a trace that check-trace reads', () => {
    const imp = run(['import-libvirt', fx('libvirt', 'krempa-2020-12-01-background-snapshot.txt'), '--vm', 'source']);
    expect(imp.code).toBe(0);
    expect(imp.stdout.trim().split('\n')).toHaveLength(15);
    expect(imp.stderr).toMatch(/15 QMP message\(s\) written as source/);
    const chk = run(['check-trace', '--profile', 'qemu-7.2', '-'], imp.stdout);
    expect(chk.code).toBe(0);
  });

  it('warns about records it cannot read; exit 1 when it found none', () => {
    const r = run(['import-libvirt', fx('libvirt', 'pandit-2025-12-23-wrapped-truncated.txt')]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/line 5: QEMU_MONITOR_SEND_MSG record whose JSON does not end/);
  });

  it('exit 2 for a bad --vm; any other name is the process name of the trace', () => {
    const log = fx('libvirt', 'krempa-2020-12-01-background-snapshot.txt');
    const bad = run(['import-libvirt', '--vm', '', log]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--vm must be a process name of 1 to 64 printable characters/);
    const named = run(['import-libvirt', '--vm', 'host-a', log]);
    expect(named.code).toBe(0);
    const vms = new Set(named.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { vm: string }).vm));
    expect([...vms]).toEqual(['host-a']);
  });
});
