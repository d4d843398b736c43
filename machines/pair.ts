// The composed pair: a source and a destination process (each the side machine of side.ts) joined by
// a modelled channel (channel.ts). The composition is a synchronised product: QMP commands go to one
// process; what QEMU's threads do together (connecting, the last part of the stream, a COLO message)
// is a synchronised step listed in SYNC, taking one internal event on each process that must move;
// faults (channel break, crash, heartbeat loss) act on the channel and on both ends. The composition
// is written once (`composeStep`), over a Stepper that says how a process is held and stepped: xstate
// snapshots here (stepPair, for tests and the viewer), interned integers in the explorer, snapshots
// with the chart edges recorded in the path planner. Why a step is not taken is said by the same code
// (blockedReason: the viewer's "cannot happen now"). Pure: every step returns a new state.
import type { Profile, SideState } from './profile.ts';
import { mayMove } from './explore.ts';
import { monitorUp, startSide, stepSide, type SideInput, type SideSnapshot } from './side.ts';
import { startChannel, stepChannel, type ChannelEvent, type ChannelSnapshot } from './channel.ts';
import { cprModeOn } from './effects.ts';
import { exitEvents, graphOf, loadFailureExits, type EventKey } from './inclusion.ts';
import type { Decision } from './rules.ts';
import type { IncomingMode, InternalEventType, QmpArguments, QmpError, QmpEvent, Side } from './vocabulary.ts';

export interface PairInput {
  incoming?: IncomingMode;
  sourcePaused?: boolean;
  destinationPaused?: boolean;
  /** -uuid on each command line (none when absent). */
  sourceUuid?: string;
  destinationUuid?: string;
  /** The destination is started with a further `-incoming cpr,...` (cpr-transfer): its monitor is up only after the cpr-transfer step. */
  cprTransfer?: boolean;
  /** Only the source is started (cpr-exec: the destination is the source's own process after its exec, the cpr-exec step). */
  noDestination?: boolean;
}

/** The channel's state as the composition reads it. */
export type ChannelValue = 'closed' | 'connected' | 'broken';

/** What the synchronised steps' conditions read of a pair: each process's data and the channel. */
export interface PairView {
  source: SideState | null;
  destination: SideState | null;
  channel: ChannelValue;
}

/** The pair as xstate snapshots. A process is null once it has exited (crashed, or QEMU exited on a failed incoming load). */
export type PairState = Composite<SideSnapshot, ChannelSnapshot>;

export const FAULTS = ['channel-break', 'heartbeat-loss', 'crash-source', 'crash-destination'] as const;
export type Fault = (typeof FAULTS)[number];

export type PairEvent =
  | { type: 'qmp'; vm: Side; command: string; arguments?: QmpArguments }
  | { type: 'sync'; name: string }
  | { type: 'fault'; fault: Fault }
  /** A fresh destination process (e.g. a new secondary to resume replication after a failover). */
  | { type: 'restart-destination'; incoming?: IncomingMode };

/** A command's answer: a return, an error, none (the process has exited), or none yet (no monitor: -incoming cpr, SideState.cprLoading). */
export type PairReply = { return: unknown } | { error: QmpError } | { exited: true } | { noMonitor: true };

export interface PairStep {
  state: PairState;
  changed: boolean;
  /** For a QMP command: QEMU's answer (or that the process is gone). */
  reply?: PairReply;
  decision?: Decision;
  /** With stepPair's `events` option: the events each process sent, in order. */
  sent?: Sent[];
}

interface SyncStep {
  vm: Side;
  event: InternalEventType;
  /** Taken only if it can move that process; a required step that cannot disables the sync. */
  optional?: boolean;
  when?: (s: PairView) => boolean;
}

/** A synchronised step's condition on the two processes, with its words (what a viewer says when it does not hold). */
type SyncGuard = { when: (s: PairView) => boolean; needs: string } | { when?: undefined; needs?: undefined };

export type SyncSpec = SyncGuard & {
  name: string;
  /** What happens in QEMU, and where. */
  ref: string;
  channelIn?: readonly ChannelValue[];
  steps: readonly SyncStep[];
  /** What the channel does afterwards. */
  channel?: 'connect' | 'break' | 'close';
  /** The process that dies in this step (QEMU aborts); the other end sees EOF. */
  kills?: Side;
  /** After the steps, the destination's load fails on what it read (not a break of a stream both ends had). */
  loadFails?: (s: PairView) => boolean;
  /** The guest's own doing, not QEMU's or the network's: the explorer tries it only on request (ExploreOptions.suspend). */
  guest?: true;
  /**
   * The source's process execs a new QEMU image (cpr-exec): the source is gone, and the new image,
   * started with -incoming defer, is the destination.
   */
  execs?: true;
  /**
   * One process's stream meets a peer that is not the other QEMU (an unpaired socket given with
   * getfd, a stray client): that process alone moves, and the pair's channel is not involved. The
   * explorer tries it only on request (ExploreOptions.stray).
   */
  stray?: true;
};

const src = (s: PairView) => s.source;
const dst = (s: PairView) => s.destination;
/** The process's stream is a file or a command (file:, exec:), not another QEMU (SideState.transport). */
const toFile = (x: SideState | null | undefined) => x?.transport === 'file';
/** The destination listens (on a socket: not a file it reads) and has not started loading: a connection from the source is accepted. */
const dstAccepts = (s: PairView) => !!dst(s)?.listening && !toFile(dst(s)) && ['none', 'setup'].includes(dst(s)!.status);
/** The source is in setup, its stream to another QEMU (not a file: file_start_outgoing_migration needs no peer). */
const srcConnecting = (s: PairView) => src(s)?.status === 'setup' && !toFile(src(s));
/** TLS is on for a process's migration: tls-creds names credentials (migration/options.c: migrate_tls). */
const tls = (x: SideState | null | undefined) => !!x && typeof x.params['tls-creds'] === 'string' && x.params['tls-creds'] !== '';
/** Both ends speak the same protocol on the new channel: both TLS (migrate_channel_requires_tls_upgrade) or both plain. */
const tlsAgrees = (s: PairView) => tls(src(s)) === tls(dst(s));
/**
 * The stream carries the source's UUID (validate-uuid on the source, -uuid given) and the
 * destination has another: its load fails on the configuration section, at the start of the stream
 * (migration/savevm.c: vmstate_uuid_post_load, "UUID received is ... and local is ..."). A
 * destination with no -uuid only warns.
 */
/**
 * A source in a cpr mode (QEMU >= 8.2: the mode parameter is not normal) whose VM migration_connect
 * has not stopped yet: it stops it before the migration thread starts (cpr-stop, then connect or
 * file-open).
 */
const cprPending = (s: PairView) => {
  const a = src(s);
  return !!a && a.status === 'setup' && cprModeOn(a) && a.runstate !== 'finish-migrate';
};
/**
 * A cpr-transfer source waits for the HUP of its cpr channel before it connects the main one
 * (qmp_migrate -> migrate_hup_add; qmp_migrate_finish_cb): the new QEMU closes that socket as it
 * starts listening (qemu_start_incoming_migration -> cpr_state_close), so not before its incoming
 * migration is started.
 */
const cprHupPending = (s: PairView) => {
  const a = src(s);
  const b = dst(s);
  return !!a && a.status === 'setup' && a.params.mode === 'cpr-transfer' && !(b && !b.cprLoading && b.incomingStarted);
};
const uuidMismatch = (s: PairView) => {
  const a = src(s);
  const b = dst(s);
  return !!a && !!b && a.caps.includes('validate-uuid') && a.uuid !== null && b.uuid !== null && a.uuid !== b.uuid;
};

/** The synchronised steps of the pair, in the order a viewer lists them. */
export const SYNC: readonly SyncSpec[] = [
  {
    name: 'connect',
    ref: 'migration/socket.c: socket_outgoing_migration + socket_accept_incoming_migration',
    channelIn: ['closed'],
    when: (s) => srcConnecting(s) && dstAccepts(s) && tlsAgrees(s) && !cprPending(s) && !cprHupPending(s),
    needs: 'the source must be in setup and the destination listening (migrate-incoming) in none/setup, both with TLS (tls-creds) or both without; in a cpr mode, the source\'s VM stopped first (cpr-stop); in cpr-transfer, the new QEMU\'s incoming migration started (the cpr socket\'s HUP)',
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
    when: (s) => srcConnecting(s) && !dstAccepts(s) && !cprHupPending(s),
    needs: 'the source must be in setup with no destination listening (in cpr-transfer: after the cpr socket\'s HUP)',
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    // An environment outcome: the TLS handshake itself fails (a PSK mismatch), or the source has no
    // client credentials by that id (migration_tls_get_creds: "No TLS credentials with id '...'",
    // "Expected TLS credentials for a client endpoint"). The source fails from setup, never active;
    // the destination only reports the error (error_report_err) and keeps listening, in none (7.2)
    // or setup (10.0). Seen on both binaries with PSK credentials (qemu/scenarios.ts: tls-psk-mismatch).
    name: 'tls-handshake-failed',
    ref: 'migration/tls.c: migration_tls_outgoing_handshake -> migration_channel_connect (error: the source fails); migration_tls_incoming_handshake (error_report_err only)',
    channelIn: ['closed'],
    when: (s) => srcConnecting(s) && dstAccepts(s) && tls(src(s)) && tls(dst(s)),
    needs: 'the source must be in setup and the destination listening in none/setup, both with TLS (tls-creds)',
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    // The destination took the session but the source does not: QEMU checks the peer's certificate
    // after the handshake (io/channel-tls.c: qio_channel_tls_handshake_task ->
    // qcrypto_tls_session_check_credentials), so a server certificate for another host, or no
    // hostname to check it against (a unix: URI, no tls-hostname: "No hostname for certificate
    // validation"), fails the source in setup while the destination, whose handshake completed,
    // starts loading and fails (the qtests' MIG_TEST_FAIL_DEST_QUIT_ERR). A source speaking TLS to
    // a plain destination ends the same way: the destination reads the ClientHello as a stream
    // ("Not a migration stream"). Both seen on both binaries (qemu/scenarios.ts: tls-x509-mismatch-host,
    // tls-to-plain-destination: "Certificate does not match the hostname qemu.org"). With multifd the
    // destination starts loading only once every channel is in (migration_ioc_process_incoming:
    // migration_has_all_channels), and none follow: it may keep waiting instead (the multifd qtest
    // expects MIG_TEST_FAIL, not MIG_TEST_FAIL_DEST_QUIT_ERR; 7.2 waits), which tls-handshake-failed
    // describes. 10.0 was seen both ways (docs/findings.md F16).
    name: 'tls-refused-by-source',
    ref: 'migration/tls.c: migration_tls_outgoing_handshake (the source fails) + migration/savevm.c: qemu_loadvm_state (the destination\'s load fails)',
    channelIn: ['closed'],
    when: (s) => srcConnecting(s) && dstAccepts(s) && tls(src(s)),
    needs: 'the source must be in setup with TLS (tls-creds) and the destination listening in none/setup',
    steps: [
      { vm: 'source', event: 'channel-error' },
      { vm: 'destination', event: 'source-connected' },
    ],
    loadFails: (s) => dst(s)?.status === 'active',
  },
  {
    // The source took the session but the destination does not: the destination's check of the
    // client certificate fails (a client certificate it does not trust, or none where it requires
    // one: tls-authz, verify-peer), it reports the error and keeps listening; the source, whose
    // handshake completed, starts sending (active) and fails on the closed connection. A plain
    // source to a TLS destination ends the same way ("Unable to write to socket: Connection reset
    // by peer"). Both seen on both binaries (qemu/scenarios.ts: tls-x509-reject-anon-client, "Verify
    // failed: No certificate was found" on the destination; plain-to-tls-destination). A source whose
    // whole stream fit in the socket buffers may complete first instead: not modelled (docs/findings.md F15).
    name: 'tls-refused-by-destination',
    ref: 'migration/tls.c: migration_tls_incoming_handshake (error_report_err only) + migration/migration.c: migration_thread -> migration_detect_error (the source fails)',
    channelIn: ['closed'],
    when: (s) => srcConnecting(s) && dstAccepts(s) && tls(dst(s)),
    needs: 'the source must be in setup and the destination listening in none/setup with TLS (tls-creds)',
    steps: [
      // With multifd the source waits in setup for its channels, whose handshakes the destination
      // refuses too: it failed from setup in the probes of both binaries, but one 7.2 run went
      // active first, which the pair does not allow here (the scenario was taken out for that).
      { vm: 'source', event: 'setup-done', optional: true, when: (s) => !src(s)?.caps.includes('multifd') },
      { vm: 'source', event: 'channel-error' },
    ],
  },
  {
    // The other way `connect` goes: the migration thread (started by migrate_fd_connect once the
    // channel is up) finds a failover device still being unplugged and waits in wait-unplug.
    name: 'unplug-pending',
    ref: 'migration/migration.c: migrate_fd_connect -> migration_thread -> qemu_savevm_wait_unplug (SETUP -> WAIT_UNPLUG)',
    channelIn: ['closed'],
    when: (s) => srcConnecting(s) && dstAccepts(s) && tlsAgrees(s),
    needs: 'the source must be in setup and the destination listening (migrate-incoming) in none/setup, both with TLS (tls-creds) or both without',
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
    when: (s) => src(s)?.status === 'active' && !toFile(src(s)),
    needs: 'the source must be active, migrating to a destination (file-converge: to a file)',
    steps: [{ vm: 'source', event: 'converged' }],
  },
  {
    // The stream broke while the migration thread was not looking (qemu_savevm_wait_unplug polls
    // the unplug alone, so wait-unplug has no channel-error row); the next iteration of
    // migration_thread finds the error. Where the source looks at once, it took channel-error
    // with the break itself and is never active on a broken stream.
    name: 'error-detected',
    ref: 'migration/migration.c: migration_thread -> migration_detect_error',
    channelIn: ['broken'],
    when: (s) => src(s)?.status === 'active' && !src(s)!.cancelRequested,
    needs: 'the source must be active on a broken stream, with no migrate_cancel under way',
    steps: [{ vm: 'source', event: 'channel-error' }],
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
      { vm: 'destination', event: 'channel-error', optional: true, when: (s) => s.channel === 'connected' },
      { vm: 'source', event: 'channel-error', optional: true, when: (s) => s.channel === 'connected' },
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
    needs: 'the source must be in device, with no migrate_cancel under way',
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    // Seen on both binaries: the source goes active and fails ("Unable to write to socket: Connection
    // reset by peer"); the destination reports the mismatch and its load fails (it exits: exit-on-error).
    name: 'uuid-mismatch',
    ref: 'migration/savevm.c: vmstate_uuid_post_load (the destination\'s load fails) + migration/migration.c: migration_detect_error (the source fails)',
    channelIn: ['connected'],
    when: (s) => uuidMismatch(s) && dst(s)?.status === 'active',
    needs: 'the source must send its -uuid (validate-uuid) to a destination loading with another -uuid',
    steps: [{ vm: 'source', event: 'channel-error' }],
    loadFails: () => true,
    channel: 'break',
  },
  {
    name: 'complete',
    ref: 'migration/migration.c: migration_completion (source) + process_incoming_migration_bh (destination)',
    channelIn: ['connected'],
    // not while a migrate_cancel is inside migrate_fd_cancel (it holds the BQL the thread needs)
    // not in a postcopy start that paused before switchover (10.0, master: device, then postcopy-package)
    when: (s) => src(s)?.runstate === 'finish-migrate' && ['active', 'device'].includes(src(s)!.status) && !src(s)!.cancelRequested && !src(s)!.postcopyStarted && !uuidMismatch(s),
    needs: 'the source must have stopped the VM (finish-migrate) in active or device, with no migrate_cancel under way and no postcopy started, and the destination must accept the stream (validate-uuid: the same -uuid, or none on the destination)',
    steps: [
      { vm: 'destination', event: 'globalstate-paused', optional: true, when: (s) => src(s)?.vmOldState === 'paused' },
      { vm: 'destination', event: 'globalstate-prelaunch', optional: true, when: (s) => src(s)?.vmOldState === 'prelaunch' },
      // QEMU >= 9.0: the section also carries vm_was_suspended (a 7.2 source woke the guest first).
      { vm: 'destination', event: 'globalstate-suspended', optional: true, when: (s) => !!src(s)?.wasSuspended },
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
    // migrate_cancel in setup, before the channel connected, leaves the connect under way: the
    // status is cancelling (7.2, master) or already cancelled (10.0: migrate_cancel.setup, the yank
    // instance still registered). When the connect reaches a listening destination,
    // migration_channel_connect -> migration_connect starts the thread all the same: it writes the
    // header and setup sections, finds nothing active and cleans up (closing the stream,
    // unregistering the yank instance). The destination has begun loading (active) and fails on the
    // cut stream (tests/qtest/migration/precopy-tests.c: test_cancel_src_pre_switchover, phase
    // setup, waits for it to be failed). Not told apart here: a destination restarted while the
    // cancelled source still holds its yank instance is taken for the one the connect reaches.
    name: 'connect-after-cancel',
    ref: 'migration/channel.c: migration_channel_connect -> migration/migration.c: migration_connect, migration_thread -> migration_iteration_finish (CANCELLING/CANCELLED) -> migration_cleanup',
    channelIn: ['closed'],
    when: (s) => ['cancelling', 'cancelled'].includes(src(s)?.status ?? '') && !!src(s)!.yankRegistered && !toFile(src(s)) && dstAccepts(s) && tlsAgrees(s),
    needs: 'the source must be cancelling or cancelled with its connect still under way (migrate_cancel in setup) and the destination listening (migrate-incoming) in none/setup, both with TLS or both without',
    steps: [
      { vm: 'destination', event: 'source-connected' },
      { vm: 'source', event: 'cleanup-done' },
      { vm: 'destination', event: 'channel-error' },
    ],
  },
  {
    // cpr-transfer: the source's migrate sent its cpr state over the cpr channel (cpr_state_save);
    // the new QEMU, waiting for it in qemu_init (cpr_state_load), reads it and comes up.
    name: 'cpr-transfer',
    ref: 'migration/migration.c: qmp_migrate -> migration/cpr.c: cpr_state_save / system/vl.c: qemu_init -> cpr_state_load',
    when: (s) => src(s)?.status === 'setup' && src(s)!.params.mode === 'cpr-transfer' && !!dst(s)?.cprLoading,
    needs: 'the source must be in setup in mode cpr-transfer (its migrate named a cpr channel) and the destination started with -incoming cpr, waiting for the cpr state',
    steps: [{ vm: 'destination', event: 'cpr-loaded' }],
  },
  {
    // cpr-exec (master): once the migration to the file completed, the source's process execs
    // cpr-exec-command (migration/cpr-exec.c: cpr_exec_notifier on MIG_EVENT_PRECOPY_DONE ->
    // cpr_exec_cb -> execvp): the same process, a new QEMU with -incoming defer that reads the cpr
    // state the old one left (cpr_exec_unpersist_state) and is then told migrate-incoming from that file.
    name: 'cpr-exec',
    ref: 'migration/cpr-exec.c: cpr_exec_notifier -> cpr_exec_cb (execvp of cpr-exec-command)',
    when: (s) => src(s)?.status === 'completed' && src(s)!.params.mode === 'cpr-exec' && toFile(src(s)) && dst(s) === null,
    needs: 'the source must have completed a migration to a file in mode cpr-exec, with no destination process of its own (the exec makes it)',
    steps: [],
    execs: true,
  },
  {
    // migration_connect in a cpr mode: migration_stop_vm before the thread starts (inside qmp_migrate
    // for file: and exec:; as the channel connects for a socket).
    name: 'cpr-stop',
    ref: 'migration/migration.c: migration_connect (migrate_mode_is_cpr: migration_stop_vm)',
    when: cprPending,
    needs: 'the source must be in setup in a cpr mode (mode cpr-reboot, cpr-transfer, cpr-exec), its VM not stopped yet',
    steps: [{ vm: 'source', event: 'cpr-stop' }],
  },
  {
    // file: and exec: (migration/file.c: file_start_outgoing_migration, migration/exec.c): the
    // stream goes to a file or a command, with no QEMU at the other end. The source's thread starts
    // at once; the destination is not involved (a later process reads the file: file-load).
    name: 'file-open',
    ref: 'migration/file.c: file_start_outgoing_migration / migration/exec.c: exec_start_outgoing_migration -> migration_channel_connect',
    when: (s) => src(s)?.status === 'setup' && toFile(src(s)) && !cprPending(s),
    needs: 'the source must be in setup, migrating to a file or command (file:, exec:); in a cpr mode, its VM stopped first (cpr-stop)',
    steps: [{ vm: 'source', event: 'setup-done' }],
  },
  {
    name: 'file-converge',
    ref: 'migration/migration.c: migration_iteration_run -> migration_completion (the stream is the file)',
    when: (s) => src(s)?.status === 'active' && toFile(src(s)),
    needs: 'the source must be active, migrating to a file or command (file:, exec:)',
    steps: [{ vm: 'source', event: 'converged' }],
  },
  {
    name: 'file-complete',
    ref: 'migration/migration.c: migration_completion (the device state written to the file; no destination to wait for)',
    when: (s) => toFile(src(s)) && src(s)!.runstate === 'finish-migrate' && ['active', 'device'].includes(src(s)!.status) && !src(s)!.cancelRequested && !src(s)!.postcopyStarted,
    needs: 'the source must be migrating to a file and have stopped the VM (finish-migrate) in active or device, with no migrate_cancel under way',
    steps: [{ vm: 'source', event: 'switchover-done' }],
  },
  {
    // migrate-incoming file: / exec: reads a whole stream with no source process: the load runs and
    // completes (migration/file.c: file_start_incoming_migration -> migration_channel_process_incoming).
    // The stream's globalstate section says how the saving source ran: a stopped one leaves the VM
    // paused whatever autostart says (file-load-paused).
    name: 'file-load',
    ref: 'migration/file.c: file_start_incoming_migration / migration/exec.c: exec_start_incoming_migration -> process_incoming_migration_co -> process_incoming_migration_bh',
    when: (s) => !!dst(s)?.listening && toFile(dst(s)) && ['none', 'setup'].includes(dst(s)!.status),
    needs: 'the destination must be listening on a file or command (migrate-incoming file:, exec:) in none/setup',
    steps: [
      { vm: 'destination', event: 'source-connected' },
      { vm: 'destination', event: 'load-done' },
    ],
  },
  {
    name: 'file-load-paused',
    ref: 'migration/global_state.c: global_state_post_load (the saved run state: paused) + process_incoming_migration_bh',
    when: (s) => !!dst(s)?.listening && toFile(dst(s)) && ['none', 'setup'].includes(dst(s)!.status),
    needs: 'the destination must be listening on a file or command (migrate-incoming file:, exec:) in none/setup',
    steps: [
      { vm: 'destination', event: 'source-connected' },
      { vm: 'destination', event: 'globalstate-paused' },
      { vm: 'destination', event: 'load-done' },
    ],
  },
  {
    name: 'postcopy-start',
    ref: 'migration/migration.c: postcopy_start (source) + migration/savevm.c: loadvm_postcopy_handle_listen (destination)',
    channelIn: ['connected'],
    when: (s) => !src(s)?.caps.includes('pause-before-switchover'),
    needs: 'pause-before-switchover must be off on the source (with it on: postcopy-start-paused, then migrate-continue)',
    steps: [
      { vm: 'source', event: 'postcopy-start' },
      // 7.2: the VM stops after the status changed, before the package with LISTEN goes out.
      { vm: 'source', event: 'postcopy-stop', optional: true },
      { vm: 'destination', event: 'postcopy-listen' },
    ],
  },
  {
    // With pause-before-switchover, postcopy_start stops the VM and waits in pre-switchover
    // (migration_maybe_pause / migration_switchover_prepare) for migrate-continue; the package
    // with LISTEN goes out only afterwards (postcopy-package).
    name: 'postcopy-start-paused',
    ref: 'migration/migration.c: postcopy_start -> vm_stop_force_state / migration_stop_vm, then migration_maybe_pause / migration_switchover_start',
    channelIn: ['connected'],
    when: (s) => src(s)?.status === 'active' && !!src(s)?.caps.includes('pause-before-switchover'),
    needs: 'the source must be active with pause-before-switchover on',
    steps: [{ vm: 'source', event: 'postcopy-start' }],
  },
  {
    name: 'postcopy-package',
    ref: 'migration/migration.c: postcopy_start (after the pause: qemu_savevm_send_packaged) + migration/savevm.c: loadvm_postcopy_handle_listen',
    channelIn: ['connected'],
    when: (s) =>
      !!src(s)?.postcopyStarted && !!src(s)?.caps.includes('pause-before-switchover') && ['device', 'postcopy-active'].includes(src(s)!.status) &&
      !src(s)!.cancelRequested && dst(s)?.status === 'active',
    // not while a migrate_cancel is inside migrate_fd_cancel: the thread needs the BQL its handler holds
    needs: 'the source must have left pre-switchover in a postcopy start (migrate-continue, no migrate_cancel under way), the destination still active',
    steps: [
      // 10.0: DEVICE -> POSTCOPY_ACTIVE; master: DEVICE -> POSTCOPY_DEVICE; 7.2 is already postcopy-active.
      { vm: 'source', event: 'postcopy-stop', optional: true },
      { vm: 'destination', event: 'postcopy-listen' },
    ],
  },
  {
    // 7.2: the stream broke while the source waited in pre-switchover for a postcopy; after
    // migrate-continue it is postcopy-active, and the device state fails to go out: failed.
    name: 'postcopy-package-error',
    ref: 'migration/migration.c: postcopy_start (qemu_file_get_error before the package; fail: POSTCOPY_ACTIVE -> FAILED)',
    channelIn: ['broken'],
    when: (s) =>
      src(s)?.status === 'postcopy-active' && !!src(s)?.postcopyStarted && !!src(s)?.startPostcopy && !!src(s)?.caps.includes('pause-before-switchover') && !src(s)!.cancelRequested,
    needs: 'the source must be postcopy-active before its package (a postcopy that paused before switchover), the stream broken, no migrate_cancel under way',
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    name: 'postcopy-run',
    ref: 'migration/savevm.c: loadvm_postcopy_handle_run',
    channelIn: ['connected'],
    steps: [
      // The package's device state (loaded before RUN) holds the globalstate section.
      { vm: 'destination', event: 'globalstate-suspended', optional: true, when: (s) => !!src(s)?.wasSuspended },
      { vm: 'destination', event: 'postcopy-run' },
      { vm: 'source', event: 'postcopy-device-done', optional: true },
    ],
  },
  {
    name: 'postcopy-complete',
    ref: 'migration/migration.c: migration_completion (postcopy) + migration/savevm.c: postcopy_ram_listen_thread',
    channelIn: ['connected'],
    when: (s) => src(s)?.status === 'postcopy-active' && dst(s)?.runstate !== 'inmigrate',
    needs: 'the source must be in postcopy-active and the destination running the VM',
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
    needs: 'needs migrate resume on the source and migrate-recover on a postcopy-paused destination',
    steps: [
      { vm: 'source', event: 'resume-connected' },
      { vm: 'destination', event: 'resume-connected' },
    ],
    channel: 'connect',
  },
  {
    // The resume's connection reaches something that is not the destination and never answers
    // (tests/qtest/migration/framework.c: postcopy_recover_fail, POSTCOPY_FAIL_RECOVERY: an unpaired
    // socket given with getfd): migration_connect takes it as the new channel and the source waits
    // in postcopy-recover for a RESUME_ACK that never comes. Only a migrate-pause gets it out.
    name: 'resume-connect-stray',
    ref: 'migration/migration.c: migration_connect (resume: POSTCOPY_RECOVER_SETUP -> POSTCOPY_RECOVER; postcopy_do_resume waits on rp_sem)',
    channelIn: ['broken', 'closed'],
    when: (s) => !!src(s)?.resumeRequested && ['postcopy-paused', 'postcopy-recover-setup'].includes(src(s)!.status),
    needs: 'needs migrate resume on a paused source (its connection then reaches a peer that is not the destination)',
    steps: [{ vm: 'source', event: 'resume-connected' }],
    stray: true,
  },
  {
    // The listener migrate-recover opened is reached by something that is not the source (the
    // qtest's unpaired socket, with a first byte QEMU_VM_COMMAND written to it): the destination
    // enters postcopy-recover and waits on a stream that never goes on (postcopy_try_recover).
    name: 'recover-connect-stray',
    ref: 'migration/migration.c: migration_ioc_process_incoming -> migration/savevm.c: postcopy_try_recover (POSTCOPY_PAUSED -> POSTCOPY_RECOVER)',
    channelIn: ['broken', 'closed'],
    when: (s) => !!dst(s)?.listening && dst(s)?.status === 'postcopy-paused',
    needs: 'needs a postcopy-paused destination listening after migrate-recover (a peer that is not the source then connects)',
    steps: [{ vm: 'destination', event: 'resume-connected' }],
    stray: true,
  },
  {
    // The connection a `migrate resume` started fails at once when the destination does not listen
    // (no migrate-recover yet): the source drops the request and does not retry; the destination
    // listening later does not make it connect (7.2 seen on the binary: resume-before-recover.jsonl).
    name: 'resume-connect-refused',
    ref: 'migration/migration.c: migrate_fd_connect (error_in, resume: migrate_fd_error, no cleanup) / master: migration_connect_error_propagate',
    when: (s) =>
      !!src(s)?.resumeRequested && ['postcopy-paused', 'postcopy-recover-setup'].includes(src(s)!.status) && !(dst(s)?.listening && dst(s)?.status === 'postcopy-paused'),
    needs: 'needs migrate resume on a paused source while no postcopy-paused destination listens (migrate-recover)',
    steps: [{ vm: 'source', event: 'channel-error' }],
  },
  {
    // QEMU 7.2: the connection a `migrate resume` started completes (or fails) after a cancel:
    // migrate_fd_connect sees state != POSTCOPY_PAUSED, takes it for a fresh migration and
    // assert(!s->cleanup_bh) fails.
    name: 'resume-connect-cancelled',
    ref: 'migration/migration.c: migrate_fd_connect (resume = state == POSTCOPY_PAUSED; assert(!s->cleanup_bh))',
    when: (s) => !!src(s)?.resumeRequested && src(s)?.status === 'cancelling',
    needs: 'needs a migrate resume still connecting when migrate_cancel has set cancelling',
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
  // QEMU 10.0: the secondary starts its VM with no primary to send CHECKPOINT_READY to; the status
  // was colo (and the run state inmigrate) a moment before.
  {
    name: 'colo-vm-start',
    ref: 'migration/colo.c: colo_process_incoming_thread (ACTIVE -> COLO, then vm_start)',
    steps: [{ vm: 'destination', event: 'colo-vm-start' }],
  },
  { name: 'failover-bh:source', ref: 'migration/colo-failover.c: colo_failover_bh', steps: [{ vm: 'source', event: 'failover-bh' }] },
  { name: 'failover-bh:destination', ref: 'migration/colo-failover.c: colo_failover_bh', steps: [{ vm: 'destination', event: 'failover-bh' }] },
  {
    name: 'failover-done:source',
    ref: 'migration/colo.c: primary_vm_do_failover (shuts the channel down)',
    steps: [
      { vm: 'source', event: 'failover-done' },
      { vm: 'destination', event: 'channel-error', optional: true, when: (s) => s.channel === 'connected' },
    ],
    channel: 'break',
  },
  {
    name: 'failover-done:destination',
    ref: 'migration/colo.c: secondary_vm_do_failover (shuts the channel down)',
    steps: [
      { vm: 'destination', event: 'failover-done' },
      { vm: 'source', event: 'channel-error', optional: true, when: (s) => s.channel === 'connected' },
    ],
    channel: 'break',
  },
  { name: 'failover-relaunch', ref: 'migration/colo.c: colo_process_incoming_thread', steps: [{ vm: 'destination', event: 'failover-relaunch' }] },
  // The guest's own doing, not migration's: it suspends to RAM (ACPI S3) whenever it runs. Explored
  // only on request (ExploreOptions.suspend).
  { name: 'guest-suspend:source', ref: 'hw/acpi/core.c: acpi_pm1_cnt_write -> system/runstate.c: qemu_system_suspend', steps: [{ vm: 'source', event: 'guest-suspend' }], guest: true },
  { name: 'guest-suspend:destination', ref: 'hw/acpi/core.c: acpi_pm1_cnt_write -> system/runstate.c: qemu_system_suspend', steps: [{ vm: 'destination', event: 'guest-suspend' }], guest: true },
];

export function startPair(p: Profile, input: PairInput = {}): PairState {
  return {
    source: startSide(p, { side: 'source', paused: input.sourcePaused, uuid: input.sourceUuid }),
    destination: input.noDestination ? null : startSide(p, { side: 'destination', incoming: input.incoming ?? 'defer', paused: input.destinationPaused, uuid: input.destinationUuid, cpr: input.cprTransfer }),
    channel: startChannel(),
  };
}

// ---- the composition, written once --------------------------------------------------------------
// The chart view (stepPair, xstate snapshots), the explorer (interned integer ids) and the path
// planner (snapshots, recording the chart edges taken) differ only in how they hold and step one
// process and the channel. They all step the pair through `composeStep`, with a Stepper that says how.

/** A pair over any representation of a process (S) and of the channel (C). */
export interface Composite<S, C> {
  source: S | null;
  destination: S | null;
  channel: C;
}

/** What a QMP command did to one process, as the composition needs it. */
export interface CommandResult<S> {
  /** The process after the command; null: unchanged. */
  next: S | null;
  allowed: boolean;
  /** The deciding row shuts the migration channel (Accept.shutsChannel). */
  shutsChannel: boolean;
  /** The deciding row kills QEMU (Rule.crash). */
  crash: boolean;
}

/** How one user of the composition holds and steps a process and the channel. */
export interface Stepper<S, C> {
  ctx(vm: Side, s: S): SideState;
  /** An internal event of one process: its next state, or null when it cannot move it (mayMove, no enabled transition). */
  internal(vm: Side, s: S, event: InternalEventType): S | null;
  command(vm: Side, s: S, e: QmpEvent): CommandResult<S>;
  start(input: SideInput): S;
  /** The process exits because its incoming load failed (it has sent MIGRATION failed). */
  exits?(vm: Side, s: S): void;
  channel(c: C): ChannelValue;
  channelStep(c: C, e: ChannelEvent['type']): C;
  channelStart(): C;
}

function viewWith<S, C>(st: Stepper<S, C>, s: Composite<S, C>): PairView {
  return {
    source: s.source === null ? null : st.ctx('source', s.source),
    destination: s.destination === null ? null : st.ctx('destination', s.destination),
    channel: st.channel(s.channel),
  };
}

function withSide<S, C>(s: Composite<S, C>, vm: Side, x: S | null): Composite<S, C> {
  return vm === 'source' ? { source: x, destination: s.destination, channel: s.channel } : { source: s.source, destination: x, channel: s.channel };
}

function withChannel<S, C>(st: Stepper<S, C>, s: Composite<S, C>, e: ChannelEvent['type']): Composite<S, C> {
  return { source: s.source, destination: s.destination, channel: st.channelStep(s.channel, e) };
}

/** One process's internal event, if it moves it. */
function take<S, C>(st: Stepper<S, C>, s: Composite<S, C>, vm: Side, event: InternalEventType): Composite<S, C> | null {
  const side = s[vm];
  if (side === null) return null;
  const next = st.internal(vm, side, event);
  return next === null ? null : withSide(s, vm, next);
}

/**
 * A destination whose precopy load fails exits (migration/migration.c: process_incoming_migration_co:
 * exit(EXIT_FAILURE); with exit-on-error=false, QEMU >= 9.1 stays in `failed` instead).
 */
function exitOnFailedLoad<S, C>(st: Stepper<S, C>, s: Composite<S, C>): Composite<S, C> {
  if (s.destination === null || !loadFailureExits(st.ctx('destination', s.destination))) return s;
  st.exits?.('destination', s.destination);
  return withSide(s, 'destination', null);
}


/** The channel breaks: both live ends see the error. */
function breakChannel<S, C>(st: Stepper<S, C>, s: Composite<S, C>): Composite<S, C> {
  if (st.channel(s.channel) !== 'connected') return s;
  let out = withChannel(st, s, 'break');
  for (const vm of ['source', 'destination'] as const) out = take(st, out, vm, 'channel-error') ?? out;
  return exitOnFailedLoad(st, out);
}

/** A shut stream that is not the pair's channel (SyncSpec.stray): the process in postcopy-recover on it pauses, alone. */
function shutStray<S, C>(st: Stepper<S, C>, s: Composite<S, C>, vm: Side): Composite<S, C> {
  const side = s[vm];
  if (side === null || st.ctx(vm, side).status !== 'postcopy-recover') return s;
  return take(st, s, vm, 'channel-error') ?? s;
}

/** Where a step that changes nothing says why (composeStep's `why`): the words are written only when asked. */
export interface Why {
  reason: string;
}
function blocked(why: Why, reason: string): null {
  why.reason = reason;
  return null;
}

/** The process in slot `vm`, in words, naming its role when it changed (Accept.becomes: a destination that migrates on, F3). */
function whoIn(vm: Side, c: SideState): string {
  return c.side === vm ? `the ${vm}` : `the ${vm} process, now a ${c.side}`;
}

/** A synchronised step, or null when it is not enabled (with `why`: the first thing that stops it). */
function syncWith<S, C>(st: Stepper<S, C>, s: Composite<S, C>, spec: SyncSpec, why?: Why): Composite<S, C> | null {
  const ch = st.channel(s.channel);
  if (spec.channelIn && !spec.channelIn.includes(ch)) return why ? blocked(why, `needs the channel ${spec.channelIn.join(' or ')} (it is ${ch})`) : null;
  if (spec.when && !spec.when(viewWith(st, s))) return why ? blocked(why, spec.needs) : null;
  let out = s;
  for (const step of spec.steps) {
    if (step.when && !step.when(viewWith(st, out))) {
      if (step.optional) continue;
      return why ? blocked(why, `${step.event} is not for this pair state`) : null;
    }
    const next = take(st, out, step.vm, step.event);
    if (!next) {
      if (step.optional) continue;
      if (!why) return null;
      const side = out[step.vm];
      if (side === null) return blocked(why, `the ${step.vm} has exited`);
      const c = st.ctx(step.vm, side);
      return blocked(why, `${step.event} cannot move ${whoIn(step.vm, c)} (${c.status} / ${c.runstate})`);
    }
    out = next;
  }
  if (spec.channel === 'connect' && st.channel(out.channel) !== 'connected') out = withChannel(st, out, 'connect');
  if (spec.channel === 'break' && st.channel(out.channel) === 'connected') out = exitOnFailedLoad(st, withChannel(st, out, 'break'));
  if (spec.kills) out = breakChannel(st, withSide(out, spec.kills, null));
  if (spec.execs) out = { source: null, destination: st.start({ side: 'destination', incoming: 'defer' }), channel: st.channelStart() };
  if (spec.loadFails?.(viewWith(st, out))) out = exitOnFailedLoad(st, take(st, out, 'destination', 'channel-error') ?? out);
  // Both ends finished with the stream: the sockets are closed.
  if (st.channel(out.channel) === 'connected') {
    const sc = out.source === null ? '' : st.ctx('source', out.source).status;
    const dc = out.destination === null ? undefined : st.ctx('destination', out.destination).status;
    if ((sc === 'completed' || sc === 'cancelled' || sc === 'failed') && (dc === undefined || dc === 'completed' || dc === 'failed')) out = withChannel(st, out, 'close');
  }
  return out;
}

function faultWith<S, C>(st: Stepper<S, C>, s: Composite<S, C>, f: Fault, why?: Why): Composite<S, C> | null {
  switch (f) {
    case 'channel-break':
    case 'heartbeat-loss': { // the peers lose each other (for COLO: no more checkpoints); modelled as a break
      const ch = st.channel(s.channel);
      if (ch === 'connected') return breakChannel(st, s);
      return why ? blocked(why, `the channel is ${ch}, not connected`) : null;
    }
    case 'crash-source':
    case 'crash-destination': {
      const vm: Side = f === 'crash-source' ? 'source' : 'destination';
      if (s[vm] === null) return why ? blocked(why, `the ${vm} has already exited`) : null;
      return breakChannel(st, withSide(s, vm, null));
    }
  }
}

const SYNC_BY_NAME = new Map(SYNC.map((x) => [x.name, x]));
export function syncSpec(name: string): SyncSpec {
  const spec = SYNC_BY_NAME.get(name);
  if (!spec) throw new Error(`unknown synchronised step '${name}' (known: ${SYNC.map((x) => x.name).join(', ')})`);
  return spec;
}

/**
 * One step of the pair: the state after `e`, or null when `e` changes nothing (a command to a
 * process that has exited, a synchronised step or fault that is not enabled). `onCommand` sees a
 * QMP command's result on its process; `why`, when given, gets the reason a null was returned.
 */
export function composeStep<S, C>(st: Stepper<S, C>, s: Composite<S, C>, e: PairEvent, onCommand?: (r: CommandResult<S>) => void, why?: Why): Composite<S, C> | null {
  switch (e.type) {
    case 'qmp': {
      const side = s[e.vm];
      if (side === null) return why ? blocked(why, `the ${e.vm} has exited`) : null;
      if (!monitorUp(st.ctx(e.vm, side))) return why ? blocked(why, `the ${e.vm} has no monitor yet: it waits for the source's cpr state (-incoming cpr)`) : null;
      const r = st.command(e.vm, side, e.arguments ? { type: 'qmp', command: e.command, arguments: e.arguments } : { type: 'qmp', command: e.command });
      onCommand?.(r);
      // A row whose handling kills QEMU (Rule.crash): the process is gone, the peer sees EOF.
      if (r.crash) return breakChannel(st, withSide(s, e.vm, null));
      let out = r.next === null ? s : withSide(s, e.vm, r.next);
      // A command whose effect reaches the channel, and so the other process (yank, migrate-pause, a cancel).
      // A process in postcopy-recover with no channel to the other has a stray peer (SyncSpec.stray):
      // shutting its stream moves it alone.
      if (r.allowed && r.shutsChannel) out = st.channel(out.channel) === 'connected' ? breakChannel(st, out) : shutStray(st, out, e.vm);
      if (out !== s) return out;
      return why ? blocked(why, r.allowed ? `QEMU answers it; nothing of ${whoIn(e.vm, st.ctx(e.vm, side))} changes` : `${whoIn(e.vm, st.ctx(e.vm, side))} refuses it`) : null;
    }
    case 'sync':
      return syncWith(st, s, syncSpec(e.name), why);
    case 'fault':
      return faultWith(st, s, e.fault, why);
    case 'restart-destination': {
      const fresh = st.start({ side: 'destination', incoming: e.incoming ?? 'defer' });
      const channel = st.channel(s.channel) === 'connected' ? s.channel : st.channelStart();
      return { source: s.source, destination: fresh, channel };
    }
  }
}

/**
 * Why `e` cannot change the pair in `s`, in words, or '' when it does: the reason composeStep
 * itself stops at (the channel, a step's condition, a process an event cannot move).
 */
export function blockedReasonWith<S, C>(st: Stepper<S, C>, s: Composite<S, C>, e: PairEvent): string {
  const why: Why = { reason: '' };
  return composeStep(st, s, e, undefined, why) === null ? why.reason : '';
}

/** The synchronised steps enabled in a state. */
export function enabledSyncs<S, C>(st: Stepper<S, C>, s: Composite<S, C>): SyncSpec[] {
  return SYNC.filter((spec) => syncWith(st, s, spec) !== null);
}

/** Every event that changes the pair from here (QMP commands aside): synchronised steps and faults. */
export function enabledInternalWith<S, C>(st: Stepper<S, C>, s: Composite<S, C>): PairEvent[] {
  const out: PairEvent[] = enabledSyncs(st, s).map((x) => ({ type: 'sync', name: x.name }));
  for (const f of FAULTS) if (faultWith(st, s, f)) out.push({ type: 'fault', fault: f });
  return out;
}

// ---- the chart view: xstate snapshots -----------------------------------------------------------

/** The events one process sent in a step, in order; `command`: sent by the command itself (before its reply). */
export interface Sent {
  vm: Side;
  events: readonly EventKey[];
  command?: boolean;
}

/**
 * A Stepper over xstate snapshots; `onDecision` sees QEMU's decision of each command, `onSent` the
 * events each process sends (MIGRATION, STOP, RESUME: machines/inclusion.ts, the one reading of them).
 */
export function snapshotStepper(p: Profile, onDecision?: (d: Decision) => void, onSent?: (s: Sent) => void): Stepper<SideSnapshot, ChannelSnapshot> {
  const g = onSent ? graphOf(p) : null;
  return {
    ctx: (_vm, s) => s.context,
    internal(vm, s, event) {
      if (!mayMove(p, s.context, { type: event })) return null;
      const r = stepSide(p, s, { type: event });
      if (!r.changed) return null;
      if (g) {
        const sends = g.succ(g.node(s.context)).find((x) => x.type === event && x.to !== g.exited)?.sends ?? [];
        if (sends.length) onSent!({ vm, events: sends });
      }
      return r.snapshot;
    },
    command(vm, s, e) {
      const r = stepSide(p, s, e);
      const d = r.decision!;
      onDecision?.(d);
      if (g) {
        const sends = g.command(g.node(s.context), e.command, e.arguments ?? {}).sends;
        if (sends.length) onSent!({ vm, events: sends, command: true });
      }
      return { next: r.changed ? r.snapshot : null, allowed: d.allowed, shutsChannel: d.allowed && !!d.rule.accept!.shutsChannel, crash: !!d.rule?.crash };
    },
    exits(vm, s) {
      const events = exitEvents(s.context);
      if (onSent && events.length) onSent({ vm, events });
    },
    start: (input) => startSide(p, input),
    channel: (c) => c.value as ChannelValue,
    channelStep: (c, e) => stepChannel(c, { type: e }),
    channelStart: startChannel,
  };
}

const plainSteppers = new WeakMap<Profile, Stepper<SideSnapshot, ChannelSnapshot>>();
function plainStepper(p: Profile): Stepper<SideSnapshot, ChannelSnapshot> {
  let st = plainSteppers.get(p);
  if (!st) plainSteppers.set(p, (st = snapshotStepper(p)));
  return st;
}

/** The data view of a pair state that the synchronised steps' conditions and the invariants read. */
export function pairView(s: PairState): PairView {
  return { source: s.source?.context ?? null, destination: s.destination?.context ?? null, channel: s.channel.value as ChannelValue };
}

/** Every event that changes the pair from here (QMP commands aside): synchronised steps and faults. */
export function enabledInternal(p: Profile, s: PairState): PairEvent[] {
  return enabledInternalWith(plainStepper(p), s);
}

/** Why `e` cannot change the pair now (blockedReasonWith over snapshots), or ''. */
export function blockedReason(p: Profile, s: PairState, e: PairEvent): string {
  return blockedReasonWith(plainStepper(p), s, e);
}

/** `events`: also say which events each process sent (PairStep.sent), for traces made from the model. */
export function stepPair(p: Profile, s: PairState, e: PairEvent, opts: { events?: boolean } = {}): PairStep {
  const sent: Sent[] | undefined = opts.events ? [] : undefined;
  const onSent = sent ? (x: Sent) => sent.push(x) : undefined;
  if (e.type === 'qmp') {
    if (!s[e.vm]) return { state: s, changed: false, reply: { exited: true }, sent };
    if (!monitorUp(s[e.vm]!.context)) return { state: s, changed: false, reply: { noMonitor: true }, sent };
    let d: Decision | undefined;
    const out = composeStep(snapshotStepper(p, (x) => (d = x), onSent), s, e) ?? s;
    const reply: PairReply = d!.allowed ? { return: d!.reply } : { error: d!.error };
    const crash = d!.rule?.crash;
    if (crash) return { state: out, changed: true, reply: crash.afterReply ? reply : { exited: true }, decision: d, sent };
    return { state: out, changed: out !== s, reply, decision: d, sent };
  }
  if (e.type === 'sync') syncSpec(e.name); // an unknown name is an error, not a step that changes nothing
  const out = composeStep(sent ? snapshotStepper(p, undefined, onSent) : plainStepper(p), s, e);
  return out ? { state: out, changed: true, sent } : { state: s, changed: false, sent };
}
