// Profile qemu-7.2: QEMU 7.2 as Debian bookworm ships it (qemu-system-x86 1:7.2+dfsg-7+deb12u*).
// Rows are checked in order, the order of QEMU's own checks. Every row names the QEMU function.
// Source of truth: migration/migration.c and monitor/qmp-cmds.c at v7.2.0, and the real binary
// (docs/research/qemu-7.2-observed.jsonl is what it answered; model-tests/observed.test.ts
// replays those answers against this table).
import type { Profile, Rule, ChartTransition, ParamSpec, ParamCheck, CapConflict, UnmodelledCommand, CheckName } from '../profile.ts';
import type { MigrationStatus } from '../vocabulary.ts';

const MC = 'migration/migration.c';
const CO = 'migration/colo.c';
const QMP_CMDS = 'monitor/qmp-cmds.c';
const QAPI = 'qapi/qobject-input-visitor.c';

/** migration/migration.c: migration_is_running() — the outgoing side only. */
export const RUNNING_72: readonly MigrationStatus[] = [
  'active',
  'postcopy-active',
  'postcopy-paused',
  'postcopy-recover',
  'setup',
  'pre-switchover',
  'device',
  'wait-unplug',
  'cancelling',
];

const MIGRATION_ACTIVE = "There's a migration process in progress"; // include/qapi/qmp/qerror.h: QERR_MIGRATION_ACTIVE
const GE = 'GenericError';

/**
 * Commands outside migration that the COLO procedures (docs/system/qemu-colo.rst) run: modelled as
 * opaque accepted steps with no migration effect. Their own failures (a missing node, a port in
 * use) are outside this model.
 */
export const OPAQUE_COMMANDS: Readonly<Record<string, string>> = {
  'nbd-server-start': 'blockdev-nbd.c: qmp_nbd_server_start',
  'nbd-server-add': 'blockdev-nbd.c: qmp_nbd_server_add',
  'nbd-server-stop': 'blockdev-nbd.c: qmp_nbd_server_stop',
  'blockdev-add': 'blockdev.c: qmp_blockdev_add',
  'blockdev-del': 'blockdev.c: qmp_blockdev_del',
  'x-blockdev-change': 'blockdev.c: qmp_x_blockdev_change',
  'drive-mirror': 'blockdev.c: qmp_drive_mirror',
  'block-job-cancel': 'blockdev.c: qmp_block_job_cancel',
  'object-add': 'qom/object_interfaces.c: qmp_object_add',
  'object-del': 'qom/object_interfaces.c: qmp_object_del',
  'chardev-add': 'chardev/char.c: qmp_chardev_add',
  'chardev-remove': 'chardev/char.c: qmp_chardev_remove',
};

/**
 * Commands that change what a migration reads but that the model does not model: check-trace
 * reports them as unchecked (Profile.unmodelledCommands). Read-only commands (query-*) are not here:
 * passing over them loses nothing.
 */
export const UNMODELLED_72: UnmodelledCommand[] = [
  { id: 'add-fd', changes: 'the fd sets a /dev/fdset/N path opens', ref: 'monitor/misc.c: qmp_add_fd' },
  { id: 'remove-fd', changes: 'the fd sets a /dev/fdset/N path opens', ref: 'monitor/misc.c: qmp_remove_fd' },
  { id: 'system_reset', changes: 'a reset request: the run state may leave shutdown, guest-panicked or suspended', ref: 'monitor/qmp-cmds.c: qmp_system_reset' },
  { id: 'system_powerdown', changes: 'an ACPI power button: the guest may shut down (run state shutdown)', ref: 'monitor/qmp-cmds.c: qmp_system_powerdown' },
  { id: 'quit', changes: 'the process exits', ref: 'monitor/qmp-cmds.c: qmp_quit' },
  { id: 'snapshot-save', changes: 'a job that stops the VM and writes the migration stream to a disk (save-vm)', ref: 'migration/savevm.c: qmp_snapshot_save' },
  { id: 'snapshot-load', changes: 'a job that loads a VM state from a disk (restore-vm)', ref: 'migration/savevm.c: qmp_snapshot_load' },
];

/** Where the monitor's fd commands are (monitor/fds.c from 8.1). */
const MON_FDS = 'monitor/misc.c';
/** monitor_get_fd's error: no fd of that name on the monitor. */
export const FD_NOT_FOUND = "File descriptor named '{fdname}' has not been found";
/** A destination migrating on to an fd nobody named (migrate.fd-unknown.dst): its outgoing setup, then failed. */
const FD_DST_REF = `${MC}: qmp_migrate -> migrate_init (NONE -> SETUP); migration/fd.c: fd_start_outgoing_migration -> monitor_get_fd; migrate_fd_error (SETUP -> FAILED)`;
/**
 * migrate to fd:NAME with no such fd: qmp_migrate -> fd_start_outgoing_migration -> monitor_get_fd
 * fails after migrate_init (setup), and migrate_fd_error sets failed. The same four cases as an
 * unknown scheme (events on or off; from failed only the events tell). Later profiles give a file:
 * URI whose fd set is missing the same four (qemu-10.0 migrate.fdset-unknown).
 */
export function openFailsRows(id: string, check: CheckName, desc: string, ref: string): Rule[] {
  const when = (failed: boolean, events: boolean): Rule['when'] => ({ check, args: { resume: { notEquals: true } }, ...(failed ? { status: ['failed'] } : { notStatus: ['failed'] }), caps: { events } });
  return [
    { id, side: 'source', command: 'migrate', when: when(false, true), reject: { class: GE, desc, status: 'failed' }, alwaysSends: ['setup'], ref },
    { id: `${id}.quiet`, side: 'source', command: 'migrate', when: when(false, false), reject: { class: GE, desc, status: 'failed' }, ref, note: `as ${id}, events off` },
    { id: `${id}.again`, side: 'source', command: 'migrate', when: when(true, true), reject: { class: GE, desc }, alwaysSends: ['setup', 'failed'], ref },
    { id: `${id}.again.quiet`, side: 'source', command: 'migrate', when: when(true, false), reject: { class: GE, desc }, ref, note: `as ${id}.again, events off` },
  ];
}
function fdUnknownRows(): Rule[] {
  return openFailsRows('migrate.fd-unknown', 'fdNameUnknown', FD_NOT_FOUND, `${MC}: qmp_migrate -> migration/fd.c: fd_start_outgoing_migration -> monitor_get_fd; migrate_fd_error (SETUP -> FAILED)`);
}

const DR = 'migration/dirtyrate.c';
/** calc-dirty-rate's rows up to its mode test, which 10.0 moved (dirtyRateRows72 order: args, measuring, calc-time, mode, sample-pages, start). */
function dirtyRateRows72(): Rule[] {
  const mode = (m: string): Rule => ({
    id: `calc-dirty-rate.${m}`, side: 'both', command: 'calc-dirty-rate', when: { args: { mode: { equals: m } } },
    reject: { class: GE, desc: 'the process exits (SIGSEGV)' },
    crash: { afterReply: false, how: 'kvm_dirty_ring_enabled() reads kvm_state, which is NULL under TCG (no KVM): the mode test of qmp_calc_dirty_rate dereferences it (seen on the binary: the monitor connection closes with no reply; docs/findings.md F19)' },
    ref: `${DR}: qmp_calc_dirty_rate -> accel/kvm/kvm-all.c: kvm_dirty_ring_enabled`,
  });
  return [
    { id: 'calc-dirty-rate.args', side: 'both', command: 'calc-dirty-rate', when: { args: { 'calc-time': 'absent' } },
      reject: { class: GE, desc: "Parameter 'calc-time' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_calc_dirty_rate)` },
    { id: 'calc-dirty-rate.measuring', side: 'both', command: 'calc-dirty-rate', env: 'dirty-rate-measuring',
      reject: { class: GE, desc: 'the dirty rate is already being measured.' }, ref: `${DR}: qmp_calc_dirty_rate (CalculatingState == DIRTY_RATE_STATUS_MEASURING)`,
      note: 'an environment outcome: an earlier measurement (calc-time long) is still running; query-dirty-rate, not modelled, says so' },
    { id: 'calc-dirty-rate.calc-time', side: 'both', command: 'calc-dirty-rate', when: { check: 'dirtyCalcTimeOutOfRange' },
      reject: { class: GE, desc: 'calc-time is out of range[1, 60].' }, ref: `${DR}: qmp_calc_dirty_rate (is_sample_period_valid)` },
    mode('dirty-ring'),
    mode('dirty-bitmap'),
    { id: 'calc-dirty-rate.sample-pages-mode', side: 'both', command: 'calc-dirty-rate', when: { check: 'dirtySamplePagesNotSampling' },
      reject: { class: GE, desc: 'sample-pages is used only in page-sampling mode' }, ref: `${DR}: qmp_calc_dirty_rate` },
    { id: 'calc-dirty-rate.sample-pages', side: 'both', command: 'calc-dirty-rate', when: { check: 'dirtySamplePagesOutOfRange' },
      reject: { class: GE, desc: 'sample-pages is out of range[128, 16384].' }, ref: `${DR}: qmp_calc_dirty_rate (is_sample_pages_valid)` },
    { id: 'calc-dirty-rate.start', side: 'both', command: 'calc-dirty-rate', accept: { reply: 'empty' }, ref: `${DR}: qmp_calc_dirty_rate -> qemu_thread_create (get_dirtyrate_thread)`,
      note: 'a thread measures for calc-time and then reports through query-dirty-rate (not modelled: a measurement changes nothing migration reads)' },
    { id: 'set-vcpu-dirty-limit.no-dirty-ring', side: 'both', command: 'set-vcpu-dirty-limit',
      reject: { class: GE, desc: "dirty page limit feature requires KVM with accelerator property 'dirty-ring-size' set'" }, ref: 'softmmu/dirtylimit.c: qmp_set_vcpu_dirty_limit (!kvm_enabled() || !kvm_dirty_ring_enabled())' },
    { id: 'cancel-vcpu-dirty-limit.no-dirty-ring', side: 'both', command: 'cancel-vcpu-dirty-limit', accept: { reply: 'empty' },
      ref: 'softmmu/dirtylimit.c: qmp_cancel_vcpu_dirty_limit (!kvm_enabled(): returns, nothing to cancel)' },
  ];
}

const BAD_URI = "Parameter 'uri' expects a valid migration protocol";
const BAD_URI_REF = `${MC}: qmp_migrate (no scheme matches, uriSchemes: QERR_INVALID_PARAMETER_VALUE; migrate_set_state SETUP -> FAILED)`;

const rules: Rule[] = [
  // ---- migrate -------------------------------------------------------------------------------
  { id: 'migrate.args', side: 'both', command: 'migrate', when: { args: { uri: 'absent' } },
    reject: { class: GE, desc: "Parameter 'uri' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_migrate)` },
  { id: 'migrate.resume-not-paused', side: 'source', command: 'migrate', when: { args: { resume: { equals: true } }, notStatus: ['postcopy-paused'] },
    reject: { class: GE, desc: 'Cannot resume if there is no paused migration' }, ref: `${MC}: migrate_prepare` },
  { id: 'migrate.resume-not-paused.dst', side: 'destination', command: 'migrate', when: { args: { resume: { equals: true } } },
    reject: { class: GE, desc: 'Cannot resume if there is no paused migration' }, ref: `${MC}: migrate_prepare`,
    note: 'on a destination process the outgoing state is none' },
  { id: 'migrate.resume-release-ram', side: 'source', command: 'migrate', when: { args: { resume: { equals: true } }, caps: { 'release-ram': true } },
    reject: { class: GE, desc: 'Postcopy recovery cannot work when release-ram capability is set' }, ref: `${MC}: migrate_prepare` },
  { id: 'migrate.resume', side: 'source', command: 'migrate', when: { args: { resume: { equals: true } } },
    accept: { reply: 'empty', effects: ['requestResume', 'takeFd'] }, ref: `${MC}: qmp_migrate`,
    note: 'the status stays postcopy-paused until the new channel connects (postcopy_pause); if the connect fails, the request is dropped (src.resume-refused)' },
  { id: 'migrate.running', side: 'source', command: 'migrate', when: { status: RUNNING_72 },
    reject: { class: GE, desc: MIGRATION_ACTIVE }, ref: `${MC}: migrate_prepare (migration_is_running)` },
  { id: 'migrate.inmigrate', side: 'both', command: 'migrate', when: { runstate: ['inmigrate'] },
    reject: { class: GE, desc: 'Guest is waiting for an incoming migration' }, ref: `${MC}: migrate_prepare` },
  { id: 'migrate.postmigrate', side: 'both', command: 'migrate', when: { runstate: ['postmigrate'] },
    reject: { class: GE, desc: "Can't migrate the vm that was paused due to previous migration" }, ref: `${MC}: migrate_prepare` },
  { id: 'migrate.yank-duplicate.completing', side: 'source', command: 'migrate', when: { status: ['completed', 'failed'], ctx: { yankRegistered: true } },
    reject: { class: GE, desc: 'duplicate yank instance' }, ref: `${MC}: qmp_migrate -> yank_register_instance (util/yank.c)`,
    crash: { afterReply: true, how: 'migrate_init already reset the status to setup and cleanup_bh to NULL; the migration thread, waiting for the BQL in migration_iteration_finish, then reports "Unknown ending state" and calls qemu_bh_schedule(NULL) (SIGSEGV)' },
    note: 'the window between migration_completion (completed or failed, set without the BQL) and migrate_fd_cleanup (which unregisters the yank instance): the VM is still in finish-migrate, so migrate_prepare lets it through (docs/findings.md F8; failed: F10)' },
  { id: 'migrate.yank-duplicate', side: 'source', command: 'migrate', when: { status: ['colo'] },
    reject: { class: GE, desc: 'duplicate yank instance' }, ref: `${MC}: qmp_migrate -> yank_register_instance (util/yank.c)`,
    note: 'COLO never ran migrate_fd_cleanup, so the migration yank instance is still registered; migrate_init has already set the status to setup (a QEMU bug: the error leaves the status changed; see docs/findings.md)' },
  { id: 'migrate.yank-duplicate.dst', side: 'destination', command: 'migrate', when: { status: ['postcopy-active', 'postcopy-paused', 'postcopy-recover', 'colo'] },
    reject: { class: GE, desc: 'duplicate yank instance', outgoing: 'setup' }, ref: `${MC}: qmp_migrate -> migrate_prepare -> migrate_init (NONE -> SETUP); yank_register_instance (util/yank.c)`,
    note: 'the incoming migration still holds the migration yank instance until migration_incoming_state_destroy; migrate_init has set the outgoing status to setup (MIGRATION setup with events), and query-migrate reports it from then on (docs/findings.md F2)' },
  // qmp_migrate dispatches on the scheme only after migrate_prepare (migrate_init: setup) and the
  // yank registration; an unknown one answers this, sets failed and unregisters the yank instance
  // (seen on the binary: MIGRATION setup, failed; query-migrate failed; a next migrate is taken).
  { id: 'migrate.unknown-protocol', side: 'source', command: 'migrate', when: { check: 'uriInvalid', args: { resume: { notEquals: true } }, notStatus: ['failed'], caps: { events: true } },
    reject: { class: GE, desc: BAD_URI, status: 'failed' }, alwaysSends: ['setup'], ref: BAD_URI_REF },
  { id: 'migrate.unknown-protocol.quiet', side: 'source', command: 'migrate', when: { check: 'uriInvalid', args: { resume: { notEquals: true } }, notStatus: ['failed'], caps: { events: false } },
    reject: { class: GE, desc: BAD_URI, status: 'failed' }, ref: BAD_URI_REF, note: 'as migrate.unknown-protocol, events off' },
  // From failed the status ends where it was: only the events tell (setup, then failed again).
  { id: 'migrate.unknown-protocol.again', side: 'source', command: 'migrate', when: { check: 'uriInvalid', args: { resume: { notEquals: true } }, status: ['failed'], caps: { events: true } },
    reject: { class: GE, desc: BAD_URI }, alwaysSends: ['setup', 'failed'], ref: BAD_URI_REF },
  { id: 'migrate.unknown-protocol.again.quiet', side: 'source', command: 'migrate', when: { check: 'uriInvalid', args: { resume: { notEquals: true } }, status: ['failed'], caps: { events: false } },
    reject: { class: GE, desc: BAD_URI }, ref: BAD_URI_REF, note: 'as migrate.unknown-protocol.again, events off' },
  // fd:NAME with no fd of that name on the monitor: fd_start_outgoing_migration's monitor_get_fd
  // fails after migrate_init, and migrate_fd_error sets failed, as for an unknown scheme.
  ...fdUnknownRows(),
  { id: 'migrate.start', side: 'source', command: 'migrate',
    accept: { reply: 'empty', status: 'setup', effects: ['startMigration', 'registerYank', 'takeFd'] }, ref: `${MC}: qmp_migrate -> migrate_init`,
    note: 'an fd:NAME URI takes the named fd off the monitor (monitor_get_fd)' },
  // QEMU keeps both directions in every process (MigrationIncomingState, MigrationState): a
  // destination that finished loading runs the VM like any other and may migrate it on (A -> B -> C).
  // query-migrate then reports the outgoing state (fill_source_migration_info overrides the
  // destination's). Seen on the 7.2 binary: completed, then MIGRATION setup (conformance
  // completed-destination-migrate; docs/findings.md F3).
  // A destination that migrates on (migrate.start.dst) to an fd nobody named: its outgoing
  // migration fails as a source's does (setup, failed), and query-migrate reports it (Reject.outgoing).
  { id: 'migrate.fd-unknown.dst', side: 'destination', command: 'migrate', when: { check: 'fdNameUnknown', caps: { events: true } },
    reject: { class: GE, desc: FD_NOT_FOUND, outgoing: 'failed' }, alwaysSends: ['setup', 'failed'],
    ref: FD_DST_REF },
  { id: 'migrate.fd-unknown.dst.quiet', side: 'destination', command: 'migrate', when: { check: 'fdNameUnknown', caps: { events: false } },
    reject: { class: GE, desc: FD_NOT_FOUND, outgoing: 'failed' },
    ref: FD_DST_REF, note: 'as migrate.fd-unknown.dst, events off' },
  { id: 'migrate.start.dst', side: 'destination', command: 'migrate',
    accept: { reply: 'empty', status: 'setup', becomes: 'source', effects: ['startMigration', 'registerYank', 'takeFd'] }, ref: `${MC}: qmp_migrate -> migrate_init`,
    note: 'the process starts an outgoing migration: from here it is a source (its incoming migration is over)' },

  // ---- migrate-incoming ----------------------------------------------------------------------
  { id: 'migrate-incoming.args', side: 'both', command: 'migrate-incoming', when: { args: { uri: 'absent' } },
    reject: { class: GE, desc: "Parameter 'uri' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_migrate_incoming)` },
  { id: 'migrate-incoming.once', side: 'both', command: 'migrate-incoming', when: { ctx: { incomingStarted: true } },
    reject: { class: GE, desc: 'The incoming migration has already been started' }, ref: `${MC}: qmp_migrate_incoming` },
  { id: 'migrate-incoming.not-inmigrate', side: 'both', command: 'migrate-incoming', when: { notRunstate: ['inmigrate'] },
    reject: { class: GE, desc: "'-incoming' was not specified on the command line" }, ref: `${MC}: qmp_migrate_incoming` },
  // qemu_start_incoming_migration sends MIGRATION setup before it looks at the scheme (seen on the
  // binary: "unknown migration protocol: bogus:1", and a retry is taken: `once` is not set).
  { id: 'migrate-incoming.unknown-protocol', side: 'both', command: 'migrate-incoming', when: { check: 'uriInvalid' },
    reject: { class: GE, desc: 'unknown migration protocol: {uri}' }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration (no scheme matches; uriSchemes)` },
  // Seen on the 7.2 binary: MIGRATION setup, then this error; query-migrate unchanged, and a retry
  // on a free port is accepted (the `once` flag is set only after the listener is up).
  // fd:NAME: monitor_fd_param looks a name up (a number is taken as an fd, beyond the model); after
  // the MIGRATION setup event, and `once` stays unset, as for an unknown scheme.
  { id: 'migrate-incoming.fd-unknown', side: 'both', command: 'migrate-incoming', when: { check: 'fdParamUnknown' },
    reject: { class: GE, desc: FD_NOT_FOUND }, alwaysSends: ['setup'], ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration/fd.c: fd_start_incoming_migration -> monitor_fd_param` },
  { id: 'migrate-incoming.port-in-use', side: 'destination', command: 'migrate-incoming', env: 'port-in-use',
    reject: { class: GE, desc: 'Failed to find an available port: Address already in use' }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> socket_start_incoming_migration (inet_listen_saddr)`,
    note: 'an environment outcome: the port is taken by another process' },
  { id: 'migrate-incoming.start', side: 'destination', command: 'migrate-incoming',
    accept: { reply: 'empty', effects: ['listen', 'markIncomingStarted', 'registerYank', 'takeFd'] }, alwaysSends: ['setup'], ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration (qapi_event_send_migration(SETUP))`,
    note: 'listening does not change the incoming status: query-migrate shows no status until a source connects; MIGRATION setup is sent all the same, even with the events capability off' },

  // ---- migrate-recover -----------------------------------------------------------------------
  { id: 'migrate-recover.args', side: 'both', command: 'migrate-recover', when: { args: { uri: 'absent' } },
    reject: { class: GE, desc: "Parameter 'uri' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_migrate_recover)` },
  { id: 'migrate-recover.not-paused.src', side: 'source', command: 'migrate-recover',
    reject: { class: GE, desc: 'Migrate recover can only be run when postcopy is paused.' }, ref: `${MC}: qmp_migrate_recover`,
    note: 'checks the incoming state, which is none on a source process' },
  { id: 'migrate-recover.not-paused', side: 'destination', command: 'migrate-recover', when: { notStatus: ['postcopy-paused'] },
    reject: { class: GE, desc: 'Migrate recover can only be run when postcopy is paused.' }, ref: `${MC}: qmp_migrate_recover` },
  { id: 'migrate-recover.unknown-protocol', side: 'destination', command: 'migrate-recover', when: { check: 'uriInvalid' },
    reject: { class: GE, desc: 'unknown migration protocol: {uri}' }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration (no scheme matches; uriSchemes)` },
  { id: 'migrate-recover.port-in-use', side: 'destination', command: 'migrate-recover', env: 'port-in-use',
    reject: { class: GE, desc: 'Failed to find an available port: Address already in use' }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration -> socket_start_incoming_migration (inet_listen_saddr)`,
    note: 'an environment outcome: the port is taken by another process' },
  { id: 'migrate-recover.fd-unknown', side: 'destination', command: 'migrate-recover', when: { check: 'fdParamUnknown' },
    reject: { class: GE, desc: FD_NOT_FOUND }, alwaysSends: ['setup'], ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration -> migration/fd.c: fd_start_incoming_migration -> monitor_fd_param` },
  { id: 'migrate-recover.start', side: 'destination', command: 'migrate-recover',
    accept: { reply: 'empty', effects: ['listen', 'takeFd'] }, alwaysSends: ['setup'], ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration (qapi_event_send_migration(SETUP))` },

  // ---- migrate_cancel ------------------------------------------------------------------------
  { id: 'migrate_cancel.postcopy-paused', side: 'source', command: 'migrate_cancel', when: { status: ['postcopy-paused', 'postcopy-recover'] },
    accept: { reply: 'empty', status: 'cancelling', effects: ['parkThread'], shutsChannel: true }, ref: `${MC}: migrate_fd_cancel`,
    note: 'the migration thread sleeps in postcopy_pause (postcopy_pause_sem) or in postcopy_resume_handshake (rp_sem), and migrate_fd_cancel posts neither: no migration_iteration_finish, no cleanup; the status stays cancelling (the probe saw it stay)' },
  // migrate_fd_cancel posts pause_sem, then cmpxchg's pre-switchover -> cancelling; the migration
  // thread, woken, cmpxchg's pre-switchover -> device. Whichever lands first wins: device then
  // cancelling (the loop retries from device), or cancelling alone (the thread's cmpxchg fails,
  // migration_maybe_pause returns -EINVAL). Both before the reply; the thread then waits for the BQL
  // the handler holds, and finds the stream shut down. Internal events: pause-released, cancel-set.
  // Seen on the 7.2 binary (MIGRATION device, cancelling: docs/findings/cancel-pre-switchover-device.jsonl).
  { id: 'migrate_cancel.pre-switchover', side: 'source', command: 'migrate_cancel', when: { status: ['pre-switchover'] },
    accept: { reply: 'empty', effects: ['postPause', 'requestCancel'] }, ref: `${MC}: migrate_fd_cancel (qemu_sem_post pause_sem; migrate_set_state -> CANCELLING)`,
    note: 'the status becomes cancelling by cancel-set, after the thread may have moved to device (pause-released)' },
  { id: 'migrate_cancel.running', side: 'source', command: 'migrate_cancel', when: { status: RUNNING_72.filter((s) => s !== 'cancelling') },
    accept: { reply: 'empty', status: 'cancelling', shutsChannel: true }, ref: `${MC}: migrate_fd_cancel (CANCELLING: qemu_file_shutdown)`,
    note: 'pre-switchover: migrate_cancel.pre-switchover' },
  // Seen on the 7.2 binary (conformance setup-stalled-cancel, postcopy-paused-cancel): MIGRATION
  // cancelling again, before the reply, with the status unchanged.
  { id: 'migrate_cancel.cancelling', side: 'source', command: 'migrate_cancel', when: { status: ['cancelling'] },
    accept: { reply: 'empty' }, resendsStatus: true, ref: `${MC}: migrate_fd_cancel (migration_is_running(CANCELLING); migrate_set_state(CANCELLING, CANCELLING) succeeds and sends the event)`,
    note: 'already cancelling: nothing changes, but the cmpxchg from cancelling to cancelling succeeds, so MIGRATION cancelling is sent again' },
  { id: 'migrate_cancel.idle', side: 'both', command: 'migrate_cancel',
    accept: { reply: 'empty' }, ref: `${MC}: migrate_fd_cancel`, note: 'no outgoing migration running: nothing to do, no error' },

  // ---- migrate-continue ----------------------------------------------------------------------
  { id: 'migrate-continue.args', side: 'both', command: 'migrate-continue', when: { args: { state: 'absent' } },
    reject: { class: GE, desc: "Parameter 'state' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_migrate_continue)` },
  { id: 'migrate-continue.mismatch', side: 'source', command: 'migrate-continue', when: { check: 'continueStateMismatch' },
    reject: { class: GE, desc: 'Migration not in expected state: {status}' }, ref: `${MC}: qmp_migrate_continue` },
  { id: 'migrate-continue.mismatch.dst', side: 'destination', command: 'migrate-continue', when: { args: { state: { notEquals: 'none' } } },
    reject: { class: GE, desc: 'Migration not in expected state: none' }, ref: `${MC}: qmp_migrate_continue`,
    note: 'checks the outgoing state, which is none on a destination process' },
  { id: 'migrate-continue.pre-switchover', side: 'source', command: 'migrate-continue', when: { status: ['pre-switchover'] },
    accept: { reply: 'empty', effects: ['postPause'] }, ref: `${MC}: qmp_migrate_continue (qemu_sem_post pause_sem)`,
    note: 'replies at once; the migration thread then leaves pre-switchover (pause-released)' },
  { id: 'migrate-continue.noop', side: 'both', command: 'migrate-continue',
    accept: { reply: 'empty' }, ref: `${MC}: qmp_migrate_continue`, note: 'the state matches but nothing waits on pause_sem' },

  // ---- migrate-pause -------------------------------------------------------------------------
  { id: 'migrate-pause.source', side: 'source', command: 'migrate-pause', when: { status: ['postcopy-active'] },
    accept: { reply: 'empty', shutsChannel: true }, ref: `${MC}: qmp_migrate_pause`,
    note: 'shuts the stream down; the migration thread then pauses (channel-error -> postcopy-paused)' },
  { id: 'migrate-pause.destination', side: 'destination', command: 'migrate-pause', when: { status: ['postcopy-active'] },
    accept: { reply: 'empty', shutsChannel: true }, ref: `${MC}: qmp_migrate_pause`,
    note: 'shuts the incoming stream down; the load thread then pauses (channel-error -> postcopy-paused)' },
  { id: 'migrate-pause.other', side: 'both', command: 'migrate-pause',
    reject: { class: GE, desc: 'migrate-pause is currently only supported during postcopy-active state' }, ref: `${MC}: qmp_migrate_pause` },

  // ---- migrate-start-postcopy ----------------------------------------------------------------
  { id: 'migrate-start-postcopy.no-cap', side: 'both', command: 'migrate-start-postcopy', when: { not: { check: 'hasPostcopy' } },
    reject: { class: GE, desc: 'Enable postcopy with migrate_set_capability before the start of migration' }, ref: `${MC}: qmp_migrate_start_postcopy` },
  { id: 'migrate-start-postcopy.not-started', side: 'source', command: 'migrate-start-postcopy', when: { status: ['none'] },
    reject: { class: GE, desc: 'Postcopy must be started after migration has been started' }, ref: `${MC}: qmp_migrate_start_postcopy` },
  { id: 'migrate-start-postcopy.not-started.dst', side: 'destination', command: 'migrate-start-postcopy',
    reject: { class: GE, desc: 'Postcopy must be started after migration has been started' }, ref: `${MC}: qmp_migrate_start_postcopy`,
    note: 'checks the outgoing state, which is none on a destination process' },
  { id: 'migrate-start-postcopy.request', side: 'source', command: 'migrate-start-postcopy',
    accept: { reply: 'empty', effects: ['requestPostcopy'] }, ref: `${MC}: qmp_migrate_start_postcopy`,
    note: 'no error once migration has finished: that would race with the command' },

  // ---- migrate-set-capabilities --------------------------------------------------------------
  { id: 'migrate-set-capabilities.args', side: 'both', command: 'migrate-set-capabilities', when: { check: 'capsArgMalformed' },
    reject: { class: GE, desc: '{message}' }, ref: `${QAPI}: qmp_marshal_migrate_set_capabilities` },
  { id: 'migrate-set-capabilities.unknown', side: 'both', command: 'migrate-set-capabilities', when: { check: 'capsArgUnknown' },
    reject: { class: GE, desc: '{message}' }, ref: `${QAPI}: visit_type_MigrationCapability` },
  { id: 'migrate-set-capabilities.running', side: 'source', command: 'migrate-set-capabilities', when: { status: RUNNING_72 },
    reject: { class: GE, desc: MIGRATION_ACTIVE }, ref: `${MC}: qmp_migrate_set_capabilities (migration_is_running)`,
    note: 'only the outgoing state is looked at: a destination accepts capability changes at any time' },
  { id: 'migrate-set-capabilities.conflict', side: 'both', command: 'migrate-set-capabilities', when: { check: 'capsConflict' },
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: migrate_caps_check` },
  { id: 'migrate-set-capabilities.set', side: 'both', command: 'migrate-set-capabilities',
    accept: { reply: 'empty', effects: ['setCaps'] }, ref: `${MC}: qmp_migrate_set_capabilities` },

  // ---- migrate-set-parameters ----------------------------------------------------------------
  { id: 'migrate-set-parameters.unknown', side: 'both', command: 'migrate-set-parameters', when: { check: 'paramsArgUnknown' },
    reject: { class: GE, desc: '{message}' }, ref: `${QAPI}: qobject_input_check (qmp_marshal_migrate_set_parameters)` },
  { id: 'migrate-set-parameters.invalid', side: 'both', command: 'migrate-set-parameters', when: { check: 'paramsArgInvalid' },
    reject: { class: GE, desc: '{message}' }, ref: `qapi/qobject-input-visitor.c: member types (qmp_marshal_migrate_set_parameters); ${MC}: migrate_params_check` },
  { id: 'migrate-set-parameters.set', side: 'both', command: 'migrate-set-parameters',
    accept: { reply: 'empty', effects: ['setParams'] }, ref: `${MC}: qmp_migrate_set_parameters -> migrate_params_apply`,
    note: 'QEMU 7.2 does not look at the migration status: every parameter may change at any time' },

  // ---- queries -------------------------------------------------------------------------------
  { id: 'query-migrate', side: 'both', command: 'query-migrate', accept: { reply: 'query-migrate' },
    ref: `${MC}: qmp_query_migrate (fill_source_migration_info, fill_destination_migration_info)` },
  { id: 'query-migrate-capabilities', side: 'both', command: 'query-migrate-capabilities', accept: { reply: 'query-migrate-capabilities' },
    ref: `${MC}: qmp_query_migrate_capabilities` },
  { id: 'query-migrate-parameters', side: 'both', command: 'query-migrate-parameters', accept: { reply: 'query-migrate-parameters' },
    ref: `${MC}: qmp_query_migrate_parameters` },
  { id: 'query-status', side: 'both', command: 'query-status', accept: { reply: 'query-status' }, ref: 'softmmu/runstate.c: qmp_query_status' },

  // ---- COLO ----------------------------------------------------------------------------------
  { id: 'x-colo-lost-heartbeat.not-colo', side: 'both', command: 'x-colo-lost-heartbeat', when: { notStatus: ['colo'] },
    reject: { class: GE, desc: "The feature 'colo' is not enabled" }, ref: 'migration/colo.c: qmp_x_colo_lost_heartbeat (get_colo_mode)',
    note: 'QERR_FEATURE_DISABLED; QEMU 8.0 changed the text to "VM is not in COLO mode"' },
  { id: 'x-colo-lost-heartbeat.active', side: 'both', command: 'x-colo-lost-heartbeat', when: { failover: ['require', 'active', 'completed', 'relaunch'] },
    reject: { class: GE, desc: 'COLO failover is already activated' }, ref: 'migration/colo-failover.c: failover_request_active' },
  { id: 'x-colo-lost-heartbeat.request', side: 'both', command: 'x-colo-lost-heartbeat',
    accept: { reply: 'empty', failover: 'require' }, ref: 'migration/colo-failover.c: failover_request_active',
    note: 'replies at once; colo_failover_bh does the failover afterwards' },
  { id: 'query-colo-status', side: 'both', command: 'query-colo-status', accept: { reply: 'query-colo-status' }, ref: 'migration/colo.c: qmp_query_colo_status' },
  { id: 'yank.args', side: 'both', command: 'yank', when: { check: 'yankInstancesMalformed' },
    reject: { class: GE, desc: '{message}' }, ref: `${QAPI}: qmp_marshal_yank` },
  { id: 'yank.unknown', side: 'both', command: 'yank', when: { check: 'yankUnknownInstance' },
    reject: { class: 'DeviceNotFound', desc: 'Instance not found' }, ref: 'util/yank.c: qmp_yank',
    note: 'the migration instance exists from migrate / migrate-incoming until migration cleanup' },
  { id: 'yank.migration', side: 'both', command: 'yank', accept: { reply: 'empty', shutsChannel: true }, ref: 'util/yank.c: qmp_yank -> migration_yank_iochannel',
    note: 'shuts every migration channel down: a channel-error follows on both sides (COLO: COLO_EXIT reason error)' },

  ...Object.entries(OPAQUE_COMMANDS).map(([command, ref]): Rule => ({
    id: `opaque.${command}`, side: 'both', command, accept: { reply: 'empty' }, ref,
    note: 'outside migration: an opaque accepted step (the COLO procedures need it)',
  })),

  // ---- calc-dirty-rate, set-/cancel-vcpu-dirty-limit (migration/dirtyrate.c, softmmu/dirtylimit.c) --
  // Under TCG (no KVM, so no dirty ring), as the conformance runs and the capConflict
  // dirty-limit-needs-dirty-ring read the machine. Seen on the binary (conformance dirty-rate-7.2).
  ...dirtyRateRows72(),
  // ---- getfd / closefd: the monitor's named fds, which an fd: URI takes --------------------------
  { id: 'getfd.args', side: 'both', command: 'getfd', when: { args: { fdname: 'absent' } },
    reject: { class: GE, desc: "Parameter 'fdname' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_getfd)` },
  { id: 'getfd.no-fd', side: 'both', command: 'getfd', env: 'no-fd-passed',
    reject: { class: GE, desc: 'No file descriptor supplied via SCM_RIGHTS' }, ref: `${MON_FDS}: qmp_getfd (qemu_chr_fe_get_msgfd)`,
    note: 'an environment outcome: the command came without an fd (SCM_RIGHTS on a UNIX socket)' },
  { id: 'getfd.digit', side: 'both', command: 'getfd', when: { check: 'fdNameDigit' },
    reject: { class: GE, desc: "Parameter 'fdname' expects a name not starting with a digit" }, ref: `${MON_FDS}: qmp_getfd` },
  { id: 'getfd.add', side: 'both', command: 'getfd', accept: { reply: 'empty', effects: ['addFd'] }, ref: `${MON_FDS}: qmp_getfd`,
    note: 'an fd of the same name is closed and replaced' },
  { id: 'closefd.args', side: 'both', command: 'closefd', when: { args: { fdname: 'absent' } },
    reject: { class: GE, desc: "Parameter 'fdname' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_closefd)` },
  { id: 'closefd.unknown', side: 'both', command: 'closefd', when: { check: 'fdNotHeld' },
    reject: { class: GE, desc: "File descriptor named '{fdname}' not found" }, ref: `${MON_FDS}: qmp_closefd` },
  { id: 'closefd.close', side: 'both', command: 'closefd', accept: { reply: 'empty', effects: ['closeFd'] }, ref: `${MON_FDS}: qmp_closefd` },

  // ---- cont / stop ---------------------------------------------------------------------------
  { id: 'cont.finish-migrate', side: 'both', command: 'cont', when: { runstate: ['finish-migrate'] },
    reject: { class: GE, desc: 'Migration is not finalized yet' }, ref: `${QMP_CMDS}: qmp_cont` },
  { id: 'cont.inmigrate', side: 'both', command: 'cont', when: { runstate: ['inmigrate'] },
    accept: { reply: 'empty', effects: ['autostartOn'] }, ref: `${QMP_CMDS}: qmp_cont`, note: 'sets autostart: the VM starts when the load completes' },
  { id: 'cont.start', side: 'both', command: 'cont', when: { runstate: ['prelaunch', 'paused', 'postmigrate'] },
    accept: { reply: 'empty', runstate: 'running' }, ref: `${QMP_CMDS}: qmp_cont -> vm_start` },
  // Seen on both binaries: cont on a suspended guest answers {} and changes nothing (no event).
  { id: 'cont.suspended', side: 'both', command: 'cont', when: { runstate: ['suspended'] }, accept: { reply: 'empty' }, ref: `${QMP_CMDS}: qmp_cont`,
    note: 'suspended: nothing to do (system_wakeup wakes the guest)' },
  { id: 'cont.running', side: 'both', command: 'cont', accept: { reply: 'empty' }, ref: `${QMP_CMDS}: qmp_cont -> vm_start`, note: 'already running: nothing to do' },
  { id: 'stop.inmigrate', side: 'both', command: 'stop', when: { runstate: ['inmigrate'] },
    accept: { reply: 'empty', effects: ['autostartOff'] }, ref: `${QMP_CMDS}: qmp_stop`, note: 'clears autostart: the VM stays paused after the load' },
  { id: 'stop.running', side: 'both', command: 'stop', when: { runstate: ['running'] },
    accept: { reply: 'empty', runstate: 'paused' }, ref: `${QMP_CMDS}: qmp_stop -> vm_stop(RUN_STATE_PAUSED)` },
  { id: 'stop.idle', side: 'both', command: 'stop', accept: { reply: 'empty' }, ref: `softmmu/cpus.c: do_vm_stop`, note: 'not running (also suspended): nothing to do' },

  // ---- system_wakeup ---------------------------------------------------------------------------
  // The pc machine registers wakeup support (qemu_register_wakeup_support), so qmp_system_wakeup's
  // "wake-up from suspend is not supported by this guest" never answers here.
  { id: 'system_wakeup.not-suspended', side: 'both', command: 'system_wakeup', when: { notRunstate: ['suspended'] },
    reject: { class: GE, desc: 'Unable to wake up: guest is not in suspended state' }, ref: `${QMP_CMDS}: qmp_system_wakeup -> softmmu/runstate.c: qemu_system_wakeup_request` },
  { id: 'system_wakeup.wake', side: 'both', command: 'system_wakeup', accept: { reply: 'empty', runstate: 'running' },
    ref: `${QMP_CMDS}: qmp_system_wakeup -> softmmu/runstate.c: qemu_system_wakeup_request (runstate_set(RUN_STATE_RUNNING))`,
    note: 'then WAKEUP and the guest\'s RESET from the main loop (qemu_system_wakeup)' },
];

const transitions: ChartTransition[] = [
  // ---- source status -------------------------------------------------------------------------
  { id: 'src.setup-done', chart: 'source-status', from: ['setup'], event: 'setup-done', to: 'active',
    ref: `${MC}: migration_thread -> qemu_savevm_wait_unplug` },
  { id: 'src.unplug-pending', chart: 'source-status', from: ['setup'], event: 'unplug-pending', to: 'wait-unplug',
    ref: `${MC}: migration_thread -> qemu_savevm_wait_unplug`, note: 'only with failover (virtio-net standby) devices; the thread runs once the channel is connected (pair step unplug-pending)' },
  { id: 'src.unplug-done', chart: 'source-status', from: ['wait-unplug'], event: 'unplug-done', to: 'active', ref: `${MC}: qemu_savevm_wait_unplug` },
  { id: 'src.converged.pause', chart: 'source-status', from: ['active'], event: 'switchover-start', to: 'pre-switchover',
    when: { caps: { 'pause-before-switchover': true }, runstate: ['finish-migrate'] }, ref: `${MC}: migration_completion -> migration_maybe_pause`,
    note: 'the VM is already stopped (finish-migrate) when the status becomes pre-switchover' },
  { id: 'src.pause-released', chart: 'source-status', from: ['pre-switchover'], event: 'pause-released', to: 'device',
    when: { ctx: { pausePosted: true, postcopyStarted: false } }, effects: ['consumePause'], ref: `${MC}: migration_completion -> migration_maybe_pause (qemu_sem_wait pause_sem; PRE_SWITCHOVER -> DEVICE)` },
  // postcopy_start calls migration_maybe_pause(ms, &cur_state, POSTCOPY_ACTIVE): after
  // migrate-continue the status goes straight to postcopy-active (libvirt sets pause-before-switchover
  // for every migration, postcopy included). With the stream broken meanwhile, postcopy_start's
  // qemu_file_get_error check then fails it (POSTCOPY_ACTIVE -> FAILED); the model has no event
  // for that check and takes the break as a postcopy pause instead (src.error.postcopy).
  { id: 'src.pause-released.postcopy', chart: 'source-status', from: ['pre-switchover'], event: 'pause-released', to: 'postcopy-active',
    when: { ctx: { pausePosted: true, postcopyStarted: true } }, effects: ['consumePause'],
    ref: `${MC}: postcopy_start -> migration_maybe_pause (qemu_sem_wait pause_sem; PRE_SWITCHOVER -> POSTCOPY_ACTIVE)` },
  // From postcopy-active too: a migrate_cancel in a postcopy's pre-switchover posts pause_sem, and
  // the woken thread's PRE_SWITCHOVER -> POSTCOPY_ACTIVE may land before migrate_fd_cancel's retry.
  { id: 'src.cancel-set', chart: 'source-status', from: ['pre-switchover', 'device', 'postcopy-active'], event: 'cancel-set', to: 'cancelling',
    when: { ctx: { cancelRequested: true } }, effects: ['consumeCancel', 'consumePause'],
    ref: `${MC}: migrate_fd_cancel (migrate_set_state(old_state, CANCELLING), retried from device if the thread moved first)`,
    note: 'from pre-switchover the thread then takes the post, fails its own cmpxchg and returns -EINVAL (migration_maybe_pause)' },
  { id: 'src.switchover.colo', chart: 'source-status', from: ['active'], event: 'switchover-done', to: 'colo',
    when: { caps: { 'x-colo': true }, runstate: ['finish-migrate'], ctx: { postcopyStarted: false } }, ref: `${MC}: migration_iteration_finish -> migrate_start_colo_process` },
  { id: 'src.switchover', chart: 'source-status', from: ['active', 'device'], event: 'switchover-done', to: 'completed',
    when: { runstate: ['finish-migrate'], caps: { 'x-colo': false }, ctx: { cancelRequested: false, postcopyStarted: false } }, ref: `${MC}: migration_completion`,
    note: 'set without the BQL; the yank instance stays registered until migrate_fd_cleanup (cleanup-done)' },
  // Not once the migration converged: migration_iteration_run calls postcopy_start only while data
  // is still pending; below the threshold it calls migration_completion, which stops the VM.
  { id: 'src.postcopy-start', chart: 'source-status', from: ['active'], event: 'postcopy-start', to: 'postcopy-active',
    when: { ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false }, notRunstate: ['finish-migrate'] }, effects: ['enterPostcopy'],
    ref: `${MC}: migration_iteration_run (pending above the threshold) -> postcopy_start`,
    note: 'with pause-before-switchover: src.run.postcopy-start.pause, src.converged.pause, src.pause-released.postcopy' },
  { id: 'src.postcopy-complete', chart: 'source-status', from: ['postcopy-active'], event: 'converged', to: 'completed',
    ref: `${MC}: migration_completion`, note: 'the yank instance stays registered until migrate_fd_cleanup (cleanup-done)' },
  // Not from pre-switchover: the migration thread waits in migration_maybe_pause on pause_sem
  // (qemu_sem_wait, no timeout, no look at the stream), so a broken channel is noticed only after
  // migrate-continue or migrate_cancel posts it: device, then the device state fails to go out
  // (pair sync device-save-error). Seen on the 7.2 binary (docs/findings.md F10).
  // Not from wait-unplug either: qemu_savevm_wait_unplug polls the unplug alone (every 250 ms) and
  // looks at no error; the thread finds a broken stream once active (pair sync error-detected).
  { id: 'src.error.precopy', chart: 'source-status', from: ['setup', 'active'], event: 'channel-error', to: 'failed',
    when: { notRunstate: ['finish-migrate'] }, effects: ['clearMigrationRequests', 'unregisterYank'], ref: `${MC}: migration_detect_error / migrate_fd_error` },
  // In finish-migrate the failure is set by migration_completion (fail: current_active_state ->
  // FAILED, without the BQL); migration_iteration_finish restarts the VM and migrate_fd_cleanup
  // unregisters the yank instance afterwards (cleanup-done: src.run.failed.*).
  { id: 'src.error.completion', chart: 'source-status', from: ['active', 'device'], event: 'channel-error', to: 'failed',
    when: { runstate: ['finish-migrate'], ctx: { cancelRequested: false, postcopyStarted: false } }, effects: ['clearMigrationRequests'], ref: `${MC}: migration_completion (fail: migrate_set_state(current_active_state, FAILED))`,
    note: 'from device after a break in pre-switchover: qemu_savevm_state_complete_precopy fails on the dead stream (docs/findings.md F10)' },
  { id: 'src.error.postcopy', chart: 'source-status', from: ['postcopy-active', 'postcopy-recover'], event: 'channel-error', to: 'postcopy-paused',
    when: { anyOf: [{ caps: { 'pause-before-switchover': false } }, { ctx: { startPostcopy: false } }] },
    ref: `${MC}: migration_detect_error -> postcopy_pause`, note: 'not before the package of a postcopy that paused before switchover (src.postcopy-package-error)' },
  // After a pause before switchover the status is postcopy-active before the package goes out:
  // postcopy_start writes the device state and checks the stream (qemu_file_get_error: "postcopy_start:
  // Migration stream errored (pre package)"), and its fail: label sets POSTCOPY_ACTIVE -> FAILED.
  // startPostcopy still set marks that moment: the package step (src.postcopy-package) clears it.
  // Seen on the 7.2 binary: postcopy-active, failed (conformance postcopy-pre-switchover-break).
  { id: 'src.postcopy-package', chart: 'source-status', from: ['postcopy-active'], event: 'postcopy-stop', to: 'postcopy-active',
    when: { caps: { 'pause-before-switchover': true }, ctx: { postcopyStarted: true, startPostcopy: true, cancelRequested: false } }, effects: ['clearMigrationRequests'],
    ref: `${MC}: postcopy_start (after migration_maybe_pause: qemu_savevm_send_packaged)`, note: 'no status change: the package went out' },
  // Not with a migrate_cancel under way: the thread needs the BQL the cancel's handler holds, and
  // finds cancelling when it gets it (src.cancel-set).
  { id: 'src.postcopy-package-error', chart: 'source-status', from: ['postcopy-active'], event: 'channel-error', to: 'failed',
    when: { caps: { 'pause-before-switchover': true }, ctx: { postcopyStarted: true, startPostcopy: true, cancelRequested: false } }, effects: ['clearMigrationRequests'],
    ref: `${MC}: postcopy_start (qemu_file_get_error before the package; fail: POSTCOPY_ACTIVE -> FAILED)` },
  { id: 'src.cancelled', chart: 'source-status', from: ['cancelling'], event: 'cleanup-done', to: 'cancelled', when: { ctx: { parked: false } },
    effects: ['unregisterYank'], ref: `${MC}: migrate_fd_cleanup`, note: 'never while the migration thread sleeps in postcopy_pause (parked)' },
  { id: 'src.resume-connected', chart: 'source-status', from: ['postcopy-paused'], event: 'resume-connected', to: 'postcopy-recover',
    when: { ctx: { resumeRequested: true } }, effects: ['clearMigrationRequests'], ref: `${MC}: postcopy_pause` },
  // The connection a `migrate resume` started fails (nobody listens yet): migrate_fd_connect(error_in)
  // calls migrate_fd_error, whose SETUP -> FAILED does not apply to postcopy-paused, and for a
  // resume does no cleanup ("We wait for another channel connect from the user"); postcopy_pause
  // still sleeps on postcopy_pause_sem, nobody retries: the source stays postcopy-paused with no
  // request pending, and a later migrate-recover changes nothing until the next `migrate resume`.
  // Seen on the 7.2 binary (docs/findings/resume-before-recover.jsonl; pair sync resume-connect-refused).
  { id: 'src.resume-refused', chart: 'source-status', from: ['postcopy-paused'], event: 'channel-error', to: 'postcopy-paused',
    when: { ctx: { resumeRequested: true } }, effects: ['clearMigrationRequests'],
    ref: `${MC}: migrate_fd_connect (error_in, resume: migrate_fd_error; no migrate_fd_cleanup)` },
  { id: 'src.recover-done', chart: 'source-status', from: ['postcopy-recover'], event: 'recover-done', to: 'postcopy-active',
    ref: `${MC}: postcopy_do_resume (MIG_RP_MSG_RESUME_ACK)` },

  // ---- the guest suspends (either process, whatever migration does) -----------------------------
  // The guest writes SLP_TYP S3 | SLP_EN to its ACPI PM1a control register (hw/acpi/core.c:
  // acpi_pm1_cnt_write -> qemu_system_suspend_request); the main loop stops the vCPUs and sets the
  // run state (softmmu/runstate.c: qemu_system_suspend: SUSPEND event).
  { id: 'src.run.guest-suspend', chart: 'run-state', side: 'source', from: ['running'], event: 'guest-suspend', to: 'suspended',
    ref: 'softmmu/runstate.c: qemu_system_suspend (runstate_set(RUN_STATE_SUSPENDED))' },
  { id: 'dst.run.guest-suspend', chart: 'run-state', side: 'destination', from: ['running'], event: 'guest-suspend', to: 'suspended',
    ref: 'softmmu/runstate.c: qemu_system_suspend (runstate_set(RUN_STATE_SUSPENDED))' },

  // ---- source run state ----------------------------------------------------------------------
  // 7.2 wakes a suspended guest before it stops it (qemu_system_wakeup_request: running at once),
  // so vm_old_state and the globalstate section say running, and the destination runs (seen on the
  // binary: STOP and WAKEUP on the source, RESUME on the destination, then the guest's RESET;
  // docs/findings.md F18).
  { id: 'src.run.converged.suspended', chart: 'run-state', side: 'source', from: ['suspended'], event: 'converged', to: 'finish-migrate',
    when: { status: ['active'] }, effects: ['wakeRememberRunState'],
    ref: `${MC}: migration_completion (qemu_system_wakeup_request, then vm_stop_force_state(RUN_STATE_FINISH_MIGRATE))`,
    note: 'woken, then stopped: STOP (WAKEUP comes too, in either order)' },
  { id: 'src.run.converged', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'converged', to: 'finish-migrate',
    when: { status: ['active'] }, effects: ['rememberRunState'], ref: `${MC}: migration_completion -> vm_stop_force_state(RUN_STATE_FINISH_MIGRATE)` },
  // 7.2's postcopy_start sets postcopy-active, then takes the BQL and stops the VM: two steps, and a
  // query in between reads postcopy-active / running (seen on the binary, conformance path runs).
  // The wire shows MIGRATION postcopy-active, then STOP.
  { id: 'src.run.postcopy-start', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'postcopy-stop', to: 'finish-migrate',
    when: { status: ['postcopy-active'], ctx: { postcopyStarted: true } }, effects: ['rememberRunState'],
    ref: `${MC}: postcopy_start (migrate_set_state -> POSTCOPY_ACTIVE; qemu_mutex_lock_iothread; vm_stop_force_state)`, note: 'after the status changed: MIGRATION postcopy-active, then STOP' },
  // With pause-before-switchover the order is the other way round: postcopy_start sets no status
  // before vm_stop_force_state (`if (!migrate_pause_before_switchover())`), so STOP comes first,
  // then MIGRATION pre-switchover (src.converged.pause) and, after migrate-continue, postcopy-active.
  { id: 'src.run.postcopy-start.pause', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': true } }, effects: ['rememberRunState', 'enterPostcopy'],
    ref: `${MC}: migration_iteration_run -> postcopy_start (qemu_mutex_lock_iothread; vm_stop_force_state), then migration_maybe_pause`,
    note: 'STOP, then MIGRATION pre-switchover' },
  // postcopy_start wakes a suspended guest first, as migration_completion does (seen on the binary:
  // WAKEUP, STOP, and the destination runs).
  { id: 'src.run.postcopy-start.suspended', chart: 'run-state', side: 'source', from: ['suspended'], event: 'postcopy-stop', to: 'finish-migrate',
    when: { status: ['postcopy-active'], ctx: { postcopyStarted: true } }, effects: ['wakeRememberRunState'],
    ref: `${MC}: postcopy_start (qemu_system_wakeup_request; global_state_store; vm_stop_force_state)` },
  { id: 'src.run.postcopy-start.pause.suspended', chart: 'run-state', side: 'source', from: ['suspended'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': true } }, effects: ['wakeRememberRunState', 'enterPostcopy'],
    ref: `${MC}: postcopy_start (qemu_system_wakeup_request; vm_stop_force_state), then migration_maybe_pause` },
  { id: 'src.run.completed', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'postmigrate',
    when: { status: ['completed'] }, effects: ['unregisterYank'],
    ref: `${MC}: migration_iteration_finish -> runstate_set(RUN_STATE_POSTMIGRATE); migrate_fd_cleanup -> yank_unregister_instance`,
    note: 'after the status is completed: query-migrate can show completed while the VM is still in finish-migrate' },
  // A failure in finish-migrate (the stream breaks after convergence, or the device state cannot
  // be written: device-save-error) sets FAILED in migration_completion (fail:, without the BQL);
  // the VM is restarted (or left stopped) later, by migration_iteration_finish under the BQL, so
  // query-migrate can show failed while query-status still shows finish-migrate (seen on the 7.2
  // binary in the path runs: device, failed/finish-migrate, then RESUME; docs/findings.md F10).
  // vm_was_running is set by migration_completion only, never by postcopy_start: a failed postcopy
  // start leaves the VM in postmigrate, as a cancelled one (src.run.cancelled.stopped).
  { id: 'src.run.failed.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'running',
    when: { status: ['failed'], ctx: { vmOldState: 'running', postcopyStarted: false } }, effects: ['unregisterYank'], ref: `${MC}: migration_iteration_finish (case FAILED: vm_start)` },
  { id: 'src.run.failed.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'postmigrate',
    when: { status: ['failed'], anyOf: [{ not: { ctx: { vmOldState: 'running' } } }, { ctx: { postcopyStarted: true } }] }, effects: ['unregisterYank'], ref: `${MC}: migration_iteration_finish -> runstate_set(RUN_STATE_POSTMIGRATE)`,
    note: 'QEMU 7.2 leaves a VM that was not running in postmigrate after a failure; also after a failed postcopy start' },
  { id: 'src.run.cancelled.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'postmigrate',
    when: { status: ['cancelling'], ctx: { parked: false }, anyOf: [{ not: { ctx: { vmOldState: 'running' } } }, { ctx: { postcopyStarted: true } }] },
    ref: `${MC}: migration_iteration_finish -> runstate_set(RUN_STATE_POSTMIGRATE)`, note: 'also after postcopy started: the destination already ran' },
  { id: 'src.run.cancelled.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'running',
    when: { status: ['cancelling'], ctx: { vmOldState: 'running', postcopyStarted: false } }, ref: `${MC}: migration_iteration_finish -> vm_start` },

  // ---- destination status --------------------------------------------------------------------
  { id: 'dst.connected', chart: 'destination-status', from: ['none'], event: 'source-connected', to: 'active',
    when: { ctx: { listening: true } }, ref: `${MC}: process_incoming_migration_co` },
  { id: 'dst.globalstate-paused', chart: 'destination-status', from: ['active'], event: 'globalstate-paused', to: 'active',
    effects: ['globalStatePaused'], ref: 'migration/global_state.c: global_state_post_load' },
  { id: 'dst.globalstate-prelaunch', chart: 'destination-status', from: ['active'], event: 'globalstate-prelaunch', to: 'active',
    effects: ['globalStatePrelaunch'], ref: 'migration/global_state.c: global_state_post_load' },
  { id: 'dst.load-done', chart: 'destination-status', from: ['active'], event: 'load-done', to: 'completed',
    when: { ctx: { coloEnabled: false } }, effects: ['unregisterYank'], ref: `${MC}: process_incoming_migration_bh` },
  { id: 'dst.postcopy-listen', chart: 'destination-status', from: ['active'], event: 'postcopy-listen', to: 'postcopy-active',
    when: { caps: { 'postcopy-ram': true } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_listen' },
  { id: 'dst.postcopy-done', chart: 'destination-status', from: ['postcopy-active'], event: 'postcopy-done', to: 'completed',
    when: { notRunstate: ['inmigrate'] }, effects: ['unregisterYank'], ref: 'migration/savevm.c: postcopy_ram_listen_thread' },
  // Only once postcopy runs (POSTCOPY_INCOMING_RUNNING: the run state has left inmigrate); before,
  // the load fails and QEMU exits (inclusion.ts loadFailureExits; docs/findings.md F14).
  { id: 'dst.error.postcopy', chart: 'destination-status', from: ['postcopy-active', 'postcopy-recover'], event: 'channel-error', to: 'postcopy-paused',
    when: { notRunstate: ['inmigrate'] }, effects: ['stopListening'], ref: 'migration/savevm.c: qemu_loadvm_state_main (postcopy_state_get() == POSTCOPY_INCOMING_RUNNING) -> postcopy_pause_incoming' },
  { id: 'dst.recover-connected', chart: 'destination-status', from: ['postcopy-paused'], event: 'resume-connected', to: 'postcopy-recover',
    when: { ctx: { listening: true } }, ref: 'migration/savevm.c: postcopy_pause_incoming' },
  { id: 'dst.recover-done', chart: 'destination-status', from: ['postcopy-recover'], event: 'recover-done', to: 'postcopy-active',
    ref: 'migration/savevm.c: loadvm_postcopy_handle_resume' },

  // ---- destination run state -----------------------------------------------------------------
  { id: 'dst.run.autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'running',
    when: { status: ['active'], ctx: { autostart: true, coloEnabled: false, globalState: 'running' } }, ref: `${MC}: process_incoming_migration_bh -> vm_start` },
  { id: 'dst.run.paused', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'paused',
    when: { status: ['active'], ctx: { autostart: false, coloEnabled: false, globalState: 'running' } }, ref: `${MC}: process_incoming_migration_bh -> runstate_set(RUN_STATE_PAUSED)` },
  { id: 'dst.run.global-paused', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'paused',
    when: { status: ['active'], ctx: { coloEnabled: false, globalState: 'paused' } }, ref: `${MC}: process_incoming_migration_bh -> runstate_set(global_state_get_runstate())`,
    note: 'the source was not running: the destination takes its run state, whatever autostart says' },
  { id: 'dst.run.global-prelaunch', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'prelaunch',
    when: { status: ['active'], ctx: { coloEnabled: false, globalState: 'prelaunch' } }, ref: `${MC}: process_incoming_migration_bh -> runstate_set(global_state_get_runstate())` },
  { id: 'dst.run.postcopy-autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'running',
    when: { status: ['postcopy-active'], ctx: { autostart: true } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_run_bh -> vm_start' },
  { id: 'dst.run.postcopy-paused', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'paused',
    when: { status: ['postcopy-active'], ctx: { autostart: false } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_run_bh -> runstate_set(RUN_STATE_PAUSED)' },
  // ---- COLO: start (the primary enters COLO instead of completing) ----------------------------
  { id: 'src.colo.start', chart: 'colo', side: 'source', from: ['none'], event: 'switchover-done', to: 'primary.waiting-ready',
    when: { caps: { 'x-colo': true }, status: ['active'], runstate: ['finish-migrate'] }, ref: `${CO}: migrate_start_colo_process -> colo_process_checkpoint` },
  { id: 'src.failover.init', chart: 'failover', side: 'source', from: ['completed'], event: 'switchover-done', to: 'none',
    when: { caps: { 'x-colo': true }, status: ['active'], runstate: ['finish-migrate'] }, ref: `${CO}: colo_process_checkpoint -> failover_init_state` },
  { id: 'src.colo.ready', chart: 'colo', side: 'source', from: ['primary.waiting-ready'], event: 'checkpoint-ready', to: 'primary.running',
    ref: `${CO}: colo_process_checkpoint (colo_receive_check_message CHECKPOINT_READY)` },
  { id: 'src.run.colo-start', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'checkpoint-ready', to: 'running',
    when: { colo: ['primary.waiting-ready'] }, ref: `${CO}: colo_process_checkpoint -> vm_start` },
  { id: 'src.rp.colo-open', chart: 'return-path', side: 'source', from: ['closed'], event: 'switchover-done', to: 'open',
    when: { caps: { 'x-colo': true }, status: ['active'], runstate: ['finish-migrate'] }, ref: `${CO}: colo_process_checkpoint (qemu_file_get_return_path)`,
    note: 'COLO opens its own return-path file to read the secondary\'s messages; no return-path thread' },
  { id: 'dst.colo-enable', chart: 'colo', side: 'destination', from: ['none'], event: 'colo-enable', to: 'none',
    when: { status: ['active'] }, effects: ['enableColo'], ref: 'migration/savevm.c: loadvm_process_command (MIG_CMD_ENABLE_COLO)',
    note: 'QEMU 7.2 enters COLO when the source says so, whatever the destination\'s own x-colo capability' },
  { id: 'dst.status.colo', chart: 'destination-status', from: ['active'], event: 'load-done', to: 'colo',
    when: { ctx: { coloEnabled: true } }, ref: `${CO}: colo_process_incoming_thread` },
  { id: 'dst.colo.start', chart: 'colo', side: 'destination', from: ['none'], event: 'load-done', to: 'secondary.starting',
    when: { status: ['active'], ctx: { coloEnabled: true } }, ref: `${MC}: process_incoming_migration_co -> colo_incoming_co` },
  { id: 'dst.rp.colo-open', chart: 'return-path', side: 'destination', from: ['closed'], event: 'load-done', to: 'open',
    when: { status: ['active'], ctx: { coloEnabled: true } }, ref: `${CO}: colo_process_incoming_thread (qemu_file_get_return_path)` },
  { id: 'dst.colo.ready', chart: 'colo', side: 'destination', from: ['secondary.starting'], event: 'checkpoint-ready', to: 'secondary.running',
    ref: `${CO}: colo_process_incoming_thread (colo_send_message CHECKPOINT_READY)` },
  { id: 'dst.run.colo-start', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'checkpoint-ready', to: 'running',
    when: { colo: ['secondary.starting'] }, ref: `${CO}: colo_process_incoming_thread -> vm_start` },

  // ---- COLO: the checkpoint transaction (colo_do_checkpoint_transaction / colo_incoming_process_checkpoint)
  { id: 'src.colo.request', chart: 'colo', side: 'source', from: ['primary.running'], event: 'checkpoint-request', to: 'primary.checkpoint.request-sent',
    ref: `${CO}: colo_do_checkpoint_transaction`, note: 'periodic (x-checkpoint-delay timer, colo_checkpoint_notify), requested by colo-compare, or at once after migrate-set-parameters x-checkpoint-delay' },
  { id: 'src.colo.reply', chart: 'colo', side: 'source', from: ['primary.checkpoint.request-sent'], event: 'checkpoint-reply', to: 'primary.checkpoint.stopped', ref: `${CO}: colo_do_checkpoint_transaction` },
  { id: 'src.run.checkpoint-stop', chart: 'run-state', side: 'source', from: ['running'], event: 'checkpoint-reply', to: 'colo',
    when: { colo: ['primary.checkpoint.request-sent'] }, ref: `${CO}: colo_do_checkpoint_transaction -> vm_stop_force_state(RUN_STATE_COLO)` },
  { id: 'src.colo.vmstate-send', chart: 'colo', side: 'source', from: ['primary.checkpoint.stopped'], event: 'vmstate-send', to: 'primary.checkpoint.sending-ram', ref: `${CO}: colo_do_checkpoint_transaction` },
  { id: 'src.colo.vmstate-size', chart: 'colo', side: 'source', from: ['primary.checkpoint.sending-ram'], event: 'vmstate-size', to: 'primary.checkpoint.sending-device', ref: `${CO}: colo_do_checkpoint_transaction` },
  { id: 'src.colo.vmstate-received', chart: 'colo', side: 'source', from: ['primary.checkpoint.sending-device'], event: 'vmstate-received', to: 'primary.checkpoint.waiting-loaded', ref: `${CO}: colo_do_checkpoint_transaction` },
  { id: 'src.colo.vmstate-loaded', chart: 'colo', side: 'source', from: ['primary.checkpoint.waiting-loaded'], event: 'vmstate-loaded', to: 'primary.running', ref: `${CO}: colo_do_checkpoint_transaction` },
  { id: 'src.run.checkpoint-start', chart: 'run-state', side: 'source', from: ['colo'], event: 'vmstate-loaded', to: 'running',
    when: { colo: ['primary.checkpoint.waiting-loaded'] }, ref: `${CO}: colo_do_checkpoint_transaction -> vm_start` },
  { id: 'dst.colo.request', chart: 'colo', side: 'destination', from: ['secondary.running'], event: 'checkpoint-request', to: 'secondary.checkpoint.stopped', ref: `${CO}: colo_wait_handle_message` },
  { id: 'dst.run.checkpoint-stop', chart: 'run-state', side: 'destination', from: ['running'], event: 'checkpoint-request', to: 'colo',
    when: { colo: ['secondary.running'] }, ref: `${CO}: colo_incoming_process_checkpoint -> vm_stop_force_state(RUN_STATE_COLO)` },
  { id: 'dst.colo.reply', chart: 'colo', side: 'destination', from: ['secondary.checkpoint.stopped'], event: 'checkpoint-reply', to: 'secondary.checkpoint.replied', ref: `${CO}: colo_incoming_process_checkpoint` },
  { id: 'dst.colo.vmstate-send', chart: 'colo', side: 'destination', from: ['secondary.checkpoint.replied'], event: 'vmstate-send', to: 'secondary.checkpoint.loading-ram', ref: `${CO}: colo_incoming_process_checkpoint -> qemu_loadvm_state_main` },
  { id: 'dst.colo.vmstate-size', chart: 'colo', side: 'destination', from: ['secondary.checkpoint.loading-ram'], event: 'vmstate-size', to: 'secondary.checkpoint.receiving-device', ref: `${CO}: colo_incoming_process_checkpoint` },
  { id: 'dst.colo.vmstate-received', chart: 'colo', side: 'destination', from: ['secondary.checkpoint.receiving-device'], event: 'vmstate-received', to: 'secondary.checkpoint.loading-device', ref: `${CO}: colo_incoming_process_checkpoint` },
  { id: 'dst.colo.vmstate-loaded', chart: 'colo', side: 'destination', from: ['secondary.checkpoint.loading-device'], event: 'vmstate-loaded', to: 'secondary.running',
    when: { failover: ['none', 'require', 'active', 'completed'] }, ref: `${CO}: colo_incoming_process_checkpoint` },
  { id: 'dst.run.checkpoint-start', chart: 'run-state', side: 'destination', from: ['colo'], event: 'vmstate-loaded', to: 'running',
    when: { colo: ['secondary.checkpoint.loading-device'], failover: ['none', 'require', 'active', 'completed'] }, ref: `${CO}: colo_incoming_process_checkpoint -> vm_start` },

  // ---- COLO: errors and failover --------------------------------------------------------------
  { id: 'src.colo.error', chart: 'colo', side: 'source', from: ['primary'], event: 'channel-error', to: 'exited',
    ref: `${CO}: colo_process_checkpoint (out: COLO_EXIT reason error)`, note: 'the status stays colo and the VM as it is until x-colo-lost-heartbeat' },
  { id: 'dst.colo.error', chart: 'colo', side: 'destination', from: ['secondary'], event: 'channel-error', to: 'exited',
    ref: `${CO}: colo_process_incoming_thread (out: COLO_EXIT reason error)`, note: 'the status stays colo and the VM as it is until x-colo-lost-heartbeat' },
  { id: 'src.failover.bh', chart: 'failover', side: 'source', from: ['require'], event: 'failover-bh', to: 'active', effects: ['setLastMode'],
    when: { status: ['colo'] }, ref: 'migration/colo-failover.c: colo_failover_bh -> colo_do_failover' },
  { id: 'dst.failover.bh', chart: 'failover', side: 'destination', from: ['require'], event: 'failover-bh', to: 'active', effects: ['setLastMode'],
    ref: 'migration/colo-failover.c: colo_failover_bh -> colo_do_failover' },
  { id: 'src.run.failover-stop', chart: 'run-state', side: 'source', from: ['running'], event: 'failover-bh', to: 'colo',
    when: { failover: ['require'] }, ref: `${CO}: colo_do_failover -> vm_stop_force_state(RUN_STATE_COLO)` },
  { id: 'dst.run.failover-stop', chart: 'run-state', side: 'destination', from: ['running'], event: 'failover-bh', to: 'colo',
    when: { failover: ['require'] }, ref: `${CO}: colo_do_failover -> vm_stop_force_state(RUN_STATE_COLO)` },
  { id: 'src.failover.done', chart: 'failover', side: 'source', from: ['active'], event: 'failover-done', to: 'completed',
    when: { status: ['colo'] }, ref: `${CO}: colo_do_failover (COLO_MODE_PRIMARY) -> primary_vm_do_failover` },
  { id: 'src.status.failover', chart: 'source-status', from: ['colo'], event: 'failover-done', to: 'completed',
    when: { failover: ['active'] }, effects: ['unregisterYank'], ref: `${CO}: primary_vm_do_failover` },
  { id: 'src.colo.failover', chart: 'colo', side: 'source', from: ['primary', 'exited'], event: 'failover-done', to: 'none',
    when: { failover: ['active'] }, ref: `${CO}: colo_process_checkpoint (out: COLO_EXIT reason request unless it had exited)` },
  // primary_vm_do_failover sets completed (MIGRATION) in the failover BH; the migration thread's
  // vm_start (RESUME) comes after colo_process_checkpoint returns: the status first.
  { id: 'src.run.failover-start', chart: 'run-state', side: 'source', from: ['colo', 'finish-migrate'], event: 'failover-done', to: 'running', statusFirst: true,
    when: { failover: ['active'] }, ref: `${MC}: migration_iteration_finish (case COLO: vm_was_running = true, fall through) -> vm_start`,
    note: 'also before the first checkpoint, when the VM is still in finish-migrate (colo_do_failover stops only a running VM)' },
  { id: 'src.rp.failover', chart: 'return-path', side: 'source', from: ['open', 'stopped'], event: 'failover-done', to: 'closed',
    when: { failover: ['active'] }, ref: `${CO}: colo_process_checkpoint (qemu_fclose) / ${MC}: migrate_fd_cleanup` },
  { id: 'dst.failover.relaunch', chart: 'failover', side: 'destination', from: ['active'], event: 'failover-done', to: 'relaunch',
    when: { colo: ['secondary.checkpoint.loading-device'] }, ref: `${CO}: secondary_vm_do_failover (vmstate_loading)` },
  { id: 'dst.failover.retry', chart: 'failover', side: 'destination', from: ['relaunch'], event: 'failover-relaunch', to: 'require',
    ref: `${CO}: colo_process_incoming_thread (failover_set_state RELAUNCH -> NONE; failover_request_active)` },
  { id: 'dst.colo.relaunch-loaded', chart: 'colo', side: 'destination', from: ['secondary.checkpoint.loading-device'], event: 'failover-relaunch', to: 'secondary.running',
    when: { failover: ['relaunch'] }, ref: `${CO}: colo_incoming_process_checkpoint (relaunch: no vmstate-loaded)` },
  { id: 'dst.run.relaunch-start', chart: 'run-state', side: 'destination', from: ['colo'], event: 'failover-relaunch', to: 'running',
    when: { failover: ['relaunch'] }, ref: `${CO}: colo_incoming_process_checkpoint -> vm_start` },
  { id: 'dst.failover.done', chart: 'failover', side: 'destination', from: ['active'], event: 'failover-done', to: 'completed',
    when: { not: { colo: ['secondary.checkpoint.loading-device'] } }, ref: `${CO}: secondary_vm_do_failover` },
  { id: 'dst.status.failover', chart: 'destination-status', from: ['colo'], event: 'failover-done', to: 'completed',
    when: { failover: ['active'], not: { colo: ['secondary.checkpoint.loading-device'] } }, effects: ['unregisterYank', 'autostartOn'], ref: `${CO}: secondary_vm_do_failover` },
  { id: 'dst.colo.failover', chart: 'colo', side: 'destination', from: ['secondary', 'exited'], event: 'failover-done', to: 'none',
    when: { failover: ['active'], not: { colo: ['secondary.checkpoint.loading-device'] } }, ref: `${CO}: colo_process_incoming_thread (out: COLO_EXIT)` },
  // secondary_vm_do_failover sets completed (MIGRATION); process_incoming_migration_bh's vm_start
  // (RESUME) runs once the COLO thread is joined: the status first.
  { id: 'dst.run.failover-start', chart: 'run-state', side: 'destination', from: ['colo', 'inmigrate'], event: 'failover-done', to: 'running', statusFirst: true,
    when: { failover: ['active'], not: { colo: ['secondary.checkpoint.loading-device'] } }, ref: `${MC}: process_incoming_migration_bh -> vm_start`,
    note: 'also before the first checkpoint, when the VM is still in inmigrate (secondary_vm_do_failover forces autostart)' },
  { id: 'dst.rp.failover', chart: 'return-path', side: 'destination', from: ['open'], event: 'failover-done', to: 'closed',
    when: { failover: ['active'], not: { colo: ['secondary.checkpoint.loading-device'] } }, ref: `${MC}: migration_incoming_state_destroy` },

  // ---- return path: source (rp_state.from_dst_file + source_return_path_thread) -----------------
  { id: 'src.rp.open', chart: 'return-path', side: 'source', from: ['closed'], event: 'setup-done', to: 'running',
    when: { status: ['setup', 'wait-unplug'], anyOf: [{ caps: { 'postcopy-ram': true } }, { caps: { 'return-path': true } }] },
    ref: `${MC}: migrate_fd_connect -> open_return_path_on_source`, note: 'only with postcopy-ram or return-path' },
  { id: 'src.rp.shut', chart: 'return-path', side: 'source', from: ['running'], event: 'rp-shut', to: 'shut', ref: `${MC}: source_return_path_thread (MIG_RP_MSG_SHUT)` },
  { id: 'src.rp.error', chart: 'return-path', side: 'source', from: ['running'], event: 'channel-error', to: 'shut',
    when: { status: ['setup', 'wait-unplug', 'active', 'pre-switchover', 'device'] }, ref: `${MC}: source_return_path_thread (the file fails; the thread leaves its loop)` },
  // migrate_fd_cancel shuts rp_state.from_dst_file down; source_return_path_thread's read fails and,
  // the state being cancelling (migration_in_postcopy() false: no postcopy_pause_return_path_thread),
  // it leaves its loop. Also in postcopy-recover, where the cancel parks the migration thread.
  { id: 'src.rp.cancel', chart: 'return-path', side: 'source', from: ['running'], event: 'channel-error', to: 'shut',
    when: { status: ['cancelling'] }, ref: `${MC}: migrate_fd_cancel (qemu_file_shutdown rp_state.from_dst_file) -> source_return_path_thread (out:)` },
  { id: 'src.rp.join', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'switchover-done', to: 'stopped',
    when: { runstate: ['finish-migrate'], ctx: { postcopyStarted: false } }, ref: `${MC}: migration_completion -> await_return_path_close_on_source` },
  { id: 'src.rp.join.postcopy', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'converged', to: 'stopped',
    when: { status: ['postcopy-active'] }, ref: `${MC}: migration_completion -> await_return_path_close_on_source` },
  { id: 'src.rp.cleanup', chart: 'return-path', side: 'source', from: ['running', 'shut', 'stopped'], event: 'cleanup-done', to: 'closed',
    when: { status: ['completed', 'cancelling', 'failed'], ctx: { parked: false } }, ref: `${MC}: migrate_fd_cleanup (join, qemu_fclose)` },
  { id: 'src.rp.postcopy-pause', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'channel-error', to: 'closed',
    when: { status: ['postcopy-active', 'postcopy-recover'] }, ref: `${MC}: postcopy_pause (close_return_path_on_source, qemu_fclose)` },
  { id: 'src.rp.resume', chart: 'return-path', side: 'source', from: ['closed'], event: 'resume-connected', to: 'running',
    when: { status: ['postcopy-paused'], ctx: { resumeRequested: true } }, ref: `${MC}: migrate_fd_connect (resume = state == POSTCOPY_PAUSED) -> open_return_path_on_source`,
    note: 'after a cancel the connect is no resume: assert(!s->cleanup_bh) aborts QEMU (pair sync resume-connect-cancelled)' },

  // ---- return path: destination (to_src_file) ---------------------------------------------------
  { id: 'dst.rp.open', chart: 'return-path', side: 'destination', from: ['closed'], event: 'rp-open', to: 'open',
    when: { status: ['active'] }, ref: 'migration/savevm.c: loadvm_process_command (MIG_CMD_OPEN_RETURN_PATH)' },
  { id: 'dst.rp.close', chart: 'return-path', side: 'destination', from: ['open'], event: 'load-done', to: 'closed',
    when: { ctx: { coloEnabled: false } }, ref: `${MC}: migration_incoming_state_destroy (migrate_send_rp_shut, qemu_fclose)` },
  { id: 'dst.rp.close.postcopy', chart: 'return-path', side: 'destination', from: ['open'], event: 'postcopy-done', to: 'closed',
    when: { notRunstate: ['inmigrate'] }, ref: `${MC}: migration_incoming_state_destroy (migrate_send_rp_shut, qemu_fclose)` },
  { id: 'dst.rp.postcopy-pause', chart: 'return-path', side: 'destination', from: ['open'], event: 'channel-error', to: 'closed',
    when: { status: ['postcopy-active', 'postcopy-recover'] }, ref: 'migration/savevm.c: postcopy_pause_incoming' },
  { id: 'dst.rp.recover', chart: 'return-path', side: 'destination', from: ['closed'], event: 'resume-connected', to: 'open',
    when: { status: ['postcopy-paused'], ctx: { listening: true } }, ref: 'migration/savevm.c: postcopy_pause_incoming (re-open the return path)' },
];

// ---- parameters ------------------------------------------------------------------------------------
// qapi/migration.json (7.2) MigrateSetParameters, in the schema's order (the QAPI visitor reads the
// members in this order, so the first type error in it answers); defaults as the binary's
// query-migrate-parameters reports them (migration/migration.c: migration_properties).
const QJ = 'qapi/migration.json: MigrateSetParameters';
const S = (name: string, type: ParamSpec['type'], dflt: ParamSpec['default'], mutableWhileRunning = true, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name, type, default: dflt, mutableWhileRunning, ref: `${QJ} (${type}); ${MC}: migration_properties`, ...extra,
});
export const MULTIFD_COMPRESSION_72 = ['none', 'zlib', 'zstd'] as const;
export const parameters72: ParamSpec[] = [
  S('announce-initial', 'size', 50),
  S('announce-max', 'size', 550),
  S('announce-rounds', 'size', 5),
  S('announce-step', 'size', 100),
  S('compress-level', 'uint8', 1, false),
  S('compress-threads', 'uint8', 8, false),
  S('compress-wait-thread', 'bool', true, false),
  S('decompress-threads', 'uint8', 2, false),
  S('throttle-trigger-threshold', 'uint8', 50),
  S('cpu-throttle-initial', 'uint8', 20),
  S('cpu-throttle-increment', 'uint8', 10),
  S('cpu-throttle-tailslow', 'bool', false),
  S('tls-creds', 'StrOrNull', '', false),
  S('tls-hostname', 'StrOrNull', '', false),
  S('tls-authz', 'StrOrNull', '', false),
  S('max-bandwidth', 'size', 134217728),
  S('downtime-limit', 'uint64', 300),
  S('x-checkpoint-delay', 'uint32', 20000),
  S('block-incremental', 'bool', false, false),
  S('multifd-channels', 'uint8', 2, false),
  S('xbzrle-cache-size', 'size', 67108864),
  S('max-postcopy-bandwidth', 'size', 0),
  S('max-cpu-throttle', 'uint8', 99),
  S('multifd-compression', 'enum', 'none', false, { values: MULTIFD_COMPRESSION_72 }),
  // Accepted and never stored: 7.2's migrate_params_apply (and its test copy) leave these two out, so
  // the binary reports 1 whatever was set, and no level is refused (the range tests read the copy).
  S('multifd-zlib-level', 'uint8', 1, false, { applied: false }),
  S('multifd-zstd-level', 'uint8', 1, false, { applied: false }),
  // Reported only once set (qmp_query_migrate_parameters: has_block_bitmap_mapping); no default.
  S('block-bitmap-mapping', 'BitmapMigrationNodeAlias-list', [], false, { reported: 'once-set' }),
];

// migrate_params_check (7.2), in its order, over migrate_params_test_apply's copy. Not modelled:
// max_bandwidth > SIZE_MAX (cannot fail on a 64-bit host: the visitor caps it at 2^64-1); the
// multifd_zlib_level (> 9) and multifd_zstd_level (> 20) tests never fire in 7.2 (the binary
// accepts 255 for both: neither the copy nor the stored parameters take these members).
const B = `${MC}: migrate_params_check`;
const P72 = (param: string, text: string) => `Parameter '${param.replace(/-/g, '_')}' expects ${text}`;
export const paramChecks72: ParamCheck[] = [
  { id: 'compress-level', kind: 'range', param: 'compress-level', max: 9, desc: P72('compress-level', 'a value between 0 and 9'), ref: B },
  { id: 'compress-threads', kind: 'range', param: 'compress-threads', min: 1, desc: P72('compress-threads', 'a value between 1 and 255'), ref: B },
  { id: 'decompress-threads', kind: 'range', param: 'decompress-threads', min: 1, desc: P72('decompress-threads', 'a value between 1 and 255'), ref: B },
  { id: 'throttle-trigger-threshold', kind: 'range', param: 'throttle-trigger-threshold', min: 1, max: 100, desc: P72('throttle-trigger-threshold', 'an integer in the range of 1 to 100'), ref: B },
  { id: 'cpu-throttle-initial', kind: 'range', param: 'cpu-throttle-initial', min: 1, max: 99, desc: P72('cpu-throttle-initial', 'an integer in the range of 1 to 99'), ref: B },
  { id: 'cpu-throttle-increment', kind: 'range', param: 'cpu-throttle-increment', min: 1, max: 99, desc: P72('cpu-throttle-increment', 'an integer in the range of 1 to 99'), ref: B },
  // stringify(MAX_MIGRATE_DOWNTIME) prints the macro's expansion.
  { id: 'downtime-limit', kind: 'range', param: 'downtime-limit', max: 2000000, desc: P72('downtime-limit', 'an integer in the range of 0 to (2000 * 1000) ms'), ref: B },
  { id: 'multifd-channels', kind: 'range', param: 'multifd-channels', min: 1, desc: P72('multifd-channels', 'a value between 1 and 255'), ref: B },
  // qemu_target_page_size(): 4096 on x86.
  { id: 'xbzrle-cache-size', kind: 'power-of-two', param: 'xbzrle-cache-size', min: 4096, desc: P72('xbzrle-cache-size', 'a power of two no less than the target page size'), ref: B },
  { id: 'max-cpu-throttle', kind: 'range', param: 'max-cpu-throttle', min: { param: 'cpu-throttle-initial' }, max: 99, desc: P72('max-cpu-throttle', 'an integer in the range of cpu_throttle_initial to 99'), ref: B },
  // No lower bound for announce-initial/max/rounds (0 is accepted); announce-step refuses 0 though its message says 0.
  { id: 'announce-initial', kind: 'range', param: 'announce-initial', max: 100000, desc: P72('announce-initial', 'a value between 0 and 100000'), ref: B },
  { id: 'announce-max', kind: 'range', param: 'announce-max', max: 100000, desc: P72('announce-max', 'a value between 0 and 100000'), ref: B },
  { id: 'announce-rounds', kind: 'range', param: 'announce-rounds', max: 1000, desc: P72('announce-rounds', 'a value between 0 and 1000'), ref: B },
  { id: 'announce-step', kind: 'range', param: 'announce-step', min: 1, max: 10000, desc: P72('announce-step', 'a value between 0 and 10000'), ref: B },
  { id: 'block-bitmap-mapping', kind: 'alias-map', param: 'block-bitmap-mapping', desc: 'Invalid mapping given for block-bitmap-mapping: ', ref: `${B} -> migration/block-dirty-bitmap.c: check_dirty_bitmap_mig_alias_map` },
  // CONFIG_LINUX: reads the new values (the copy).
  { id: 'zero-copy', kind: 'conflict', caps: ['zero-copy-send'], differs: { 'multifd-compression': 'none', 'tls-creds': '' }, reads: 'new', desc: 'Zero copy only available for non-compressed non-TLS multifd migration', ref: B },
];

/**
 * migrate_caps_check: background-snapshot refuses each capability of check_caps_background_snapshot,
 * the first set one in that list naming itself (seen on both binaries). The host's write tracking
 * (userfaultfd write-protect) is taken as available, as on every machine this project runs on.
 */
export const BACKGROUND_SNAPSHOT_INCOMPATIBLE = [
  'postcopy-ram', 'dirty-bitmaps', 'postcopy-blocktime', 'late-block-activate', 'return-path', 'multifd', 'pause-before-switchover',
  'auto-converge', 'release-ram', 'rdma-pin-all', 'compress', 'xbzrle', 'x-colo', 'validate-uuid', 'zero-copy-send',
] as const;
export const backgroundSnapshotRows = (ref: string): CapConflict[] =>
  BACKGROUND_SNAPSHOT_INCOMPATIBLE.map((c) => ({ id: `background-snapshot-${c}`, all: ['background-snapshot', c], desc: `Background-snapshot is not compatible with ${c}`, ref }));

const capConflicts: CapConflict[] = [
  { id: 'postcopy-ignore-shared', all: ['postcopy-ram', 'x-ignore-shared'], desc: 'Postcopy is not compatible with ignore-shared', ref: `${MC}: migrate_caps_check` },
  ...backgroundSnapshotRows(`${MC}: migrate_caps_check (check_caps_background_snapshot)`),
  { id: 'zero-copy-needs-multifd', all: ['zero-copy-send'], unless: ['multifd'], desc: 'Zero copy only available for non-compressed non-TLS multifd migration', ref: `${MC}: migrate_caps_check` },
  { id: 'preempt-needs-postcopy', all: ['postcopy-preempt'], unless: ['postcopy-ram'], desc: 'Postcopy preempt requires postcopy-ram', ref: `${MC}: migrate_caps_check` },
  { id: 'preempt-compress', all: ['postcopy-preempt', 'compress'], desc: 'Postcopy preempt not compatible with compress', ref: `${MC}: migrate_caps_check` },
  { id: 'multifd-compress', all: ['multifd', 'compress'], desc: 'Multifd is not compatible with compress', ref: `${MC}: migrate_caps_check` },
];

export const qemu72: Profile = {
  name: 'qemu-7.2',
  title: 'QEMU 7.2 (Debian bookworm qemu-system-x86)',
  qemuVersion: '7.2',
  description: "Debian bookworm's QEMU 7.2: the binary the conformance tests run against.",
  base: null,
  statuses: {
    source: ['none', 'setup', 'wait-unplug', 'active', 'pre-switchover', 'device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover', 'cancelling', 'cancelled', 'completed', 'failed', 'colo'],
    // No `failed`: QEMU 7.2 exits when an incoming migration fails (process_incoming_migration_co:
    // exit(EXIT_FAILURE)), so query-migrate can never report it on a destination.
    destination: ['none', 'active', 'postcopy-active', 'postcopy-paused', 'postcopy-recover', 'completed', 'colo'],
  },
  capabilities: [
    'xbzrle', 'rdma-pin-all', 'auto-converge', 'zero-blocks', 'compress', 'events', 'postcopy-ram', 'x-colo', 'release-ram',
    'block', 'return-path', 'pause-before-switchover', 'multifd', 'dirty-bitmaps', 'postcopy-blocktime', 'late-block-activate',
    'x-ignore-shared', 'validate-uuid', 'background-snapshot', 'zero-copy-send', 'postcopy-preempt',
  ],
  parameters: parameters72,
  paramChecks: paramChecks72,
  capConflicts,
  commands: [
    'migrate', 'migrate-incoming', 'migrate-recover', 'migrate_cancel', 'migrate-continue', 'migrate-pause', 'migrate-start-postcopy',
    'migrate-set-capabilities', 'migrate-set-parameters', 'query-migrate', 'query-migrate-capabilities', 'query-migrate-parameters',
    'query-status', 'cont', 'stop', 'system_wakeup', 'x-colo-lost-heartbeat', 'query-colo-status', 'yank', 'getfd', 'closefd',
    'calc-dirty-rate', 'set-vcpu-dirty-limit', 'cancel-vcpu-dirty-limit',
    ...Object.keys(OPAQUE_COMMANDS),
  ],
  // Removed in QEMU 6.1 (docs/about/removed-features.rst); libvirt 6.0 still sent migrate_set_speed.
  // Checked on the 7.2 binary: CommandNotFound "The command X has not been found".
  absentCommands: ['migrate_set_speed', 'migrate_set_downtime', 'migrate-set-cache-size', 'query-migrate-cache-size'],
  unmodelledCommands: UNMODELLED_72,
  // 'allow-oob': true in the schema, so exec-oob may run them (qapi/qmp-dispatch.c refuses the rest):
  // qapi/migration.json migrate-recover and migrate-pause (to recover a postcopy stuck on the network;
  // seen on the 7.2 binary, docs/research/qemu-7.2-observed.md), qapi/yank.json yank and query-yank
  // (exec-oob query-yank answered on the 7.2 binary; its x-oob-test is not built: CommandNotFound).
  oobCommands: ['migrate-recover', 'migrate-pause', 'yank', 'query-yank'],
  // migration/migration.c: qemu_start_incoming_migration and qmp_migrate dispatch on these (rdma:
  // CONFIG_RDMA, which Debian's build has); migrate.unknown-protocol, migrate-incoming.unknown-protocol.
  uriSchemes: ['tcp', 'unix', 'vsock', 'rdma', 'exec', 'fd'],
  // No transport checks in 7.2's handlers: multifd over exec: is accepted and fails later (seen on the binary).
  transportChecks: [],
  // qapi/migration.json (7.2) and qapi/misc.json: each command's arguments.
  commandArgs: {
    migrate: ['uri', 'blk', 'inc', 'detach', 'resume'],
    'migrate-incoming': ['uri'],
    'migrate-recover': ['uri'],
    migrate_cancel: [],
    'migrate-continue': ['state'],
    'migrate-pause': [],
    'migrate-start-postcopy': [],
    'migrate-set-capabilities': ['capabilities'],
    'query-migrate': [],
    'query-migrate-capabilities': [],
    'query-migrate-parameters': [],
    'query-status': [],
    cont: [],
    stop: [],
    system_wakeup: [],
    'x-colo-lost-heartbeat': [],
    'query-colo-status': [],
    getfd: ['fdname'],
    closefd: ['fdname'],
    // qapi/migration.json: the dirty-rate commands.
    'calc-dirty-rate': ['calc-time', 'sample-pages', 'mode'],
    'set-vcpu-dirty-limit': ['cpu-index', 'dirty-rate'],
    'cancel-vcpu-dirty-limit': ['cpu-index'],
    yank: ['instances'],
  },
  transitions,
  rules,
  // None of the scoped invariants (machines/invariants.ts): 7.2's migration_is_running() leaves out
  // colo, the destination's capabilities are not frozen, and there is no block list.
  invariants: { claims: [], knownViolations: [] },
};
