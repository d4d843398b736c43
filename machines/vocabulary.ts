// QEMU's own names, spelled as QEMU spells them (qapi/migration.json, qapi/run-state.json).
// A profile picks the subset its QEMU version has; these unions are the superset.

export const SIDES = ['source', 'destination'] as const;
export type Side = (typeof SIDES)[number];

/** qapi/migration.json: MigrationStatus (superset over all profiles). */
export const ALL_STATUSES = [
  'none',
  'setup',
  'cancelling',
  'cancelled',
  'active',
  'postcopy-device',
  'postcopy-active',
  'postcopy-paused',
  'postcopy-recover-setup',
  'postcopy-recover',
  'completed',
  'failing',
  'failed',
  'colo',
  'pre-switchover',
  'device',
  'wait-unplug',
] as const;
export type MigrationStatus = (typeof ALL_STATUSES)[number];

/** qapi/run-state.json: RunState, the values migration moves a VM through. */
export const RUN_STATES = [
  'prelaunch',
  'inmigrate',
  'running',
  'paused',
  'finish-migrate',
  'postmigrate',
  'colo',
  'suspended',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export type ColoMode = 'none' | 'primary' | 'secondary';

/** How `-incoming` was given on the destination's command line. */
export type IncomingMode = 'defer' | 'uri';

export type QmpArguments = Record<string, unknown>;

/** A QMP command as it reaches a chart: one event type for all commands. */
export interface QmpEvent {
  type: 'qmp';
  command: string;
  arguments?: QmpArguments;
}

/**
 * What QEMU's threads do, unobservable over QMP except through its effects.
 * Each is named after what happens in QEMU, not after a status.
 */
export const INTERNAL_EVENTS = [
  'setup-done', // migration_thread: qemu_savevm_state_setup() finished
  'unplug-pending', // migration_thread: failover devices still being unplugged
  'unplug-done', // qemu_savevm_state_guest_unplug_pending() became false
  'converged', // migration_iteration_run: pending below the threshold -> completion
  'switchover-start', // migration_completion after the VM stopped: migration_maybe_pause / migration_switchover_prepare
  'pause-released', // migration_maybe_pause: pause_sem posted (migrate-continue) and taken
  'cancel-set', // migrate_fd_cancel (7.2): its cmpxchg to cancelling lands after posting pause_sem (races the thread)
  'switchover-done', // migration_completion: device state sent, stream closed
  'postcopy-start', // migration_iteration_run: start_postcopy seen -> postcopy_start()
  'postcopy-stop', // postcopy_start (QEMU 7.2): vm_stop_force_state, after the status became postcopy-active
  'postcopy-device-done', // postcopy_start: device state sent while in postcopy-device
  'channel-error', // the migration stream broke (qemu_file_get_error, connection refused)
  'cleanup-done', // migration_iteration_finish/migrate_fd_cleanup ran after cancel or failure
  'resume-connected', // postcopy recovery: the new channel connected
  'recover-done', // MIG_RP_MSG_RESUME_ACK received / loadvm_postcopy_handle_resume
  'source-connected', // destination: an incoming channel was accepted
  'load-done', // destination: the whole stream was loaded (process_incoming_migration_bh)
  'postcopy-listen', // destination: MIG_CMD_POSTCOPY_LISTEN (loadvm_postcopy_handle_listen)
  'postcopy-run', // destination: MIG_CMD_POSTCOPY_RUN (loadvm_postcopy_handle_run_bh)
  'postcopy-done', // destination: postcopy_ram_listen_thread finished loading
  'globalstate-paused', // destination: the globalstate section says the source was paused
  'globalstate-prelaunch', // destination: the globalstate section says the source was in prelaunch
  'globalstate-suspended', // destination (QEMU >= 9.0): the globalstate section says the guest was suspended (vm_was_suspended)
  'cpr-loaded', // destination started with -incoming cpr (cpr-transfer, QEMU >= 10.0): cpr_state_load read the source's cpr state; qemu_init goes on (the monitor comes up, -incoming URI listens)
  'cpr-stop', // source, a cpr mode (QEMU >= 8.2): migration_connect -> migration_stop_vm, in setup, before the thread starts
  'guest-suspend', // the guest entered S3 (ACPI PM1a_CNT SLP_EN): qemu_system_suspend -> runstate suspended, SUSPEND event
  'rp-open', // destination: MIG_CMD_OPEN_RETURN_PATH received (loadvm_process_command)
  'rp-shut', // source: MIG_RP_MSG_SHUT received (source_return_path_thread)
  'colo-enable', // destination (QEMU 7.2): MIG_CMD_ENABLE_COLO received
  'colo-vm-start', // destination (QEMU 10.0): colo_process_incoming_thread's vm_start, with no primary to answer
  // COLO checkpoint messages (qapi/migration.json: COLOMessage), sent by one side, received by the other
  'checkpoint-ready',
  'checkpoint-request',
  'checkpoint-reply',
  'vmstate-send',
  'vmstate-size',
  'vmstate-received',
  'vmstate-loaded',
  'failover-bh', // colo-failover.c: colo_failover_bh (failover require -> active; colo_do_failover)
  'failover-done', // colo.c: primary_vm_do_failover / secondary_vm_do_failover finished
  'failover-relaunch', // colo.c: the incoming thread retries a failover after the load (relaunch -> require)
] as const;
export type InternalEventType = (typeof INTERNAL_EVENTS)[number];
export interface InternalEvent {
  type: InternalEventType;
}

export type SideEvent = QmpEvent | InternalEvent;

export interface QmpError {
  class: string;
  desc: string;
}
