// Launching QEMU for migration tests: one VM per role, spawned from an argument array (never a
// shell) in a private temp folder, with its QMP socket there. Every process started here is
// registered and ended by its pid (SIGTERM, then SIGKILL after a grace period, waiting for the
// exit) when it is disposed, and when the run gets SIGINT/SIGTERM or exits (handlers installed
// once). Temp folders are removed. stderr is captured: QEMU says there why it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { threadId } from 'node:worker_threads';
import { join } from 'node:path';
import { QmpClient, QmpProtocolError } from './qmp.ts';
import { TraceRecorder, type VmName } from './trace.ts';
import { procStat } from './proc.ts';
import { dirtyLoopArgs } from './guest-firmware.ts';

export const DEFAULT_QEMU = 'qemu-system-x86_64';
/** Temp folders of this launcher are named so (in os.tmpdir()). */
export const TEMP_PREFIX = 'migstate-qemu-';
const GRACE_MS = 1500;

// ---- the record a run leaves on disk, for the next run if this one is SIGKILLed ---------------

/**
 * A SIGKILLed run cannot end what it started. So each run keeps a record of its QEMU processes
 * (pid, start time, process group) and temp folders in `<tmpdir>/migstate-runs/<pid>.json`, and
 * removes it when it ends. The next run (or `migstate conformance --reap`) reads the records of runs
 * that are gone and ends what they left: only a process whose pid and start time (/proc/PID/stat)
 * are the recorded ones, so a pid the system gave to another process since is never touched.
 */
export const RUNS_DIR = () => join(tmpdir(), 'migstate-runs');
interface RunRecord {
  pid: number;
  start: string;
  processes: { pid: number; start: string; group: boolean; what: string }[];
  dirs: string[];
}

/** A process's start time since boot (field 22 of /proc/PID/stat), '' when it is gone. */
export function startTimeOf(pid: number): string {
  return procStat(pid)?.[19] ?? '';
}

let recordFile: string | null = null;
function writeRecord(): void {
  try {
    const dir = RUNS_DIR();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    recordFile ??= join(dir, `${process.pid}${threadId ? '-' + threadId : ''}.json`); // worker threads share the pid
    const rec: RunRecord = {
      pid: process.pid,
      start: startTimeOf(process.pid),
      processes: [...live.keys()].map((pid) => ({ pid, start: startTimeOf(pid), group: groupLeaders.has(pid), what: live.get(pid)!.what })),
      dirs: [...tempDirs],
    };
    // Written whole, then renamed: a run killed mid-write leaves the previous record, not half of one.
    writeFileSync(recordFile + '.tmp', JSON.stringify(rec), { mode: 0o600 });
    renameSync(recordFile + '.tmp', recordFile);
  } catch {
    /* a record that cannot be written: only the reaping after a SIGKILL is lost */
  }
}
function dropRecord(): void {
  if (!recordFile) return;
  try {
    unlinkSync(recordFile);
    rmdirSync(RUNS_DIR()); // only when no other run keeps a record there (ENOTEMPTY otherwise)
  } catch {
    /* gone, or other runs' records */
  }
}

export interface Reaped {
  runs: number;
  processes: { pid: number; what: string }[];
  dirs: string[];
}

/** Ends what runs that are gone (SIGKILLed) left behind: their processes (proven by start time) and temp folders. */
export function reapLeftovers(): Reaped {
  const out: Reaped = { runs: 0, processes: [], dirs: [] };
  const dir = RUNS_DIR();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^\d+(-\d+)?\.json$/.test(f));
  } catch {
    return out;
  }
  for (const f of files) {
    let rec: RunRecord;
    try {
      rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as RunRecord;
    } catch {
      continue;
    }
    if (rec.pid === process.pid || (pidAlive(rec.pid) && startTimeOf(rec.pid) === rec.start)) continue; // a live run
    out.runs++;
    for (const x of rec.processes ?? []) {
      if (!pidAlive(x.pid) || startTimeOf(x.pid) !== x.start) continue;
      try {
        process.kill(x.group ? -x.pid : x.pid, 'SIGKILL');
        out.processes.push({ pid: x.pid, what: x.what });
      } catch {
        /* gone meanwhile */
      }
    }
    // Only folders this launcher makes: <tmpdir>/migstate-*.
    for (const d of rec.dirs ?? []) {
      if (!d.startsWith(join(tmpdir(), 'migstate-')) || !existsSync(d)) continue;
      rmSync(d, { recursive: true, force: true });
      out.dirs.push(d);
    }
    try {
      unlinkSync(join(dir, f));
    } catch {
      /* another run reaped it */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* records of live runs */
  }
  return out;
}

// ---- the registry of everything this process started ------------------------------------------

interface Entry {
  child: ChildProcess;
  what: string;
}
const live = new Map<number, Entry>();
/**
 * Children started as the leader of their own process group (QEMU, detached): signals go to the
 * group, so a --qemu wrapper script that runs QEMU without exec is ended with the QEMU it started.
 * The group holds only our child and its descendants.
 */
const groupLeaders = new Set<number>();
/** Signals a process we started, or its whole group where it leads one. */
function signal(pid: number, sig: NodeJS.Signals): void {
  process.kill(groupLeaders.has(pid) ? -pid : pid, sig);
}
const started: { pid: number; what: string }[] = [];
const tempDirs = new Set<string>();
let handlersInstalled = false;

/** The pids of processes started here that have not exited yet. */
export function livePids(): number[] {
  return [...live.keys()];
}

/** Every process started here so far (pid and what it was), exited or not. */
export function startedProcesses(): readonly { pid: number; what: string }[] {
  return started;
}

/** Whether a pid names a live (not zombie) process. */
export function pidAlive(pid: number): boolean {
  const f = procStat(pid);
  return f !== null && f[0][0] !== 'Z';
}

/** Temp folders made here and not removed yet. */
export function liveTempDirs(): string[] {
  return [...tempDirs];
}

function killAllNow(sig: NodeJS.Signals) {
  for (const [pid] of live) {
    try {
      signal(pid, sig);
      if (sig === 'SIGTERM') signal(pid, 'SIGCONT'); // a stopped process gets SIGTERM only once continued
    } catch {
      /* already gone */
    }
  }
}

function removeTempDirsNow() {
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort at exit */
    }
    tempDirs.delete(d);
  }
}

/** Ends every registered process (by pid) and removes the temp folders; resolves when all exited. */
export async function disposeAll(): Promise<void> {
  await Promise.all([...live.values()].map((e) => endProcess(e.child)));
  removeTempDirsNow();
  if (!live.size) dropRecord();
}

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (sig: NodeJS.Signals) => {
    // End our processes by pid, wait (bounded) for them, then exit as the signal would have.
    const code = sig === 'SIGINT' ? 130 : 143;
    const hard = setTimeout(() => {
      killAllNow('SIGKILL');
      removeTempDirsNow();
      process.exit(code);
    }, GRACE_MS + 500);
    disposeAll().finally(() => {
      clearTimeout(hard);
      process.exit(code);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    killAllNow('SIGKILL');
    removeTempDirsNow();
    dropRecord();
  });
}

/** Registers a child process started elsewhere (helpers), so it is ended like the VMs. */
export function register(child: ChildProcess, what: string): void {
  installHandlers();
  if (child.pid === undefined) return;
  const pid = child.pid;
  live.set(pid, { child, what });
  started.push({ pid, what });
  writeRecord();
  child.once('exit', () => {
    live.delete(pid);
    endGroup(pid); // a leader that exited leaves nothing of its group behind
    writeRecord();
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', on);
      resolve(false);
    }, timeoutMs);
    const on = () => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', on);
  });
}

/** SIGTERM by pid, SIGKILL after the grace period; resolves once the process has exited. */
export async function endProcess(child: ChildProcess, graceMs = GRACE_MS): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || exited(child)) return;
  try {
    signal(pid, 'SIGTERM');
    signal(pid, 'SIGCONT');
  } catch {
    /* gone */
  }
  if (await waitExit(child, graceMs)) return;
  try {
    signal(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  if (!(await waitExit(child, 5000))) throw new Error(`process ${pid} did not exit after SIGKILL`);
}

/** The leader exited: what is left of its group (a QEMU a wrapper started) gets SIGKILL. Called on every registered child's exit (register). */
function endGroup(pid: number): void {
  if (!groupLeaders.has(pid)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* the group is empty */
  }
  groupLeaders.delete(pid);
}

/** A private temp folder (mode 0700), removed by removeTempDir or at exit. */
export function makeTempDir(prefix = TEMP_PREFIX): string {
  installHandlers();
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  writeRecord();
  return d;
}

export function removeTempDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
  if (live.size || tempDirs.size) writeRecord();
  else dropRecord(); // nothing left to reap
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

// ---- one VM --------------------------------------------------------------------------------------

export interface VmOptions {
  name: VmName;
  /** The QEMU binary (default qemu-system-x86_64 on PATH). */
  qemu?: string;
  /** Folder for the QMP socket (a private temp folder). */
  dir: string;
  /** Destination: `-incoming defer` or `-incoming <uri>`. */
  incoming?: 'defer' | string;
  /** Start with -S. */
  paused?: boolean;
  /** The accelerator (default tcg). kvm only where kvmUsable(). */
  accel?: 'tcg' | 'kvm';
  extraArgs?: readonly string[];
  trace?: TraceRecorder;
  /** Wait this long for the QMP socket and the greeting. */
  startTimeoutMs?: number;
}

export class VmStartError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'VmStartError';
  }
}

/**
 * Can this process use KVM (/dev/kvm readable and writable)? The conformance runs use TCG; only
 * the COLO checkpoint scenario needs KVM: under TCG 7.2's COLO primary deadlocks after its first
 * checkpoint (docs/findings.md F7).
 */
export function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function qemuArgs(o: Pick<VmOptions, 'dir' | 'name' | 'incoming' | 'paused' | 'accel' | 'extraArgs'>): string[] {
  const args = ['-M', 'pc', '-m', '64', '-nodefaults', '-display', 'none', '-accel', o.accel ?? 'tcg', '-qmp', `unix:${join(o.dir, `${o.name}.sock`)},server=on,wait=off`];
  if (o.incoming !== undefined) args.push('-incoming', o.incoming);
  if (o.paused) args.push('-S');
  args.push(...(o.extraArgs ?? []));
  return args;
}

export class Vm {
  stderr = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly name: VmName,
    readonly child: ChildProcess,
    readonly socketPath: string,
    readonly args: readonly string[],
    public qmp: QmpClient | null = null,
  ) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (this.stderr.length < 64 * 1024) this.stderr += d;
    });
    child.stdout?.resume();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** null while running; the exit code/signal once exited. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitInfo;
  }

  get client(): QmpClient {
    if (!this.qmp) throw new Error(`${this.name}: no QMP connection`);
    return this.qmp;
  }

  static async launch(o: VmOptions): Promise<Vm> {
    const args = qemuArgs(o);
    const socketPath = join(o.dir, `${o.name}.sock`);
    const child = spawn(o.qemu ?? DEFAULT_QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: o.dir, detached: true });
    if (child.pid !== undefined) groupLeaders.add(child.pid);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new VmStartError(`cannot start ${o.qemu ?? DEFAULT_QEMU}: ${e.message}`, '')));
    });
    register(child, `qemu ${o.name}`);
    const vm = new Vm(o.name, child, socketPath, args);
    const timeoutMs = o.startTimeoutMs ?? 10_000;
    const deadline = performance.now() + timeoutMs;
    try {
      // The socket appears once QEMU has parsed its options; it may die first (bad option, ...).
      while (!existsSync(socketPath) || !statSync(socketPath).isSocket()) {
        if (vm.exit) throw new VmStartError(`${o.name}: QEMU exited before its QMP socket appeared (${JSON.stringify(vm.exit)}): ${vm.stderr.trim()}`, vm.stderr);
        if (performance.now() > deadline) throw new VmStartError(`${o.name}: no QMP socket after ${timeoutMs} ms`, vm.stderr);
        await new Promise((r) => setTimeout(r, 10));
      }
      // The socket file exists from bind(); until listen() a connect is refused: retry until the deadline.
      for (;;) {
        try {
          vm.qmp = await QmpClient.connect(socketPath, {
            timeoutMs: Math.max(1000, deadline - performance.now()),
            recorder: o.trace?.recorderFor(o.name),
            t0: o.trace?.t0,
          });
          return vm;
        } catch (e) {
          const refused = e instanceof QmpProtocolError && /ECONNREFUSED|ENOENT/.test(e.message);
          if (!refused || vm.exit || performance.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    } catch (e) {
      await vm.dispose();
      if (e instanceof VmStartError) throw e;
      throw new VmStartError(`${o.name}: ${(e as Error).message}; stderr: ${vm.stderr.trim()}`, vm.stderr);
    }
  }

  /** SIGKILL now (a fault), then wait for the exit. */
  async kill(): Promise<void> {
    if (!this.exit) {
      try {
        signal(this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await this.exited;
    this.qmp?.close();
  }

  /** Closes QMP and ends the process (SIGTERM, SIGKILL after the grace period). */
  async dispose(): Promise<void> {
    this.qmp?.close();
    await endProcess(this.child);
  }
}

// ---- a pair ------------------------------------------------------------------------------------

export interface PairOptions {
  qemu?: string;
  /** `defer`: -incoming defer; `uri`: -incoming tcp:127.0.0.1:<free port>. */
  incoming?: 'defer' | 'uri';
  sourcePaused?: boolean;
  destinationPaused?: boolean;
  /** Start the source only; the destination comes later (Pair.launchMore: a restore after a save). */
  destinationLater?: boolean;
  accel?: 'tcg' | 'kvm';
  /** -uuid on each command line (system/vl.c: qemu_uuid): what validate-uuid compares. */
  uuids?: { source?: string; destination?: string };
  /** Both processes boot this firmware instead of SeaBIOS (qemu/guest-firmware.ts: 'dirty-loop' dirties memory). */
  firmware?: 'dirty-loop';
  /** JSON-lines trace file (null or absent: in memory only). */
  traceFile?: string | null;
  trace?: TraceRecorder;
}

const uuidArgs = (uuid: string | undefined): string[] => (uuid ? ['-uuid', uuid] : []);

export class Pair {
  private disposed = false;
  /** Every process of the run by name, in launch order: the pair's two and those launched later. */
  private readonly processes = new Map<VmName, Vm>();
  /** The port each process listens on (`-incoming tcp:` or, for defer, the one to give migrate-incoming). */
  private readonly ports = new Map<VmName, number>();
  constructor(
    readonly source: Vm,
    destination: Vm | null,
    readonly trace: TraceRecorder,
    readonly dir: string,
    /** The port the destination listens on (`-incoming tcp:` or, for defer, the one to give migrate-incoming). */
    readonly port: number,
    private readonly ownsTrace: boolean,
    private readonly launchOptions: Pick<PairOptions, 'qemu' | 'accel'> = {},
  ) {
    this.processes.set('source', source);
    this.ports.set('destination', port);
    if (destination) this.processes.set('destination', destination);
  }

  get uri(): string {
    return `tcp:127.0.0.1:${this.port}`;
  }

  /** The destination process (an error if the run has not launched it yet). */
  get destination(): Vm {
    return this.vm('destination');
  }

  vm(name: VmName): Vm {
    const v = this.processes.get(name);
    if (!v) throw new Error(`no QEMU process named ${JSON.stringify(name)} in this run (processes: ${[...this.processes.keys()].join(', ')})`);
    return v;
  }

  has(name: VmName): boolean {
    return this.processes.has(name);
  }

  /** Where the process `name` listens (a port taken now for one not launched yet). */
  async uriOf(name: VmName): Promise<string> {
    let port = this.ports.get(name);
    if (port === undefined) this.ports.set(name, (port = await freePort()));
    return `tcp:127.0.0.1:${port}`;
  }

  /**
   * Starts one more QEMU in the run's folder, recorded in the same trace: the destination of a pair
   * started without one, or a further process (C of A→B→C). Ended with the pair.
   */
  async launchMore(name: VmName, o: { incoming: 'defer' | 'uri'; paused?: boolean }): Promise<Vm> {
    if (this.disposed) throw new Error('the pair is disposed');
    if (this.processes.has(name)) throw new Error(`a QEMU process named ${JSON.stringify(name)} is already in this run`);
    const incoming = o.incoming === 'uri' ? await this.uriOf(name) : 'defer';
    this.trace.note({ launch: name, incoming, paused: !!o.paused });
    const vm = await Vm.launch({ name, qemu: this.launchOptions.qemu, dir: this.dir, incoming, paused: o.paused, accel: this.launchOptions.accel, trace: this.trace });
    this.processes.set(name, vm);
    return vm;
  }

  static async launch(o: PairOptions = {}): Promise<Pair> {
    const dir = makeTempDir();
    const ownsTrace = !o.trace;
    const trace = o.trace ?? new TraceRecorder(o.traceFile ?? null);
    let dst: Vm | null = null;
    try {
      const port = await freePort();
      const incoming = o.incoming === 'uri' ? `tcp:127.0.0.1:${port}` : 'defer';
      trace.note({ launch: 'pair', dir, incoming, sourcePaused: !!o.sourcePaused, destinationPaused: !!o.destinationPaused, accel: o.accel ?? 'tcg', ...(o.firmware ? { firmware: o.firmware } : {}) });
      const fw = o.firmware === 'dirty-loop' ? dirtyLoopArgs(dir) : [];
      const [d, s] = await Promise.allSettled([
        o.destinationLater ? Promise.resolve(null) : Vm.launch({ name: 'destination', qemu: o.qemu, dir, incoming, paused: o.destinationPaused, accel: o.accel, trace, extraArgs: [...fw, ...uuidArgs(o.uuids?.destination)] }),
        Vm.launch({ name: 'source', qemu: o.qemu, dir, paused: o.sourcePaused, accel: o.accel, trace, extraArgs: [...fw, ...uuidArgs(o.uuids?.source)] }),
      ]);
      if (d.status === 'fulfilled') dst = d.value;
      if (s.status === 'rejected' || d.status === 'rejected') {
        if (s.status === 'fulfilled') await s.value.dispose();
        throw s.status === 'rejected' ? s.reason : (d as PromiseRejectedResult).reason;
      }
      return new Pair(s.value, d.value, trace, dir, port, ownsTrace, { qemu: o.qemu, accel: o.accel });
    } catch (e) {
      await dst?.dispose();
      removeTempDir(dir);
      if (ownsTrace) trace.close();
      throw e;
    }
  }

  /** Ends both VMs (by pid), removes the temp folder, closes the trace if it owns it. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.processes.values()].map((v) => v.dispose()));
    removeTempDir(this.dir);
    if (this.ownsTrace) this.trace.close();
  }
}
