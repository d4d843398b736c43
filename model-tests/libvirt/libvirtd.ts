// A private libvirtd for the tests: its own config, socket, run, state, cache and log folders under a
// temp dir, none of the system's.
//
// As root, libvirtd's qemu driver uses compiled-in paths (/etc/libvirt, /run/libvirt,
// /var/lib/libvirt, /var/cache/libvirt, /var/log/libvirt); XDG_* is honoured only by session
// (non-root) daemons. So each daemon runs in its own mount namespace (`unshare -m`, propagation
// private) in which those five folders are bind mounts of the daemon's own folders; the QEMU
// processes it starts inherit that namespace. Its sockets are in `unix_sock_dir`, a folder of its
// temp dir that every namespace sees, so virsh reaches it as qemu+unix:///system?socket=PATH.
// `unshare` (no --fork) execs `sh`, which execs libvirtd: the pid we spawn is the daemon's.
//
// The mount points must exist on the host: the Debian packages the project installs
// (libvirt-daemon, -driver-qemu, -clients) do not create them, so `ensureMountPoints` makes the
// missing ones, empty (nothing is ever written to them outside a namespace: they are only mounted over).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LIBVIRTD = '/usr/sbin/libvirtd';
export const VIRSH = '/usr/bin/virsh';
export const SYSTEM_QEMU = '/usr/bin/qemu-system-x86_64';
/** The folders libvirtd uses as root (compiled in); each daemon gets its own over each of them. */
export const SYSTEM_DIRS = { etc: '/etc/libvirt', run: '/run/libvirt', lib: '/var/lib/libvirt', cache: '/var/cache/libvirt', log: '/var/log/libvirt' } as const;
type DirKey = keyof typeof SYSTEM_DIRS;

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

/** Why the libvirt tests cannot run here, or null when they can. */
export function libvirtUnavailable(): string | null {
  if (!existsSync(LIBVIRTD)) return `${LIBVIRTD} is not installed (apt-get install libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)`;
  if (!existsSync(VIRSH)) return `${VIRSH} is not installed (apt-get install libvirt-clients)`;
  if (!existsSync('/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so')) return 'the libvirt qemu driver is not installed (libvirt-daemon-driver-qemu)';
  if (process.getuid?.() !== 0) return 'not root: a private system libvirtd needs a mount namespace (unshare -m) and bind mounts';
  if (spawnSync('unshare', ['--version']).status !== 0) return 'unshare (util-linux) is missing';
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']);
  if (probe.status !== 0) return `unshare -m does not work here: ${String(probe.stderr).trim()}`;
  if (!existsSync(SYSTEM_QEMU)) return `${SYSTEM_QEMU} is not installed`;
  return null;
}

/** The libvirt-qemu user and group: Debian's libvirtd (qemu driver) refuses to start without them, whatever qemu.conf says. */
export function ensureQemuUser(): void {
  if (process.getuid?.() !== 0) return;
  if (spawnSync('getent', ['group', 'libvirt-qemu']).status !== 0) spawnSync('groupadd', ['--system', 'libvirt-qemu'], { stdio: 'inherit' });
  if (spawnSync('getent', ['passwd', 'libvirt-qemu']).status !== 0)
    spawnSync('useradd', ['--system', '-g', 'libvirt-qemu', '-d', '/var/lib/libvirt', '-M', '-s', '/usr/sbin/nologin', 'libvirt-qemu'], { stdio: 'inherit' });
}

export function ensureMountPoints(): void {
  for (const d of Object.values(SYSTEM_DIRS)) if (!existsSync(d)) mkdirSync(d, { recursive: true, mode: 0o755 });
}

// ---- everything started here, ended by pid on exit --------------------------------------------

const liveDaemons = new Set<Libvirtd>();
let handlersInstalled = false;
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const hard = () => {
    for (const d of liveDaemons) d.killNow();
  };
  process.once('exit', hard);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      hard();
      process.exit(130);
    });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie counts as gone.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, cond: () => T | Promise<T>, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---- virsh ---------------------------------------------------------------------------------------

export interface VirshResult {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
}

/** Runs virsh against `uri`, ended by pid (SIGKILL) after `timeoutMs`. Never throws. */
export function virsh(uri: string, args: string[], timeoutMs = 60_000): { child: ChildProcess; done: Promise<VirshResult> } {
  const t0 = Date.now();
  const child = spawn(VIRSH, ['-q', '-c', uri, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.on('data', (b) => (stderr += b));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(child.pid, 'SIGKILL');
  }, timeoutMs);
  const done = new Promise<VirshResult>((resolve) => {
    child.on('error', (e) => (stderr += String(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ args, code, stdout, stderr: stderr.trim(), seconds: (Date.now() - t0) / 1000, timedOut });
    });
  });
  return { child, done };
}

// ---- one daemon ------------------------------------------------------------------------------------

export interface LibvirtdOptions {
  /** The folder to make the daemon's folders in (made if missing). */
  dir: string;
  /** libvirtd.conf host_uuid: two daemons that migrate to each other must differ. */
  hostUuid: string;
  logFilters?: string;
}

export class Libvirtd {
  readonly dir: string;
  readonly dirs: Record<DirKey | 'sock', string>;
  readonly conf: string;
  readonly logFile: string;
  readonly uri: string;
  child: ChildProcess | null = null;
  pid = 0;
  private exited: Promise<void> = Promise.resolve();
  private startScript: string;

  constructor(readonly opts: LibvirtdOptions) {
    this.dir = opts.dir;
    const d = (n: string) => join(this.dir, n);
    this.dirs = { etc: d('etc'), run: d('run'), lib: d('lib'), cache: d('cache'), log: d('log'), sock: d('sock') };
    for (const x of Object.values(this.dirs)) mkdirSync(x, { recursive: true, mode: 0o700 });
    this.conf = join(this.dirs.etc, 'libvirtd.conf');
    this.logFile = join(this.dirs.log, 'libvirtd.log');
    this.uri = `qemu+unix:///system?socket=${join(this.dirs.sock, 'libvirt-sock')}`;
    const logFilters = opts.logFilters ?? '1:qemu.qemu_monitor 1:qemu.qemu_monitor_json 3:*';
    writeFileSync(
      this.conf,
      [
        `unix_sock_dir = "${this.dirs.sock}"`,
        'unix_sock_group = "root"',
        'unix_sock_ro_perms = "0700"',
        'unix_sock_rw_perms = "0700"',
        'unix_sock_admin_perms = "0700"',
        'auth_unix_ro = "none"',
        'auth_unix_rw = "none"',
        `host_uuid = "${opts.hostUuid}"`,
        `log_filters = "${logFilters}"`,
        `log_outputs = "1:file:${this.logFile}"`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(this.dirs.etc, 'qemu.conf'),
      [
        'user = "root"',
        'group = "root"',
        'security_driver = "none"',
        'cgroup_controllers = [ ]',
        'namespaces = [ ]',
        // QEMU's stdout/stderr straight to /var/log/libvirt/qemu/NAME.log (the daemon's own), no virtlogd.
        'stdio_handler = "file"',
        '',
      ].join('\n'),
    );
    const binds = (Object.keys(SYSTEM_DIRS) as DirKey[]).map((k) => `mount --bind '${this.dirs[k]}' '${SYSTEM_DIRS[k]}'`);
    this.startScript = join(this.dir, 'start.sh');
    writeFileSync(
      this.startScript,
      ['set -e', 'mount --make-rprivate /', ...binds, `exec ${LIBVIRTD} --config '${this.conf}' --pid-file '${join(this.dirs.run, 'libvirtd.pid')}'`, ''].join('\n'),
    );
  }

  /** Starts the daemon and waits until virsh gets an answer from it. */
  async start(): Promise<void> {
    if (this.child) throw new Error('libvirtd already started');
    installHandlers();
    const out = openSync(join(this.dirs.log, 'libvirtd.stdout'), 'a');
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', this.startScript], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    this.pid = child.pid!;
    liveDaemons.add(this);
    this.exited = new Promise((r) => child.once('exit', () => r()));
    child.once('exit', () => {
      if (this.child === child) {
        this.child = null;
        liveDaemons.delete(this);
      }
    });
    const sock = join(this.dirs.sock, 'libvirt-sock');
    try {
      await waitFor(`libvirtd ${this.dir} socket`, START_TIMEOUT_MS, () => {
        if (!this.child) throw new Error(`libvirtd exited at start: ${this.tail()}`);
        return existsSync(sock);
      });
      await waitFor(`libvirtd ${this.dir} to answer`, START_TIMEOUT_MS, async () => {
        if (!this.child) throw new Error(`libvirtd exited at start: ${this.tail()}`);
        return (await virsh(this.uri, ['uri'], 10_000).done).code === 0;
      }, 200);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** The last lines of the daemon's stdout and log, for error messages. */
  tail(): string {
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-6).join('\n') : '');
    return `${read(join(this.dirs.log, 'libvirtd.stdout'))}\n${read(this.logFile)
      .split('\n')
      .filter((l) => / error : /.test(l))
      .join('\n')}`;
  }

  /** The QEMU pids the daemon wrote (its /run/libvirt/qemu/NAME.pid), alive ones only. */
  qemuPids(): { name: string; pid: number }[] {
    const d = join(this.dirs.run, 'qemu');
    if (!existsSync(d)) return [];
    const out: { name: string; pid: number }[] = [];
    for (const f of readdirSync(d)) {
      if (!f.endsWith('.pid')) continue;
      const pid = Number(readFileSync(join(d, f), 'utf8').trim());
      if (pid > 0 && pidAlive(pid) && /qemu/.test(safeRead(`/proc/${pid}/cmdline`))) out.push({ name: f.slice(0, -4), pid });
    }
    return out;
  }

  /** SIGTERM to the daemon's pid, SIGKILL after a grace period. Leaves its QEMU processes running (as libvirtd does). */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    const child = this.child;
    if (!child) return;
    const pid = this.pid;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    const t = await Promise.race([this.exited.then(() => 'exited'), sleep(graceMs).then(() => 'timeout')]);
    if (t === 'timeout') {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await Promise.race([this.exited, sleep(5_000)]);
    }
    this.child = null;
    liveDaemons.delete(this);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Destroys every domain (by virsh, then by pid), stops the daemon, and checks no QEMU of it is left. */
  async shutdown(): Promise<void> {
    if (this.child) {
      const list = await virsh(this.uri, ['list', '--name'], 20_000).done;
      for (const name of list.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) await virsh(this.uri, ['destroy', name], 20_000).done;
    }
    await this.stop();
    await this.killQemus();
  }

  /** Ends by pid any QEMU this daemon started that is still running (SIGTERM, then SIGKILL). */
  async killQemus(): Promise<void> {
    let left = this.qemuPids();
    for (const { pid } of left) tryKill(pid, 'SIGTERM');
    if (left.length) await waitFor('QEMU to exit', 5_000, () => this.qemuPids().length === 0).catch(() => undefined);
    left = this.qemuPids();
    for (const { pid } of left) tryKill(pid, 'SIGKILL');
    if (left.length) await waitFor('QEMU to exit after SIGKILL', 5_000, () => this.qemuPids().length === 0);
  }

  /** Synchronous last resort (process exit): SIGKILL the daemon and its QEMUs by pid. */
  killNow(): void {
    if (this.child) tryKill(this.pid, 'SIGKILL');
    for (const { pid } of this.qemuPids()) tryKill(pid, 'SIGKILL');
  }

  copyLog(to: string): void {
    if (existsSync(this.logFile)) copyFileSync(this.logFile, to);
    else writeFileSync(to, '');
  }
}

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

function safeRead(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

export function makeTempDir(prefix = 'migstate-libvirt-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTempDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
}
