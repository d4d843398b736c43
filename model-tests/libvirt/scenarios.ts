// libvirt scenarios: real virsh commands against private libvirtd daemons (./libvirtd.ts) driving real
// QEMU, each scenario with fresh daemons, its own logs (NAME.log, or NAME.src.log and NAME.dst.log
// for a migration) and a summary: virsh exit codes and errors, seconds, QMP commands and events seen.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../qemu/vm.ts';
import { Libvirtd, SYSTEM_QEMU, ensureMountPoints, ensureQemuUser, makeTempDir, pidAlive, removeTempDir, sleep, virsh, waitFor, type VirshResult } from './libvirtd.ts';

export const QEMU_10_WRAPPER = join(import.meta.dirname, '..', '..', '.cache', 'qemu-10.0', 'bin', 'qemu-system-x86_64');
const DOM = 'vm';
const WAIT_MS = 60_000;

export type Expect = 'ok' | 'fail' | 'any';
export interface StepRecord {
  on: 'src' | 'dst';
  args: string[];
  expect: Expect;
  code: number | null;
  ok: boolean;
  stderr: string;
  seconds: number;
}
export interface QmpSeen {
  commands: Record<string, number>;
  events: Record<string, number>;
}
export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  error: string | null;
  seconds: number;
  qemu: string;
  steps: StepRecord[];
  logs: { role: LogRole; file: string; qmp: QmpSeen }[];
  notes: string[];
}
export type LogRole = 'single' | 'src' | 'dst';

export interface Ctx {
  name: string;
  dir: string;
  qemu: string;
  /** The QEMU the daemons run: Debian's 7.2 or the 10.0 build (scripts/fetch-qemu-10.0.sh). */
  version: '7.2' | '10.0';
  src: Libvirtd;
  dst: Libvirtd | null;
  steps: StepRecord[];
  notes: string[];
  /** virsh on a daemon; the step is recorded, and checked against `expect` (default ok). */
  virsh(on: 'src' | 'dst', args: string[], expect?: Expect, timeoutMs?: number): Promise<VirshResult>;
  /** The same, started in the background. */
  virshBg(on: 'src' | 'dst', args: string[], expect?: Expect, timeoutMs?: number): Promise<VirshResult>;
  /** A domain XML file: TCG, `pc`, no disk, no network, no graphics, RAM filled with `randomMiB` MiB of random data. */
  domainXml(o?: { randomMiB?: number; memMiB?: number; dirty?: boolean }): string;
  /** The `virsh migrate` arguments to the destination daemon, on a fresh loopback port. */
  migrateArgs(extra?: string[]): Promise<string[]>;
  /** Waits until the source (or destination) daemon's log shows a MIGRATION event with that status, after `from` bytes. */
  waitMigration(on: 'src' | 'dst', status: string, from?: number): Promise<void>;
  logSize(on: 'src' | 'dst'): number;
}

export interface Scenario {
  name: string;
  /** Two daemons: the source and the destination of a migration. */
  migration: boolean;
  what: string;
  /** QMP commands / events (MIGRATION as `MIGRATION(status)`) each log must show: proof the scenario did what it says. */
  qmp: Partial<Record<LogRole, string[]>>;
  /**
   * On QEMU 10.0, where libvirt 9.0 and QEMU disagree (a finding, docs/research/qemu-10.0/README.md):
   * what the log must show instead.
   */
  qmp10?: Partial<Record<LogRole, string[]>>;
  run(c: Ctx): Promise<void>;
}

const mig = (extra: string[] = []) => ['migrate', '--live', DOM, ...extra];

export const SCENARIOS: Scenario[] = [
  {
    name: 'save-restore',
    migration: false,
    what: 'save, restore; save --bypass-cache, restore --paused --bypass-cache, resume',
    qmp: { single: ['migrate', 'migrate-incoming', 'MIGRATION(completed)', 'cont'] },
    async run(c) {
      const xml = c.domainXml();
      await c.virsh('src', ['create', xml]);
      await c.virsh('src', ['save', DOM, join(c.dir, 'a.sav')]);
      await c.virsh('src', ['restore', join(c.dir, 'a.sav')]);
      await c.virsh('src', ['save', DOM, join(c.dir, 'b.sav'), '--bypass-cache']);
      await c.virsh('src', ['restore', join(c.dir, 'b.sav'), '--paused', '--bypass-cache']);
      await c.virsh('src', ['resume', DOM]);
      await c.virsh('src', ['destroy', DOM]);
    },
  },
  {
    name: 'managedsave',
    migration: false,
    what: 'define, start, managedsave, start (restores the managed save), destroy',
    qmp: { single: ['migrate', 'migrate-incoming', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['define', c.domainXml()]);
      await c.virsh('src', ['start', DOM]);
      await c.virsh('src', ['managedsave', DOM]);
      await c.virsh('src', ['start', DOM]);
      await c.virsh('src', ['destroy', DOM]);
      await c.virsh('src', ['undefine', DOM, '--managed-save']);
    },
  },
  {
    name: 'dump',
    migration: false,
    what: 'dump --memory-only, dump --live, dump (stops the guest during it)',
    qmp: { single: ['dump-guest-memory', 'DUMP_COMPLETED', 'migrate', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      await c.virsh('src', ['dump', DOM, join(c.dir, 'mem.elf'), '--memory-only']);
      await c.virsh('src', ['dump', DOM, join(c.dir, 'live.core'), '--live']);
      await c.virsh('src', ['dump', DOM, join(c.dir, 'plain.core')]);
      await c.virsh('src', ['destroy', DOM]);
    },
  },
  {
    name: 'snapshot',
    migration: false,
    what: 'snapshot-create-as with an external --memspec on a domain with no disks',
    qmp: { single: ['migrate', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['define', c.domainXml()]);
      await c.virsh('src', ['start', DOM]);
      await c.virsh('src', ['snapshot-create-as', DOM, 'snap1', '--memspec', `file=${join(c.dir, 'snap1.mem')},snapshot=external`]);
      await c.virsh('src', ['snapshot-list', DOM], 'any');
      await c.virsh('src', ['domstate', DOM]);
      await c.virsh('src', ['snapshot-create-as', DOM, 'snap2', '--memspec', `file=${join(c.dir, 'snap2.mem')},snapshot=external`, '--live']);
      await c.virsh('src', ['destroy', DOM]);
      await c.virsh('src', ['snapshot-delete', DOM, 'snap2', '--metadata'], 'any');
      await c.virsh('src', ['snapshot-delete', DOM, 'snap1', '--metadata'], 'any');
      await c.virsh('src', ['undefine', DOM], 'any');
    },
  },
  {
    name: 'save-abort',
    migration: false,
    what: 'save of a guest with 384 MiB of random RAM, domjobabort once the migration to file is active',
    qmp: { single: ['migrate', 'migrate_cancel', 'MIGRATION(cancelled)'] },
    async run(c) {
      // Enough data that the save outlasts the abort: 96 MiB let QEMU 10.0 finish first under load
      // (libvirt lifts the bandwidth limit for a save, so only the amount of data holds it).
      await c.virsh('src', ['create', c.domainXml({ randomMiB: 384, memMiB: 512 })]);
      const from = c.logSize('src');
      const save = c.virshBg('src', ['save', DOM, join(c.dir, 'a.sav'), '--bypass-cache'], 'fail');
      await c.waitMigration('src', 'active', from);
      await c.virsh('src', ['domjobabort', DOM]);
      await save;
      await c.virsh('src', ['domstate', DOM]);
      await c.virsh('src', ['destroy', DOM]);
    },
  },
  {
    name: 'restore-truncated',
    migration: false,
    what: 'save, then restore of the image cut to half its size (expected to fail)',
    qmp: { single: ['migrate-incoming', 'MIGRATION(failed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      const f = join(c.dir, 'a.sav');
      await c.virsh('src', ['save', DOM, f]);
      truncateSync(f, Math.floor(statSync(f).size / 2));
      await c.virsh('src', ['restore', f], 'fail');
      await c.virsh('src', ['list', '--all'], 'any');
    },
  },
  {
    name: 'daemon-restart',
    migration: false,
    what: 'libvirtd restarted (SIGTERM, start) while the domain runs, then save and restore',
    qmp: { single: ['migrate', 'migrate-incoming', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      await c.src.restart();
      c.notes.push('libvirtd restarted');
      await c.virsh('src', ['domstate', DOM]);
      await c.virsh('src', ['save', DOM, join(c.dir, 'a.sav')]);
      await c.virsh('src', ['restore', join(c.dir, 'a.sav')]);
      await c.virsh('src', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-precopy',
    migration: true,
    what: 'virsh migrate --live (managed by virsh, connected to both daemons)',
    qmp: { src: ['migrate', 'migrate-continue', 'MIGRATION(pre-switchover)', 'MIGRATION(completed)'], dst: ['migrate-incoming', 'MIGRATION(completed)', 'cont'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      await c.virsh('src', mig(await c.migrateArgs()));
      await c.virsh('dst', ['domstate', DOM]);
      await c.virsh('dst', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-precopy-p2p',
    migration: true,
    what: 'virsh migrate --live --p2p (the source daemon connects to the destination daemon)',
    qmp: { src: ['migrate', 'migrate-continue', 'MIGRATION(completed)'], dst: ['migrate-incoming', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      await c.virsh('src', mig(['--p2p', ...(await c.migrateArgs())]));
      await c.virsh('dst', ['domstate', DOM]);
      await c.virsh('dst', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-abort',
    migration: true,
    what: 'migrate --live --bandwidth 1, domjobabort once it is active',
    qmp: { src: ['migrate', 'migrate_cancel', 'MIGRATION(cancelled)'], dst: ['migrate-incoming', 'MIGRATION(failed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      const from = c.logSize('src');
      const m = c.virshBg('src', mig(await c.migrateArgs(['--bandwidth', '1'])), 'fail');
      await c.waitMigration('src', 'active', from);
      await c.virsh('src', ['domjobabort', DOM]);
      await m;
      await c.virsh('src', ['domstate', DOM]);
      await c.virsh('src', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-dst-killed',
    migration: true,
    what: 'migrate --live --bandwidth 1, the destination QEMU killed (SIGKILL) once it is active',
    qmp: { src: ['migrate', 'MIGRATION(failed)'], dst: ['migrate-incoming', 'MIGRATION(active)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      const from = c.logSize('src');
      const m = c.virshBg('src', mig(await c.migrateArgs(['--bandwidth', '1'])), 'fail');
      await c.waitMigration('src', 'active', from);
      const q = c.dst!.qemuPids();
      if (q.length !== 1) throw new Error(`expected one destination QEMU, found ${q.length}`);
      process.kill(q[0].pid, 'SIGKILL');
      c.notes.push(`destination QEMU ${q[0].pid} killed`);
      await m;
      await c.virsh('src', ['domstate', DOM]);
      await c.virsh('src', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-multifd-xbzrle',
    migration: true,
    what: 'migrate --live --parallel --parallel-connections 2 --compressed --comp-methods xbzrle --auto-converge',
    qmp: { src: ['migrate', 'MIGRATION(completed)'], dst: ['migrate-incoming', 'MIGRATION(completed)'] },
    // QEMU >= 9.x: migrate_caps_check refuses xbzrle with multifd; libvirt 9.0 still offers both.
    qmp10: { src: ['migrate-set-capabilities'], dst: [] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      const r = await c.virsh('src', mig(await c.migrateArgs(['--parallel', '--parallel-connections', '2', '--compressed', '--comp-methods', 'xbzrle', '--auto-converge'])), c.version === '10.0' ? 'fail' : 'ok');
      if (c.version === '10.0') {
        if (!r.stderr.includes('Multifd is not compatible with xbzrle')) throw new Error(`QEMU 10.0 was expected to refuse xbzrle with multifd, virsh said: ${r.stderr}`);
        c.notes.push('finding: QEMU 10.0 refuses xbzrle with multifd ("Multifd is not compatible with xbzrle"); libvirt 9.0 offers them together');
        return;
      }
      await c.virsh('dst', ['domstate', DOM]);
      await c.virsh('dst', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-compress-mt',
    migration: true,
    what: 'migrate --live --compressed --comp-methods mt',
    qmp: { src: ['migrate', 'MIGRATION(completed)'], dst: ['migrate-incoming', 'MIGRATION(completed)'] },
    // QEMU 9.1 removed the compress capability: libvirt 9.0 refuses before it sends anything.
    qmp10: { src: ['query-migrate-capabilities'], dst: [] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      const r = await c.virsh('src', mig(await c.migrateArgs(['--compressed', '--comp-methods', 'mt'])), c.version === '10.0' ? 'fail' : 'ok');
      if (c.version === '10.0') {
        if (!r.stderr.includes("Migration option 'compress' is not supported")) throw new Error(`libvirt was expected to refuse compression on QEMU 10.0, virsh said: ${r.stderr}`);
        c.notes.push("finding: libvirt 9.0 refuses mt compression on QEMU 10.0 (\"Migration option 'compress' is not supported by QEMU binary\"): 10.0 has no compress capability");
        return;
      }
      await c.virsh('dst', ['domstate', DOM]);
      await c.virsh('dst', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-postcopy',
    migration: true,
    what: 'migrate --live --postcopy --bandwidth 1, then virsh migrate-postcopy once active',
    qmp: { src: ['migrate-start-postcopy', 'MIGRATION(postcopy-active)', 'MIGRATION(completed)'], dst: ['MIGRATION(postcopy-active)', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml()]);
      const from = c.logSize('src');
      const m = c.virshBg('src', mig(await c.migrateArgs(['--postcopy', '--bandwidth', '1'])));
      await c.waitMigration('src', 'active', from);
      await c.virsh('src', ['migrate-postcopy', DOM]);
      await m;
      await c.virsh('dst', ['domstate', DOM]);
      await c.virsh('dst', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-postcopy-after-precopy',
    migration: true,
    what: 'migrate --live --postcopy --postcopy-after-precopy --bandwidth 1 of a guest that keeps 4 MiB dirty',
    qmp: { src: ['migrate-start-postcopy', 'MIGRATION(postcopy-active)', 'MIGRATION(completed)'], dst: ['MIGRATION(postcopy-active)', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml({ dirty: true, randomMiB: 1 })]);
      await c.virsh('src', mig(await c.migrateArgs(['--postcopy', '--postcopy-after-precopy', '--bandwidth', '1'])));
      await c.virsh('dst', ['domstate', DOM]);
      await c.virsh('dst', ['destroy', DOM]);
    },
  },
  {
    name: 'migrate-postcopy-paused-resumed',
    migration: true,
    what: 'postcopy at 1 MiB/s, domjobabort --postcopy on the source (postcopy-paused), then migrate --postcopy --postcopy-resume',
    qmp: { src: ['migrate-pause', 'MIGRATION(postcopy-paused)', 'MIGRATION(postcopy-recover)', 'MIGRATION(completed)'], dst: ['migrate-recover', 'MIGRATION(postcopy-paused)', 'MIGRATION(completed)'] },
    async run(c) {
      await c.virsh('src', ['create', c.domainXml({ randomMiB: 8 })]);
      let from = c.logSize('src');
      const m = c.virshBg('src', mig(await c.migrateArgs(['--postcopy', '--bandwidth', '1', '--postcopy-bandwidth', '1'])), 'fail');
      await c.waitMigration('src', 'active', from);
      from = c.logSize('src');
      await c.virsh('src', ['migrate-postcopy', DOM]);
      await c.waitMigration('src', 'postcopy-active', from);
      await sleep(500);
      from = c.logSize('src');
      await c.virsh('src', ['domjobabort', DOM, '--postcopy']);
      await m;
      await c.waitMigration('src', 'postcopy-paused', from).catch((e) => c.notes.push(String(e)));
      await c.virsh('src', ['domstate', DOM, '--reason'], 'any');
      await c.virsh('dst', ['domstate', DOM, '--reason'], 'any');
      await c.virsh('src', mig(await c.migrateArgs(['--postcopy', '--postcopy-resume'])));
      await c.virsh('dst', ['domstate', DOM]);
      await c.virsh('dst', ['destroy', DOM]);
    },
  },
];

// ---- QMP seen in a log ------------------------------------------------------------------------

/** The QMP commands libvirt sent (QEMU_MONITOR_SEND_MSG "execute") and events it received (RECV_EVENT; MIGRATION by status), with counts. */
export function qmpSeen(log: string): QmpSeen {
  const commands: Record<string, number> = {};
  const events: Record<string, number> = {};
  for (const line of log.split('\n')) {
    if (line.includes('QEMU_MONITOR_SEND_MSG')) {
      const m = /"execute":\s*"([^"]+)"/.exec(line);
      if (m) commands[m[1]] = (commands[m[1]] ?? 0) + 1;
    } else if (line.includes('QEMU_MONITOR_RECV_EVENT')) {
      const m = /"event":\s*"([^"]+)"/.exec(line);
      if (!m) continue;
      let k = m[1];
      const st = /"status":\s*"([^"]+)"/.exec(line);
      if (k === 'MIGRATION' && st) k += `(${st[1]})`;
      events[k] = (events[k] ?? 0) + 1;
    }
  }
  return { commands, events };
}

/** The log files a scenario writes in the output folder. */
export function logFiles(s: Scenario): { role: LogRole; file: string }[] {
  return s.migration
    ? [
        { role: 'src', file: `${s.name}.src.log` },
        { role: 'dst', file: `${s.name}.dst.log` },
      ]
    : [{ role: 'single', file: `${s.name}.log` }];
}

// ---- running ------------------------------------------------------------------------------------

const uuid = (n: number) => `6d1f4c2a-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
let daemonCount = 0;

export async function runScenario(s: Scenario, outDir: string, qemu = SYSTEM_QEMU): Promise<ScenarioResult> {
  const t0 = Date.now();
  ensureQemuUser();
  ensureMountPoints();
  mkdirSync(outDir, { recursive: true });
  const dir = makeTempDir(`migstate-libvirt-${s.name}-`);
  const src = new Libvirtd({ dir: join(dir, 'src'), hostUuid: uuid(++daemonCount) });
  const dst = s.migration ? new Libvirtd({ dir: join(dir, 'dst'), hostUuid: uuid(++daemonCount) }) : null;
  const steps: StepRecord[] = [];
  const notes: string[] = [];
  const daemon = (on: 'src' | 'dst') => {
    const d = on === 'src' ? src : dst;
    if (!d) throw new Error(`${s.name}: no ${on} daemon`);
    return d;
  };
  /** Background virsh commands still running (a wait for a MIGRATION event gives up when one of those it started with ends). */
  const bgRunning = new Set<{ args: string[]; result?: VirshResult }>();
  const record = async (on: 'src' | 'dst', args: string[], expect: Expect, timeoutMs: number, bg: boolean) => {
    const entry: { args: string[]; result?: VirshResult } = { args };
    if (bg) bgRunning.add(entry);
    const r = await virsh(daemon(on).uri, args, timeoutMs).done;
    entry.result = r;
    bgRunning.delete(entry);
    const ok = expect === 'any' || (expect === 'ok' ? r.code === 0 : r.code !== 0 && !r.timedOut);
    steps.push({ on, args, expect, code: r.code, ok, stderr: r.stderr.slice(0, 600) + (r.timedOut ? ' (timed out)' : ''), seconds: r.seconds });
    // A foreground step that did not do what the scenario expects ends the scenario (the rest would only fail after it).
    if (!ok && !bg) throw new Error(`virsh ${args.join(' ')} → ${r.code} (expected ${expect}): ${r.stderr.split('\n').slice(-1)[0]}`);
    return r;
  };
  const version = qemu === QEMU_10_WRAPPER ? '10.0' : '7.2';
  const ctx: Ctx = {
    name: s.name,
    dir,
    qemu,
    version,
    src,
    dst,
    steps,
    notes,
    virsh: (on, args, expect = 'ok', timeoutMs = WAIT_MS) => record(on, args, expect, timeoutMs, false),
    virshBg: (on, args, expect = 'ok', timeoutMs = WAIT_MS) => record(on, args, expect, timeoutMs, true),
    domainXml: (o = {}) => {
      const rnd = join(dir, 'ram.bin');
      if (!existsSync(rnd)) writeFileSync(rnd, randomBytes((o.randomMiB ?? 4) * 1024 * 1024));
      const f = join(dir, 'domain.xml');
      let kernel: string | undefined;
      if (o.dirty) writeFileSync((kernel = join(dir, 'dirty.bin')), DIRTY_KERNEL);
      writeFileSync(f, domainXml({ qemu, memMiB: o.memMiB ?? 128, loader: rnd, kernel }));
      return f;
    },
    migrateArgs: async (extra = []) => {
      const port = await freePort();
      return [daemon('dst').uri, '--migrateuri', `tcp:127.0.0.1:${port}`, '--listen-address', '127.0.0.1', ...extra];
    },
    logSize: (on) => (existsSync(daemon(on).logFile) ? statSync(daemon(on).logFile).size : 0),
    waitMigration: async (on, status, from = 0) => {
      const re = new RegExp(`QEMU_MONITOR_RECV_EVENT.*"event":\\s*"MIGRATION".*"status":\\s*"${status}"`);
      const running = [...bgRunning];
      await waitFor(`MIGRATION ${status} in the ${on} log`, WAIT_MS, () => {
        if (re.test(readFileSync(daemon(on).logFile, 'utf8').slice(from))) return true;
        const ended = running.find((x) => x.result);
        if (ended) throw new Error(`no MIGRATION ${status} in the ${on} log, and virsh ${ended.args.join(' ')} has ended (${ended.result!.code}): ${ended.result!.stderr.split('\n').slice(-1)[0]}`);
        return false;
      }, 25);
    },
  };
  let error: string | null = null;
  try {
    await src.start();
    if (dst) await dst.start();
    await s.run(ctx);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  // Tear down: domains destroyed, daemons stopped by pid, any QEMU left ended by pid.
  for (const d of [src, dst]) {
    if (!d) continue;
    try {
      await d.shutdown();
    } catch (e) {
      error ??= `teardown: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const logs: ScenarioResult['logs'] = [];
  for (const { role, file } of logFiles(s)) {
    const d = role === 'dst' ? dst! : src;
    const to = join(outDir, file);
    d.copyLog(to);
    logs.push({ role, file, qmp: qmpSeen(readFileSync(to, 'utf8')) });
  }
  for (const l of logs) {
    const seen = { ...l.qmp.commands, ...l.qmp.events };
    const missing = ((version === '10.0' ? s.qmp10 : undefined)?.[l.role] ?? s.qmp[l.role] ?? []).filter((x) => !seen[x]);
    if (missing.length) error ??= `${l.file}: expected ${missing.join(', ')}, not in the log`;
  }
  const leftQemu = [src, dst].flatMap((d) => d?.qemuPids() ?? []);
  if (leftQemu.length) error ??= `QEMU left running: ${leftQemu.map((q) => q.pid).join(' ')}`;
  for (const d of [src, dst]) if (d?.child && pidAlive(d.pid)) error ??= `libvirtd ${d.pid} left running`;
  removeTempDir(dir);
  return { scenario: s.name, ok: error === null && steps.every((x) => x.ok), error, seconds: (Date.now() - t0) / 1000, qemu, steps, logs, notes };
}

/**
 * A 56-byte multiboot kernel (a.out kludge, loaded at 1 MiB) whose one vCPU writes one word in each
 * 4 KiB page of 32..36 MiB, round and round: 4 MiB that stay dirty, so a precopy at 1 MiB/s never
 * converges (for --postcopy-after-precopy, which otherwise completes in precopy on an idle guest).
 * It keeps one host core busy while it runs.
 */
export const DIRTY_KERNEL = (() => {
  const b = Buffer.alloc(0x38);
  const flags = 0x00010000; // MULTIBOOT_AOUT_KLUDGE: the address fields below are valid
  [0x1badb002, flags, (-(0x1badb002 + flags)) >>> 0, 0x100000, 0x100000, 0, 0, 0x100020].forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  Buffer.from([
    0xbf, 0x00, 0x00, 0x00, 0x02, // 0x20: mov edi, 0x02000000
    0x89, 0x07, //                   0x25: mov [edi], eax
    0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, // add edi, 0x1000
    0x40, //                          inc eax
    0x81, 0xff, 0x00, 0x00, 0x40, 0x02, // cmp edi, 0x02400000
    0x72, 0xef, //                    jb 0x25
    0xeb, 0xe8, //                    jmp 0x20
  ]).copy(b, 0x20);
  return b;
})();

export function domainXml(o: { qemu: string; memMiB: number; loader: string; name?: string; kernel?: string }): string {
  return `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${o.name ?? DOM}</name>
  <memory unit='MiB'>${o.memMiB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>${o.kernel ? `<kernel>${o.kernel}</kernel>` : ''}</os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>${o.qemu}</emulator>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='loader,file=${o.loader},addr=0x1000000'/>
  </qemu:commandline>
</domain>
`;
}

/** Runs scenarios `jobs` at a time; results in the order given. */
export async function runScenarios(list: Scenario[], outDir: string, o: { qemu?: string; jobs?: number; onDone?: (r: ScenarioResult) => void } = {}): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const i = next++;
      results[i] = await runScenario(list[i], outDir, o.qemu ?? SYSTEM_QEMU);
      o.onDone?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs ?? 2) }, worker));
  return results;
}

