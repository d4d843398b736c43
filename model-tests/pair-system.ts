// The system-under-test interface of the fast-check command sequences (model-tests/properties*.test.ts),
// and its real-QEMU adapter: a pair launched with qemu/vm.ts, each command sent over QMP and compared
// with the model by the conformance runner's closure-based comparison (qemu/conformance.ts LiveRun:
// the reply must be one the model gives in a state internal events reach, and every status, run state
// and MIGRATION event seen must be explained the same way).
import type { FAULTS, PairReply, Profile, Side } from '../machines/index.ts';
import { LiveRun, type Mismatch, type QmpStep } from '../qemu/conformance.ts';
import type { QmpArgs } from '../qemu/qmp.ts';

/** What the tests need from a system under test: two processes, commands, internal progress, faults. */
export interface MigrationPairSystem {
  /** Starts both processes (-incoming defer|uri; -S on either). */
  start(input: { incoming: 'defer' | 'uri'; sourcePaused: boolean; destinationPaused: boolean }): Promise<void>;
  /** Sends a QMP command; `exited` if the process is gone. */
  qmp(vm: Side, command: string, args?: Record<string, unknown>): Promise<PairReply>;
  /** Lets QEMU's threads take one synchronised step (real QEMU: wait until it shows). */
  settle(sync: string): Promise<void>;
  /** Injects a fault (real QEMU: break the socket, kill a process). */
  fault(fault: (typeof FAULTS)[number]): Promise<void>;
  /** The migration status and run state of a process, or null if it exited. */
  observe(vm: Side): Promise<{ status: string; runstate: string } | null>;
  stop(): Promise<void>;
}

/**
 * Real QEMU behind the interface. URIs in arguments are replaced by the pair's: `migrate` and
 * `migrate-incoming` use the destination's port, `migrate` with resume and `migrate-recover` a
 * recovery port. Every command is sent as racy (QEMU moves by itself between commands: the reply is
 * compared with every state internal events reach). Mismatches accumulate in `mismatches`.
 */
export class QemuPairSystem implements MigrationPairSystem {
  live: LiveRun | null = null;
  constructor(
    readonly p: Profile,
    readonly name: string,
    readonly traceFile: string,
    readonly qemu?: string,
  ) {}

  get mismatches(): readonly Mismatch[] {
    return this.live?.mismatches ?? [];
  }

  private run(): LiveRun {
    if (!this.live) throw new Error('the pair is not started');
    return this.live;
  }

  async start(input: { incoming: 'defer' | 'uri'; sourcePaused: boolean; destinationPaused: boolean }): Promise<void> {
    this.live = await LiveRun.start(this.p, { name: this.name, description: `fast-check sequence ${JSON.stringify(input)}`, ...input }, { qemu: this.qemu, traceFile: this.traceFile });
  }

  static uriFor(command: string, args: QmpArgs | undefined): QmpArgs | undefined {
    if (!args || typeof args.uri !== 'string') return args;
    const uri = command === 'migrate-recover' || (command === 'migrate' && args.resume) ? '$RECOVER_URI' : '$DST_URI';
    return { ...args, uri };
  }

  async qmp(vm: Side, command: string, args?: Record<string, unknown>): Promise<PairReply> {
    const live = this.run();
    if (live.dead(vm)) return { exited: true };
    const step: QmpStep = { vm, qmp: command, racy: true, ...(args ? { arguments: QemuPairSystem.uriFor(command, args) } : {}), ...(command === 'yank' ? { oob: true } : {}) };
    await live.step(step);
    const r = live.lastReply;
    if (!r) return { exited: true };
    return r.ok ? { return: r.return } : { error: r.error };
  }

  async settle(_sync: string): Promise<void> {
    await this.run().step({ sleep: 300 });
  }

  async fault(f: (typeof FAULTS)[number]): Promise<void> {
    const live = this.run();
    if (f === 'crash-source') await live.step({ fault: 'kill-source' });
    else if (f === 'crash-destination') await live.step({ fault: 'kill-destination' });
    else await live.step({ fault: 'yank-source' });
  }

  async observe(vm: Side): Promise<{ status: string; runstate: string } | null> {
    const live = this.run();
    if (live.dead(vm)) return null;
    const c = live.possible(vm)[0]?.snapshot.context;
    return c ? { status: c.status, runstate: c.runstate } : null;
  }

  async stop(): Promise<void> {
    await this.live?.dispose();
  }
}
