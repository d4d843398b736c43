// The project's real CLI on a libvirt log: `node cli/bin.js import-libvirt LOG` piped into
// `node cli/bin.js check-trace --profile PROFILE -`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'cli', 'bin.js');

export interface ImportCheck {
  importCode: number | null;
  importStderr: string;
  checkCode: number | null;
  /** check-trace's standard error (its summary line). */
  checkStderr: string;
  /** The first departure lines check-trace printed (JSON, one a line). */
  departures: string[];
  traceLines: number;
}

export function importAndCheck(log: string, profile = 'qemu-7.2', importArgs: string[] = []): ImportCheck {
  const imp = spawnSync(process.execPath, [BIN, 'import-libvirt', log, ...importArgs], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 120_000 });
  const chk = spawnSync(process.execPath, [BIN, 'check-trace', '--profile', profile, '-'], { input: imp.stdout ?? '', encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 120_000 });
  const out = (chk.stdout ?? '').split('\n').filter((l) => l.trim());
  return {
    importCode: imp.status,
    importStderr: (imp.stderr ?? '').trim(),
    checkCode: chk.status,
    checkStderr: (chk.stderr ?? '').trim(),
    departures: out.filter((l) => !/"kind":"pending"/.test(l)).slice(0, 5).concat(out.filter((l) => /"kind":"pending"/.test(l)).slice(0, 2)),
    traceLines: (imp.stdout ?? '').split('\n').filter((l) => l.trim()).length,
  };
}
