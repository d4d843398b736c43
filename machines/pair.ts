// The composed pair: a source and a destination process (each the side machine of side.ts) joined by
// a modelled channel (channel.ts). The composition is a synchronised product: QMP commands go to one
// process; what QEMU's threads do together (connecting, the last part of the stream, a COLO message)
// is a synchronised step listed in SYNC, taking one internal event on each process that must move;
// faults (channel break, crash, heartbeat loss) act on the channel and on both ends. Pure: every step
// returns a new state, so tests, the explorer and the viewer all step the same function.
import type { Profile } from './profile.ts';
import { mayMove } from './explore.ts';
import { startSide, stepSide, type SideSnapshot } from './side.ts';
import { startChannel, stepChannel, type ChannelSnapshot } from './channel.ts';
import type { Decision } from './rules.ts';
import type { IncomingMode, InternalEventType, QmpArguments, QmpError, Side } from './vocabulary.ts';

export interface PairInput {
  incoming?: IncomingMode;
  sourcePaused?: boolean;
  destinationPaused?: boolean;
}

export interface PairState {
  /** null: the process has exited (crashed, or QEMU exited on a failed incoming load). */
  source: SideSnapshot | null;
  destination: SideSnapshot | null;
  channel: ChannelSnapshot;
}

export const FAULTS = ['channel-break', 'heartbeat-loss', 'crash-source', 'crash-destination'] as const;
export type Fault = (typeof FAULTS)[number];

export type PairEvent =
  | { type: 'qmp'; vm: Side; command: string; arguments?: QmpArguments }
  | { type: 'sync'; name: string }
  | { type: 'fault'; fault: Fault }
  /** A fresh destination process (e.g. a new secondary to resume replication after a failover). */
  | { type: 'restart-destination'; incoming?: IncomingMode };

export type PairReply = { return: unknown } | { error: QmpError } | { exited: true };

export interface PairStep {
  state: PairState;
  changed: boolean;
  /** For a QMP command: QEMU's answer (or that the process is gone). */
  reply?: PairReply;
  decision?: Decision;
}

interface SyncStep {
  vm: Side;
  event: InternalEventType;
  /** Taken only if it can move that process; a required step that cannot disables the sync. */
  optional?: boolean;
  when?: (s: PairState) => boolean;
}

export interface SyncSpec {
  name: string;
  /** What happens in QEMU, and where. */
  ref: string;
  channelIn?: readonly ('closed' | 'connected' | 'broken')[];
  when?: (s: PairState) => boolean;
  steps: readonly SyncStep[];
  /** What the channel does afterwards. */
  channel?: 'connect' | 'break' | 'close';
  /** The process that dies in this step (QEMU aborts); the other end sees EOF. */
  kills?: Side;
}

const src = (s: PairState) => s.source?.context;
const dst = (s: PairState) => s.destination?.context;
/** The destination listens and has not started loading: a connection from the source is accepted. */
const dstAccepts = (s: PairState) => !!dst(s)?.listening && ['none', 'setup'].includes(dst(s)!.status);

/** The synchronised steps of the pair, in the order a viewer lists them. */
export const SYNC: readonly SyncSpec[] = [
  {
    name: 'connect',
    ref: 'migration/socket.c: socket_outgoing_migration + socket_accept_incoming_migration',
    channelIn: ['closed'],
    when: (s) => src(s)?.status === 'setup' && dstAccepts(s),
    steps: [
      { vm: 'source', event: 'setup-done' },
      { vm: 'destination', event: 'source-connected' },
      // 7.2: MIG_CMD_ENABLE_COLO is in the stream when the source has x-colo.
      { vm: 'destination', event: 'colo-enable', optional: true, when: (s) => !!src(s)?.caps.includes('x-colo') },
      // MIG_CMD_OPEN_RETURN_PATH when the source opened its return path with a thread.
      { vm: 'destination', event: 'rp-open', optional: true, when: (s) => src(s)?.rp === 'running' },
    ],
    channel: 'connect',
  },
  {
    name: 'connect-refused',
    ref: 'migration/migration.c: migrate_fd_error (the connection fails)',
    channelIn: ['closed'],
    when: (s) => src(s)?.status === 'setup' && !dstAccepts(s),
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    // The other way `connect` goes: the migration thread (started by migrate_fd_connect once the
    // channel is up) finds a failover device still being unplugged and waits in wait-unplug.
    name: 'unplug-pending',
    ref: 'migration/migration.c: migrate_fd_connect -> migration_thread -> qemu_savevm_wait_unplug (SETUP -> WAIT_UNPLUG)',
    channelIn: ['closed'],
    when: (s) => src(s)?.status === 'setup' && dstAccepts(s),
    steps: [
      { vm: 'source', event: 'unplug-pending' },
      // the return path is opened in migrate_fd_connect, before the thread starts
      { vm: 'source', event: 'setup-done', optional: true },
      { vm: 'destination', event: 'source-connected' },
      { vm: 'destination', event: 'colo-enable', optional: true, when: (s) => !!src(s)?.caps.includes('x-colo') },
      { vm: 'destination', event: 'rp-open', optional: true, when: (s) => src(s)?.rp === 'running' },
    ],
    channel: 'connect',
  },
  { name: 'unplug-done', ref: 'migration/migration.c: qemu_savevm_wait_unplug', steps: [{ vm: 'source', event: 'unplug-done' }] },
  {
    name: 'converge',
    ref: 'migration/migration.c: migration_iteration_run -> migration_completion (the stream must be up: migration_detect_error fails it otherwise)',
    channelIn: ['connected'],
    when: (s) => src(s)?.status === 'active',
    steps: [{ vm: 'source', event: 'converged' }],
  },
  { name: 'switchover-start', ref: 'migration/migration.c: migration_maybe_pause / migration_switchover_prepare', steps: [{ vm: 'source', event: 'switchover-start' }] },
  { name: 'pause-released', ref: 'migration/migration.c: migration_maybe_pause', steps: [{ vm: 'source', event: 'pause-released' }] },
  {
    // 7.2 migrate_cancel in pre-switchover: after posting pause_sem, migrate_fd_cancel's cmpxchg to
    // cancelling lands (from pre-switchover, or from device if the woken thread moved first), then
    // qemu_file_shutdown shuts the stream: the destination's load fails.
    name: 'cancel-set',
    ref: 'migration/migration.c: migrate_fd_cancel (migrate_set_state -> CANCELLING; qemu_file_shutdown)',
    steps: [
      { vm: 'source', event: 'cancel-set' },
      { vm: 'destination', event: 'channel-error', optional: true, when: (s) => s.channel.value === 'connected' },
      { vm: 'source', event: 'channel-error', optional: true, when: (s) => s.channel.value === 'connected' },
    ],
    channel: 'break',
  },
  {
    // 7.2: the channel broke while the thread waited in migration_maybe_pause (pre-switchover does
    // not look at the stream); once migrate-continue posts pause_sem it moves to device, and writing
    // the device state to the dead stream fails: migration_completion -> fail (DEVICE -> FAILED).
    // Seen on the 7.2 binary: pre-switchover, device, failed, RESUME (docs/findings.md F10).
    name: 'device-save-error',
    ref: 'migration/migration.c: migration_completion (qemu_savevm_state_complete_precopy fails; fail: DEVICE -> FAILED)',
    channelIn: ['broken'],
    when: (s) => src(s)?.status === 'device' && !src(s)!.cancelRequested,
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    name: 'complete',
    ref: 'migration/migration.c: migration_completion (source) + process_incoming_migration_bh (destination)',
    channelIn: ['connected'],
    // not while a migrate_cancel is inside migrate_fd_cancel (it holds the BQL the thread needs)
    when: (s) => src(s)?.runstate === 'finish-migrate' && ['active', 'device'].includes(src(s)!.status) && !src(s)!.cancelRequested,
    steps: [
      { vm: 'destination', event: 'globalstate-paused', optional: true, when: (s) => src(s)?.vmOldState === 'paused' },
      { vm: 'destination', event: 'globalstate-prelaunch', optional: true, when: (s) => src(s)?.vmOldState === 'prelaunch' },
      { vm: 'destination', event: 'load-done' },
      // migration_incoming_state_destroy sends MIG_RP_MSG_SHUT (not when the destination enters COLO).
      { vm: 'source', event: 'rp-shut', optional: true, when: (s) => dst(s)?.status === 'completed' },
      { vm: 'source', event: 'switchover-done' },
    ],
  },
  {
    name: 'cleanup',
    ref: 'migration/migration.c: migration_iteration_finish / migrate_fd_cleanup',
    steps: [{ vm: 'source', event: 'cleanup-done' }],
  },
  {
    name: 'postcopy-start',
    ref: 'migration/migration.c: postcopy_start (source) + migration/savevm.c: loadvm_postcopy_handle_listen (destination)',
    channelIn: ['connected'],
    steps: [
      { vm: 'source', event: 'postcopy-start' },
      { vm: 'destination', event: 'postcopy-listen' },
    ],
  },
  {
    name: 'postcopy-run',
    ref: 'migration/savevm.c: loadvm_postcopy_handle_run',
    channelIn: ['connected'],
    steps: [
      { vm: 'destination', event: 'postcopy-run' },
      { vm: 'source', event: 'postcopy-device-done', optional: true },
    ],
  },
  {
    name: 'postcopy-complete',
    ref: 'migration/migration.c: migration_completion (postcopy) + migration/savevm.c: postcopy_ram_listen_thread',
    channelIn: ['connected'],
    when: (s) => src(s)?.status === 'postcopy-active' && dst(s)?.runstate !== 'inmigrate',
    steps: [
      { vm: 'destination', event: 'postcopy-done' },
      { vm: 'source', event: 'rp-shut', optional: true },
      { vm: 'source', event: 'converged' },
    ],
  },
  {
    name: 'recover-connect',
    ref: 'migration/migration.c: qmp_migrate (resume) + migration/savevm.c: postcopy_try_recover',
    channelIn: ['broken', 'closed'],
    when: (s) => !!src(s)?.resumeRequested && !!dst(s)?.listening && dst(s)?.status === 'postcopy-paused',
    steps: [
      { vm: 'source', event: 'resume-connected' },
      { vm: 'destination', event: 'resume-connected' },
    ],
    channel: 'connect',
  },
  {
    // The connection a `migrate resume` started fails at once when the destination does not listen
    // (no migrate-recover yet): the source drops the request and does not retry; the destination
    // listening later does not make it connect (7.2 seen on the binary: resume-before-recover.jsonl).
    name: 'resume-connect-refused',
    ref: 'migration/migration.c: migrate_fd_connect (error_in, resume: migrate_fd_error, no cleanup) / master: migration_connect_error_propagate',
    when: (s) =>
      !!src(s)?.resumeRequested && ['postcopy-paused', 'postcopy-recover-setup'].includes(src(s)!.status) && !(dst(s)?.listening && dst(s)?.status === 'postcopy-paused'),
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    // QEMU 7.2: the connection a `migrate resume` started completes (or fails) after a cancel:
    // migrate_fd_connect sees state != POSTCOPY_PAUSED, takes it for a fresh migration and
    // assert(!s->cleanup_bh) fails.
    name: 'resume-connect-cancelled',
    ref: 'migration/migration.c: migrate_fd_connect (resume = state == POSTCOPY_PAUSED; assert(!s->cleanup_bh))',
    when: (s) => !!src(s)?.resumeRequested && src(s)?.status === 'cancelling',
    steps: [],
    kills: 'source',
  },
  {
    name: 'recover-done',
    ref: 'migration/savevm.c: loadvm_postcopy_handle_resume (MIG_RP_MSG_RESUME_ACK)',
    channelIn: ['connected'],
    steps: [
      { vm: 'destination', event: 'recover-done' },
      { vm: 'source', event: 'recover-done' },
    ],
  },
  // COLO: each COLOMessage leaves one side and reaches the other in the same step.
  ...(['checkpoint-ready', 'checkpoint-request', 'checkpoint-reply', 'vmstate-send', 'vmstate-size', 'vmstate-received', 'vmstate-loaded'] as const).map(
    (m): SyncSpec => ({
      name: m,
      ref: `migration/colo.c: colo_send_message / colo_receive_check_message (COLO_MESSAGE_${m.toUpperCase().replaceAll('-', '_')})`,
      channelIn: ['connected'],
      steps: [
        { vm: 'source', event: m },
        { vm: 'destination', event: m },
      ],
    }),
  ),
  { name: 'failover-bh:source', ref: 'migration/colo-failover.c: colo_failover_bh', steps: [{ vm: 'source', event: 'failover-bh' }] },
  { name: 'failover-bh:destination', ref: 'migration/colo-failover.c: colo_failover_bh', steps: [{ vm: 'destination', event: 'failover-bh' }] },
  {
    name: 'failover-done:source',
    ref: 'migration/colo.c: primary_vm_do_failover (shuts the channel down)',
    steps: [
      { vm: 'source', event: 'failover-done' },
      { vm: 'destination', event: 'channel-error', optional: true, when: (s) => s.channel.value === 'connected' },
    ],
    channel: 'break',
  },
  {
    name: 'failover-done:destination',
    ref: 'migration/colo.c: secondary_vm_do_failover (shuts the channel down)',
    steps: [
      { vm: 'destination', event: 'failover-done' },
      { vm: 'source', event: 'channel-error', optional: true, when: (s) => s.channel.value === 'connected' },
    ],
    channel: 'break',
  },
  { name: 'failover-relaunch', ref: 'migration/colo.c: colo_process_incoming_thread', steps: [{ vm: 'destination', event: 'failover-relaunch' }] },
];

export function startPair(p: Profile, input: PairInput = {}): PairState {
  return {
    source: startSide(p, { side: 'source', paused: input.sourcePaused }),
    destination: startSide(p, { side: 'destination', incoming: input.incoming ?? 'defer', paused: input.destinationPaused }),
    channel: startChannel(),
  };
}

function withSide(s: PairState, vm: Side, snap: SideSnapshot | null): PairState {
  return vm === 'source' ? { ...s, source: snap } : { ...s, destination: snap };
}

/** One process's internal event, if it moves it. */
function take(p: Profile, s: PairState, vm: Side, event: InternalEventType): PairState | null {
  const side = s[vm];
  if (!side || !mayMove(p, side.context, { type: event })) return null;
  const r = stepSide(p, side, { type: event });
  return r.changed ? withSide(s, vm, r.snapshot) : null;
}

/**
 * A destination whose precopy load fails exits (migration/migration.c: process_incoming_migration_co:
 * exit(EXIT_FAILURE); with exit-on-error=false, QEMU >= 9.1 stays in `failed` instead).
 */
function exitOnFailedLoad(s: PairState): PairState {
  const d = s.destination?.context;
  if (d && ['setup', 'active'].includes(d.status) && d.listening && d.exitOnError && s.destination!.context.runstate === 'inmigrate') return { ...s, destination: null };
  return s;
}

/** The channel breaks: both live ends see the error. */
function breakChannel(p: Profile, s: PairState): PairState {
  if (s.channel.value !== 'connected') return s;
  let out: PairState = { ...s, channel: stepChannel(s.channel, { type: 'break' }) };
  for (const vm of ['source', 'destination'] as const) out = take(p, out, vm, 'channel-error') ?? out;
  return exitOnFailedLoad(out);
}

function syncEnabled(p: Profile, s: PairState, spec: SyncSpec): PairState | null {
  if (spec.channelIn && !spec.channelIn.includes(s.channel.value as never)) return null;
  if (spec.when && !spec.when(s)) return null;
  let out = s;
  for (const st of spec.steps) {
    if (st.when && !st.when(out)) {
      if (st.optional) continue;
      return null;
    }
    const next = take(p, out, st.vm, st.event);
    if (!next) {
      if (st.optional) continue;
      return null;
    }
    out = next;
  }
  if (spec.channel === 'connect') out = { ...out, channel: stepChannel(out.channel, { type: 'connect' }) };
  if (spec.channel === 'break' && out.channel.value === 'connected') out = exitOnFailedLoad({ ...out, channel: stepChannel(out.channel, { type: 'break' }) });
  if (spec.kills) out = breakChannel(p, withSide(out, spec.kills, null));
  // Both ends finished with the stream: the sockets are closed.
  if (out.channel.value === 'connected' && ['completed', 'cancelled', 'failed'].includes(src(out)?.status ?? '') && src(out)?.status !== 'colo' && dst(out)?.status !== 'colo' && ['completed', 'failed'].includes(dst(out)?.status ?? 'completed'))
    out = { ...out, channel: stepChannel(out.channel, { type: 'close' }) };
  return out;
}

function applyFault(p: Profile, s: PairState, f: Fault): PairState | null {
  switch (f) {
    case 'channel-break':
    case 'heartbeat-loss': // the peers lose each other (for COLO: no more checkpoints); modelled as a break
      return s.channel.value === 'connected' ? breakChannel(p, s) : null;
    case 'crash-source':
    case 'crash-destination': {
      const vm: Side = f === 'crash-source' ? 'source' : 'destination';
      if (!s[vm]) return null;
      return breakChannel(p, withSide(s, vm, null));
    }
  }
}

/** Every event that changes the pair from here (QMP commands aside): synchronised steps and faults. */
export function enabledInternal(p: Profile, s: PairState): PairEvent[] {
  const out: PairEvent[] = [];
  for (const spec of SYNC) if (syncEnabled(p, s, spec)) out.push({ type: 'sync', name: spec.name });
  for (const f of FAULTS) if (applyFault(p, s, f)) out.push({ type: 'fault', fault: f });
  return out;
}

export function stepPair(p: Profile, s: PairState, e: PairEvent): PairStep {
  switch (e.type) {
    case 'qmp': {
      const side = s[e.vm];
      if (!side) return { state: s, changed: false, reply: { exited: true } };
      const r = stepSide(p, side, { type: 'qmp', command: e.command, arguments: e.arguments });
      const d = r.decision!;
      let out = r.changed ? withSide(s, e.vm, r.snapshot) : s;
      if (d.allowed) {
        // Commands whose effect reaches the channel (and so the other process).
        const shutsChannel =
          e.command === 'yank' ||
          e.command === 'migrate-pause' ||
          (e.command === 'migrate_cancel' && e.vm === 'source' && out.source?.context.status === 'cancelling' && side.context.status !== 'cancelling');
        if (shutsChannel) out = breakChannel(p, out);
      }
      const reply: PairReply = d.allowed ? { return: d.reply } : { error: d.error };
      // A row whose handling kills QEMU (Rule.crash): the process is gone, the peer sees EOF.
      const crash = d.rule?.crash;
      if (crash) {
        out = breakChannel(p, withSide(out, e.vm, null));
        return { state: out, changed: true, reply: crash.afterReply ? reply : { exited: true }, decision: d };
      }
      return { state: out, changed: out !== s, reply, decision: d };
    }
    case 'sync': {
      const spec = SYNC.find((x) => x.name === e.name);
      if (!spec) throw new Error(`unknown synchronised step '${e.name}' (known: ${SYNC.map((x) => x.name).join(', ')})`);
      const out = syncEnabled(p, s, spec);
      return out ? { state: out, changed: true } : { state: s, changed: false };
    }
    case 'fault': {
      const out = applyFault(p, s, e.fault);
      return out ? { state: out, changed: true } : { state: s, changed: false };
    }
    case 'restart-destination': {
      const fresh = startSide(p, { side: 'destination', incoming: e.incoming ?? 'defer' });
      const channel = s.channel.value === 'connected' ? s.channel : startChannel();
      return { state: { ...s, destination: fresh, channel }, changed: true };
    }
  }
}
