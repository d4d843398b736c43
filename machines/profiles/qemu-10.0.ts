// Profile qemu-10.0: QEMU 10.0 as Debian ships it in bookworm-backports (qemu-system-x86
// 1:10.0.2+ds-2+deb13u1~bpo12+1, fetched by scripts/fetch-qemu-10.0.sh), written as the difference
// from qemu-7.2. Sources: QEMU 10.0.2's migration/*.c, qapi/migration.json, util/yank.c (every row
// cites the 10.0 function), and the binary itself (`migstate conformance --profile qemu-10.0`).
// Much of qemu-master's delta is already in 10.0 (setup / failed on the destination,
// postcopy-recover-setup, device on every switchover, postcopy cancel refused, vm_old_state put
// back); what is not (failing, postcopy-device, x-colo requiring return-path, zero-blocks gone) is
// left out, and 10.0's own behaviour decides where the two part (COLO, the setup cancel, the
// failed bind, migrate-recover's events).
import type { CapConflict, ChartTransition, ListDelta, ParamCheck, ParamSpec, ProfileDelta, Rule } from '../profile.ts';
import { backgroundSnapshotRows, FD_NOT_FOUND, openFailsRows, parameters72, paramChecks72, qemu72, UNMODELLED_72 } from './qemu-7.2.ts';
import type { MigrationStatus } from '../vocabulary.ts';

const MC = 'migration/migration.c';
const OPT = 'migration/options.c';
const CO = 'migration/colo.c';
const SV = 'migration/savevm.c';
const GE = 'GenericError';

/** migration/migration.c: migration_is_running() in 10.0 (7.2's list with postcopy-recover-setup and colo). */
export const RUNNING_10: readonly MigrationStatus[] = [
  'active', 'postcopy-active', 'postcopy-paused', 'postcopy-recover-setup', 'postcopy-recover',
  'setup', 'pre-switchover', 'device', 'wait-unplug', 'cancelling', 'colo',
];
/** migration/migration.c: migration_in_postcopy() in 10.0. */
const IN_POSTCOPY_10: readonly MigrationStatus[] = ['postcopy-active', 'postcopy-paused', 'postcopy-recover-setup', 'postcopy-recover'];

// ---- rules ----------------------------------------------------------------------------------------
/** migration/migration.c: qmp_migrate_pause, the same in master. */
export const PAUSE_ROWS: readonly Rule[] = [
  { id: 'migrate-pause.source', side: 'source', command: 'migrate-pause', when: { status: ['postcopy-active', 'postcopy-recover'] },
    accept: { reply: 'empty', shutsChannel: true }, ref: `${MC}: qmp_migrate_pause (migration_postcopy_is_alive(ms->state))`,
    note: 'shuts the stream down; the migration thread then pauses (channel-error -> postcopy-paused)' },
  { id: 'migrate-pause.destination', side: 'destination', command: 'migrate-pause', when: { status: ['postcopy-active', 'postcopy-recover'] },
    accept: { reply: 'empty', shutsChannel: true }, ref: `${MC}: qmp_migrate_pause (migration_postcopy_is_alive(mis->state))`,
    note: 'shuts the incoming stream down; the load then pauses (channel-error -> postcopy-paused)' },
  { id: 'migrate-pause.other', side: 'both', command: 'migrate-pause',
    reject: { class: GE, desc: 'migrate-pause is currently only supported during postcopy-active or postcopy-recover state' }, ref: `${MC}: qmp_migrate_pause` },
];

/** migration/options.c: capabilities and parameters, the same in master but for what counts as running. */
export const configRows = (running: readonly MigrationStatus[]): Rule[] => [
  { id: 'migrate-set-capabilities.running', side: 'source', command: 'migrate-set-capabilities', when: { status: running },
    reject: { class: GE, desc: "There's a migration process in progress" }, ref: `${OPT}: qmp_migrate_set_capabilities (migration_is_running || migration_in_colo_state)`,
    note: 'only the outgoing state: a destination accepts capability changes during an incoming migration (but see the multifd / postcopy-preempt conflicts)' },
  { id: 'migrate-set-capabilities.conflict', side: 'both', command: 'migrate-set-capabilities', when: { check: 'capsConflict' },
    reject: { class: GE, desc: '{message}' }, ref: `${OPT}: migrate_caps_check` },
  { id: 'migrate-set-parameters.invalid', side: 'both', command: 'migrate-set-parameters', when: { check: 'paramsArgInvalid' },
    reject: { class: GE, desc: '{message}' }, ref: `qapi/qobject-input-visitor.c: member types (qmp_marshal_migrate_set_parameters); ${OPT}: migrate_params_check` },
  { id: 'migrate-set-parameters.set', side: 'both', command: 'migrate-set-parameters',
    accept: { reply: 'empty', effects: ['setParams'] }, ref: `${OPT}: qmp_migrate_set_parameters -> migrate_params_apply`,
    note: 'no status check: every parameter may change at any time' },
];

const replaceRules: Rule[] = [
  // is_calc_time_valid (8.2: calc-time-unit second or millisecond).
  { id: 'calc-dirty-rate.calc-time', side: 'both', command: 'calc-dirty-rate', when: { check: 'dirtyCalcTimeOutOfRange' },
    reject: { class: GE, desc: 'Calculation time is out of range [50ms, 60000ms].' }, ref: 'migration/dirtyrate.c: qmp_calc_dirty_rate (is_calc_time_valid)' },
  // qmp_migrate: uri and channels are both optional in the schema now; exactly one is needed.
  { id: 'migrate.args', side: 'both', command: 'migrate', when: { check: 'uriNotExactlyOne' },
    reject: { class: GE, desc: "need either 'uri' or 'channels' argument" }, ref: `${MC}: qmp_migrate` },
  // migrate_uri_parse runs before any state check and changes nothing (seen on the binary); the
  // incoming commands parse after once / run state / yank, and send no event before it.
  { id: 'migrate-incoming.unknown-protocol', side: 'both', command: 'migrate-incoming', when: { check: 'uriInvalid' },
    reject: { class: GE, desc: 'unknown migration protocol: {uri}' }, ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migrate_uri_parse` },
  { id: 'migrate-recover.unknown-protocol', side: 'destination', command: 'migrate-recover', when: { check: 'uriInvalid' },
    reject: { class: GE, desc: 'unknown migration protocol: {uri}' }, ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration -> migrate_uri_parse` },
  // migrate_prepare (resume): postcopy-paused -> postcopy-recover-setup at once (QEMU >= 9.1).
  { id: 'migrate.resume', side: 'source', command: 'migrate', when: { args: { resume: { equals: true } }, status: ['postcopy-paused'] },
    accept: { reply: 'empty', status: 'postcopy-recover-setup', effects: ['requestResume', 'takeFd'] }, ref: `${MC}: migrate_prepare (POSTCOPY_PAUSED -> POSTCOPY_RECOVER_SETUP)`,
    note: 'postcopy-recover once the new channel connects (migration_connect), back to postcopy-paused if it fails' },
  { id: 'migrate.running', side: 'source', command: 'migrate', when: { status: RUNNING_10 },
    reject: { class: GE, desc: "There's a migration process in progress" }, ref: `${MC}: migrate_prepare (migration_is_running)`,
    note: 'colo counts as running in 10.0' },
  // The window between migration_completion (completed: migration_completion_end; failed: its fail:
  // label) and migration_cleanup, which unregisters the yank instance: the VM is still in
  // finish-migrate, so migrate_prepare lets it through, migrate_init sets setup (MIGRATION setup),
  // and qmp_migrate_finish's yank_register_instance(errp) fails. 10.0 answers the error and does not
  // abort: cleanups are bottom halves scheduled afresh (migration_bh_schedule), not 7.2's
  // s->cleanup_bh that migrate_init reset. Read from the source, not seen (a race window).
  // Also after a migrate_cancel in setup (migrate_cancel.setup): cancelled, with the yank instance
  // still registered until the pending connect ends (seen on the 10.0 binary).
  { id: 'migrate.yank-duplicate.completing', side: 'source', command: 'migrate', when: { status: ['completed', 'failed', 'cancelled'], ctx: { yankRegistered: true }, caps: { events: true } },
    reject: { class: GE, desc: 'duplicate yank instance' }, alwaysSends: ['setup'], ref: `${MC}: qmp_migrate -> migrate_prepare -> migrate_init (NONE -> SETUP); qmp_migrate_finish -> yank_register_instance (util/yank.c)`,
    note: 'the status is left setup (a refused command moves nothing in the model: query-migrate would show setup); docs/findings.md F8/F10' },
  // A destination whose incoming migration still holds the migration yank instance: migrate_init
  // has set the outgoing status to setup (MIGRATION setup, seen on the 10.0 binary), then the
  // registration fails; the outgoing status stays setup (not modelled: a refused command moves nothing).
  { id: 'migrate.yank-duplicate.dst', side: 'destination', command: 'migrate', when: { status: ['postcopy-active', 'postcopy-paused', 'postcopy-recover', 'colo'], caps: { events: true } },
    reject: { class: GE, desc: 'duplicate yank instance', outgoing: 'setup' }, alwaysSends: ['setup'], ref: `${MC}: qmp_migrate -> migrate_prepare -> migrate_init (NONE -> SETUP); qmp_migrate_finish -> yank_register_instance (util/yank.c)`,
    note: 'the incoming migration holds the migration yank instance until migration_incoming_state_destroy; query-migrate then reports the outgoing setup (Reject.outgoing)' },
  // qmp_migrate_incoming checks `once` and the run state first, then registers the yank instance;
  // only qemu_start_incoming_migration looks at uri/channels (migrate-incoming.args, below).
  { id: 'migrate-incoming.port-in-use', side: 'destination', command: 'migrate-incoming', env: 'port-in-use', when: { status: ['none'], caps: { events: true } },
    reject: { class: GE, desc: 'Failed to find an available port: Address already in use', status: 'setup' }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_incoming_state_setup (NONE -> SETUP); socket_start_incoming_migration (inet_listen_saddr)`,
    note: 'an environment outcome: MIGRATION setup (the status change, sent with the events capability), then the bind fails. 10.0 leaves the status setup (query-migrate reports it), nothing listening and the once flag unset, so a retry is refused with "Illegal migration incoming state: setup"' },
  // fd:NAME with no such fd on the monitor: as a port in use, the status stays setup and a retry is
  // refused (seen on the binary: MIGRATION setup, the error, then "Illegal migration incoming state: setup").
  { id: 'migrate-incoming.fd-unknown', side: 'destination', command: 'migrate-incoming', when: { check: 'fdParamUnknown', status: ['none'], caps: { events: true } },
    reject: { class: GE, desc: FD_NOT_FOUND, status: 'setup' }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_incoming_state_setup (NONE -> SETUP); migration/fd.c: fd_start_incoming_migration -> monitor_fd_param` },
  { id: 'migrate-incoming.start', side: 'destination', command: 'migrate-incoming', when: { status: ['none'] },
    accept: { reply: 'empty', status: 'setup', effects: ['listen', 'markIncomingStarted', 'registerYank', 'takeFd'] },
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_incoming_state_setup (NONE -> SETUP)`,
    note: 'none -> setup as soon as it listens, before any source connects; MIGRATION setup only with the events capability (migrate_generate_event)' },

  // qmp_migrate_recover -> qemu_start_incoming_migration: migration_incoming_state_setup leaves
  // postcopy-paused as it is, so no MIGRATION event at all (7.2 sent setup unconditionally; seen on
  // the 10.0 binary: nothing until postcopy-recover).
  { id: 'migrate-recover.port-in-use', side: 'destination', command: 'migrate-recover', env: 'port-in-use',
    reject: { class: GE, desc: 'Failed to find an available port: Address already in use' },
    ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration -> socket_start_incoming_migration (inet_listen_saddr)`,
    note: 'an environment outcome: the port is taken by another process' },
  { id: 'migrate-recover.start', side: 'destination', command: 'migrate-recover',
    accept: { reply: 'empty', effects: ['listen', 'takeFd'] }, ref: `${MC}: qmp_migrate_recover -> migration_incoming_transport_cleanup, qemu_start_incoming_migration`,
    note: 'listens again; the status stays postcopy-paused until the source connects (postcopy_try_recover)' },

  // migration_cancel: posts pause_sem, then cmpxchg's to cancelling under the BQL; the thread woken
  // in migration_switchover_prepare must retake the BQL before its PRE_SWITCHOVER -> DEVICE, which
  // then fails: no 7.2 race, pre-switchover goes straight to cancelling.
  { id: 'migrate_cancel.running', side: 'source', command: 'migrate_cancel', when: { status: RUNNING_10.filter((s) => !['setup', 'cancelling', 'colo'].includes(s) && !IN_POSTCOPY_10.includes(s)) },
    accept: { reply: 'empty', status: 'cancelling', shutsChannel: true }, ref: `${MC}: qmp_migrate_cancel -> migration_cancel (CANCELLING; qemu_file_shutdown)`,
    note: 'setup: migrate_cancel.setup; pre-switchover too: migration_switchover_prepare finds cancelling and says "Switchover is interrupted"' },

  ...PAUSE_ROWS,
  ...configRows(RUNNING_10),

  { id: 'x-colo-lost-heartbeat.not-colo', side: 'both', command: 'x-colo-lost-heartbeat', when: { notStatus: ['colo'] },
    reject: { class: GE, desc: 'VM is not in COLO mode' }, ref: 'migration/colo-failover.c: qmp_x_colo_lost_heartbeat (get_colo_mode)',
    note: 'always on a source: 10.0\'s primary never enters COLO (src.switchover)' },
  // Only a secondary gets this far (get_colo_mode is never COLO_MODE_PRIMARY in 10.0).
  { id: 'x-colo-lost-heartbeat.active', side: 'destination', command: 'x-colo-lost-heartbeat', when: { failover: ['require', 'active', 'completed', 'relaunch'] },
    reject: { class: GE, desc: 'COLO failover is already activated' }, ref: 'migration/colo-failover.c: failover_request_active' },
  { id: 'x-colo-lost-heartbeat.request', side: 'destination', command: 'x-colo-lost-heartbeat',
    accept: { reply: 'empty', failover: 'require' }, ref: 'migration/colo-failover.c: qmp_x_colo_lost_heartbeat -> failover_request_active',
    note: 'replies at once; colo_failover_bh does the failover afterwards' },
];

/** Where the monitor's fd sets are kept (monitor/fds.c since 8.1). */
const MON_FDS = 'monitor/fds.c';
/**
 * util/osdep.c: qemu_open_internal -> monitor_fdset_dup_fd_add: a /dev/fdset/N path whose set the
 * monitor lacks (seen on the binary, from migrate and migrate-incoming alike).
 */
const FDSET_UNKNOWN = 'Failed to find fdset {path}';
const FDSET_OPEN = 'util/osdep.c: qemu_open_internal -> monitor/fds.c: monitor_fdset_dup_fd_add';
/** The commands of the monitor's fd sets, modelled here: a file: URI (8.2) can name a set. 7.2 has no file: and leaves them unmodelled. */
const FDSET_COMMANDS = ['add-fd', 'remove-fd', 'query-fdsets'];
/**
 * add-fd / remove-fd / query-fdsets (seen on the binary: each error below; add-fd with no fdset-id
 * takes the lowest free id; remove-fd of a set closes its fds and frees it, and query-fdsets lists
 * what is left). The fd numbers are the process's own and not modelled.
 */
const fdsetRows: Rule[] = [
  { id: 'add-fd.no-fd', side: 'both', command: 'add-fd', env: 'no-fd-passed',
    reject: { class: GE, desc: 'No file descriptor supplied via SCM_RIGHTS' }, ref: `${MON_FDS}: qmp_add_fd (qemu_chr_fe_get_msgfd)`,
    note: 'an environment outcome: the command came without an fd (SCM_RIGHTS) on the socket' },
  { id: 'add-fd.negative', side: 'both', command: 'add-fd', when: { check: 'fdsetIdNegative' },
    reject: { class: GE, desc: "Parameter 'fdset-id' expects a non-negative value" }, ref: `${MON_FDS}: qmp_add_fd -> monitor_fdset_add_fd` },
  { id: 'add-fd.add', side: 'both', command: 'add-fd', accept: { reply: 'add-fd', effects: ['addFdset'] }, ref: `${MON_FDS}: qmp_add_fd -> monitor_fdset_add_fd`,
    note: 'the fd joins set fdset-id, made if need be; without fdset-id, a new set with the lowest free id' },
  { id: 'remove-fd.args', side: 'both', command: 'remove-fd', when: { args: { 'fdset-id': 'absent' } },
    reject: { class: GE, desc: "Parameter 'fdset-id' is missing" }, ref: 'qapi/qobject-input-visitor.c: qobject_input_get_object (qmp_marshal_remove_fd)' },
  { id: 'remove-fd.unknown', side: 'both', command: 'remove-fd', when: { check: 'fdsetNotHeld' },
    reject: { class: GE, desc: "File descriptor named '{fdset}' not found" }, ref: `${MON_FDS}: qmp_remove_fd` },
  { id: 'remove-fd.remove', side: 'both', command: 'remove-fd', accept: { reply: 'empty', effects: ['removeFdset'] }, ref: `${MON_FDS}: qmp_remove_fd -> monitor_fdset_fd_free, monitor_fdset_free_if_empty`,
    note: 'with fd: that fd (its number is the client\'s: the model takes it to be in the set); without: every fd of the set. An empty set is freed unless a migration still holds a dup of it (then it is listed empty until that fd closes: not modelled)' },
  { id: 'query-fdsets.list', side: 'both', command: 'query-fdsets', accept: { reply: 'query-fdsets' }, ref: `${MON_FDS}: qmp_query_fdsets` },
];

/** A file: URI naming a set the monitor lacks: migrate fails as for an unknown fd: name (setup, then failed, and the error). */
const fdsetUnknownRows = openFailsRows('migrate.fdset-unknown', 'fdsetUnknown', FDSET_UNKNOWN,
  `${MC}: qmp_migrate -> migration/file.c: file_start_outgoing_migration -> qio_channel_file_new_path -> ${FDSET_OPEN}; migrate_fd_error (SETUP -> FAILED)`);

const addRules: { item: Rule; before?: string; after?: string }[] = [
  // A suspended guest is live (runstate_is_live, QEMU >= 9.0): stop pauses it and remembers it was
  // suspended, cont starts it suspended again (seen on the binary: STOP, paused; RESUME, suspended).
  // Not in prelaunch: a guest that never ran was never suspended.
  { before: 'cont.start', item: { id: 'cont.start.suspended', side: 'both', command: 'cont', when: { runstate: ['paused', 'postmigrate'], ctx: { wasSuspended: true } },
    accept: { reply: 'empty', runstate: 'suspended', effects: ['clearSuspended'] }, ref: 'monitor/qmp-cmds.c: qmp_cont -> system/cpus.c: vm_start -> vm_prepare_start (vm_was_suspended: RUN_STATE_SUSPENDED)' } },
  { before: 'stop.running', item: { id: 'stop.suspended', side: 'both', command: 'stop', when: { runstate: ['suspended'] },
    accept: { reply: 'empty', runstate: 'paused', effects: ['markSuspended'] }, ref: 'monitor/qmp-cmds.c: qmp_stop -> system/cpus.c: vm_stop -> do_vm_stop (runstate_is_live; vm_was_suspended = true)' } },
  { after: 'migrate.args', item: { id: 'migrate.uri-parse', side: 'both', command: 'migrate', when: { check: 'uriInvalid' },
    reject: { class: GE, desc: 'unknown migration protocol: {uri}' }, ref: `${MC}: qmp_migrate -> migrate_uri_parse`,
    note: 'before migrate_prepare: nothing changes (7.2 set setup, then failed)' } },
  // A file: URI's offset that does not parse: the same place, nothing changes (seen on the binary:
  // "file URI has bad offset 0x20M: Invalid argument", query-migrate still empty).
  { after: 'migrate.uri-parse', item: { id: 'migrate.file-offset', side: 'both', command: 'migrate', when: { check: 'fileOffsetInvalid' },
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: qmp_migrate -> migrate_uri_parse -> migration/file.c: file_parse_offset (qemu_strtosz)` } },
  { after: 'migrate-incoming.unknown-protocol', item: { id: 'migrate-incoming.file-offset', side: 'both', command: 'migrate-incoming', when: { check: 'fileOffsetInvalid' },
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migrate_uri_parse -> migration/file.c: file_parse_offset (qemu_strtosz)` } },
  { after: 'migrate-recover.unknown-protocol', item: { id: 'migrate-recover.file-offset', side: 'destination', command: 'migrate-recover', when: { check: 'fileOffsetInvalid' },
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration -> migrate_uri_parse -> migration/file.c: file_parse_offset (qemu_strtosz)` } },
  // The same refusals with the events capability off: migrate_init's setup sends no MIGRATION event.
  { after: 'migrate.yank-duplicate.completing', item: { id: 'migrate.yank-duplicate.completing.quiet', side: 'source', command: 'migrate', when: { status: ['completed', 'failed', 'cancelled'], ctx: { yankRegistered: true }, caps: { events: false } },
    reject: { class: GE, desc: 'duplicate yank instance' }, ref: `${MC}: qmp_migrate -> migrate_prepare -> migrate_init (NONE -> SETUP); qmp_migrate_finish -> yank_register_instance (util/yank.c)`,
    note: 'as migrate.yank-duplicate.completing, events off' } },
  { after: 'migrate.yank-duplicate.dst', item: { id: 'migrate.yank-duplicate.dst.quiet', side: 'destination', command: 'migrate', when: { status: ['postcopy-active', 'postcopy-paused', 'postcopy-recover', 'colo'], caps: { events: false } },
    reject: { class: GE, desc: 'duplicate yank instance', outgoing: 'setup' }, ref: `${MC}: qmp_migrate -> migrate_prepare -> migrate_init (NONE -> SETUP); qmp_migrate_finish -> yank_register_instance (util/yank.c)`,
    note: 'as migrate.yank-duplicate.dst, events off' } },
  { before: 'migrate-incoming.fd-unknown', item: { id: 'migrate-incoming.fd-unknown.quiet', side: 'destination', command: 'migrate-incoming', when: { check: 'fdParamUnknown', status: ['none'], caps: { events: false } },
    reject: { class: GE, desc: FD_NOT_FOUND, status: 'setup' },
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_incoming_state_setup (NONE -> SETUP); migration/fd.c: fd_start_incoming_migration -> monitor_fd_param`,
    note: 'as migrate-incoming.fd-unknown, events off: no MIGRATION setup' } },
  // The port-in-use outcome without the events capability: no MIGRATION event at all.
  { before: 'migrate-incoming.port-in-use', item: { id: 'migrate-incoming.port-in-use.quiet', side: 'destination', command: 'migrate-incoming', env: 'port-in-use', when: { status: ['none'], caps: { events: false } },
    reject: { class: GE, desc: 'Failed to find an available port: Address already in use', status: 'setup' },
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_incoming_state_setup (NONE -> SETUP); socket_start_incoming_migration (inet_listen_saddr)`,
    note: 'as migrate-incoming.port-in-use, events off: no MIGRATION setup (10.0 sends it only through migrate_generate_event)' } },
  { after: 'migrate-incoming.not-inmigrate', item: { id: 'migrate-incoming.args.channels', side: 'both', command: 'migrate-incoming', when: { check: 'uriNotExactlyOne' },
    reject: { class: GE, desc: "need either 'uri' or 'channels' argument" }, ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration`,
    note: 'after the once and run-state checks (qmp_migrate_incoming makes those first)' } },
  { after: 'migrate-incoming.start', item: { id: 'migrate-incoming.illegal-state', side: 'destination', command: 'migrate-incoming', when: { check: 'statusName' },
    reject: { class: GE, desc: 'Illegal migration incoming state: {status}' }, ref: `${MC}: qemu_start_incoming_migration -> migration_incoming_state_setup`,
    note: 'after a migrate-incoming whose listener failed to bind (migrate-incoming.port-in-use: the status stays setup, the once flag unset)' } },
  // migration_cancel in setup before the channel connected (no to_dst_file): "there is no path that
  // will complete the cancellation", so it sets CANCELLING -> CANCELLED itself, before the reply,
  // without migration_cleanup: the yank instance stays registered until the pending connect ends
  // (src.cancelled.connect-done). The model's source is in setup exactly until the pair connects.
  { before: 'migrate_cancel.running', item: { id: 'migrate_cancel.setup', side: 'source', command: 'migrate_cancel', when: { status: ['setup'], caps: { events: true } },
    accept: { reply: 'empty', status: 'cancelled' }, alwaysSends: ['cancelling'], ref: `${MC}: migration_cancel (setup && !s->to_dst_file: CANCELLING -> CANCELLED)`,
    note: 'MIGRATION cancelling, cancelled before the reply (seen on the 10.0 binary); no cleanup, so migrate is refused ("duplicate yank instance") until the connect ends' } },
  { before: 'migrate_cancel.running', item: { id: 'migrate_cancel.setup.quiet', side: 'source', command: 'migrate_cancel', when: { status: ['setup'], caps: { events: false } },
    accept: { reply: 'empty', status: 'cancelled' }, ref: `${MC}: migration_cancel (setup && !s->to_dst_file: CANCELLING -> CANCELLED)`,
    note: 'as migrate_cancel.setup, events off' } },
  // migration_in_postcopy(): a cancel cannot give the VM back once the destination may run it.
  { before: 'migrate_cancel.running', item: { id: 'migrate_cancel.postcopy', side: 'source', command: 'migrate_cancel', when: { status: IN_POSTCOPY_10 },
    reject: { class: GE, desc: 'Postcopy migration in progress, cannot cancel.' }, ref: `${MC}: qmp_migrate_cancel (migration_in_postcopy)` } },
  // After the URI is parsed, before anything changes (migration_transport_compatible).
  { after: 'migrate.uri-parse', item: { id: 'migrate.transport', side: 'both', command: 'migrate', when: { check: 'transportIncompatible' },
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: qmp_migrate -> migration_channels_and_transport_compatible` } },
  { after: 'migrate-incoming.unknown-protocol', item: { id: 'migrate-incoming.transport', side: 'both', command: 'migrate-incoming', when: { check: 'transportIncompatible' },
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_channels_and_transport_compatible` } },
  { after: 'migrate-recover.unknown-protocol', item: { id: 'migrate-recover.transport', side: 'destination', command: 'migrate-recover', when: { check: 'transportIncompatible' },
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration -> migration_channels_and_transport_compatible` } },
  // qmp_migrate, after the transport test and before migrate_prepare: cpr-transfer sends the cpr
  // state over a channel of its own first (cpr_state_save), so `channels` must name one.
  { after: 'migrate.transport', item: { id: 'migrate.cpr-channel-missing', side: 'both', command: 'migrate', when: { check: 'cprChannelMissing' },
    reject: { class: GE, desc: "missing 'cpr' migration channel" }, ref: `${MC}: qmp_migrate (MIG_MODE_CPR_TRANSFER && !cpr_channel)` } },
  // ---- calc-dirty-rate (seen on the binary, conformance dirty-rate) ----
  { after: 'calc-dirty-rate.sample-pages', item: { id: 'calc-dirty-rate.dirty-ring', side: 'both', command: 'calc-dirty-rate', when: { args: { mode: { equals: 'dirty-ring' } } },
    reject: { class: GE, desc: 'mode dirty-ring is not enabled, use other method instead.' }, ref: 'migration/dirtyrate.c: qmp_calc_dirty_rate (!kvm_dirty_ring_enabled())',
    note: 'under TCG, as every run here (no KVM dirty ring); dirty-bitmap is taken' } },
  // ---- fd sets: the commands, and a file: URI whose set is missing ----
  ...fdsetRows.map((item) => ({ item })),
  ...fdsetUnknownRows.map((item, n, all) => ({ after: n ? all[n - 1].id : 'migrate.fd-unknown.again.quiet', item })),
  { after: 'migrate.fd-unknown.dst.quiet', item: { id: 'migrate.fdset-unknown.dst', side: 'destination', command: 'migrate', when: { check: 'fdsetUnknown', caps: { events: true } },
    reject: { class: GE, desc: FDSET_UNKNOWN, outgoing: 'failed' }, alwaysSends: ['setup', 'failed'],
    ref: `${MC}: qmp_migrate -> migrate_init (NONE -> SETUP); migration/file.c: file_start_outgoing_migration -> ${FDSET_OPEN}; migrate_fd_error (SETUP -> FAILED)` } },
  { after: 'migrate.fdset-unknown.dst', item: { id: 'migrate.fdset-unknown.dst.quiet', side: 'destination', command: 'migrate', when: { check: 'fdsetUnknown', caps: { events: false } },
    reject: { class: GE, desc: FDSET_UNKNOWN, outgoing: 'failed' },
    ref: `${MC}: qmp_migrate -> migrate_init (NONE -> SETUP); migration/file.c: file_start_outgoing_migration -> ${FDSET_OPEN}; migrate_fd_error (SETUP -> FAILED)`, note: 'as migrate.fdset-unknown.dst, events off' } },
  // As fd:NAME with no such fd (migrate-incoming.fd-unknown): the status stays setup (seen on the binary).
  { after: 'migrate-incoming.fd-unknown', item: { id: 'migrate-incoming.fdset-unknown', side: 'destination', command: 'migrate-incoming', when: { check: 'fdsetUnknown', status: ['none'], caps: { events: true } },
    reject: { class: GE, desc: FDSET_UNKNOWN, status: 'setup' }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_incoming_state_setup (NONE -> SETUP); migration/file.c: file_start_incoming_migration -> qio_channel_file_new_path -> ${FDSET_OPEN}` } },
  { before: 'migrate-incoming.fdset-unknown', item: { id: 'migrate-incoming.fdset-unknown.quiet', side: 'destination', command: 'migrate-incoming', when: { check: 'fdsetUnknown', status: ['none'], caps: { events: false } },
    reject: { class: GE, desc: FDSET_UNKNOWN, status: 'setup' },
    ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration -> migration_incoming_state_setup (NONE -> SETUP); migration/file.c: file_start_incoming_migration -> qio_channel_file_new_path -> ${FDSET_OPEN}`,
    note: 'as migrate-incoming.fdset-unknown, events off: no MIGRATION setup' } },
];

// ---- internal transitions -------------------------------------------------------------------------
const replaceTransitions: ChartTransition[] = [
  // A suspended guest is stopped as it is (QEMU >= 9.0: vm_stop_force_state -> vm_stop, since
  // suspended is live): vm_old_state and the globalstate section say suspended, vm_was_suspended is
  // set, and the destination starts suspended (seen on the binary: STOP, no WAKEUP; the
  // destination's RESUME, then suspended until system_wakeup).
  { id: 'src.run.converged.suspended', chart: 'run-state', side: 'source', from: ['suspended'], event: 'converged', to: 'finish-migrate',
    when: { status: ['active'] }, effects: ['rememberRunState', 'markSuspended'],
    ref: `${MC}: migration_completion_precopy -> migration_stop_vm (vm_old_state, global_state_store, vm_stop_force_state -> system/cpus.c: do_vm_stop)` },
  { id: 'src.run.postcopy-start.suspended', chart: 'run-state', side: 'source', from: ['suspended'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false } }, effects: ['rememberRunState', 'markSuspended'],
    ref: `${MC}: postcopy_start -> migration_stop_vm (vm_stop_force_state -> system/cpus.c: do_vm_stop)` },
  { id: 'src.run.postcopy-start.pause.suspended', chart: 'run-state', side: 'source', from: ['suspended'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': true } }, effects: ['rememberRunState', 'markSuspended', 'enterPostcopy'],
    ref: `${MC}: postcopy_start -> migration_stop_vm, then migration_switchover_start -> migration_switchover_prepare` },
  { id: 'dst.run.autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'running',
    when: { status: ['active'], ctx: { autostart: true, coloEnabled: false, globalState: 'running', wasSuspended: false } }, ref: `${MC}: process_incoming_migration_bh -> vm_start` },
  { id: 'dst.run.postcopy-autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'running',
    when: { status: ['postcopy-active'], ctx: { autostart: true, wasSuspended: false } }, ref: `${SV}: loadvm_postcopy_handle_run_bh -> vm_start` },
  { id: 'src.converged.pause', chart: 'source-status', from: ['active'], event: 'switchover-start', to: 'pre-switchover',
    when: { caps: { 'pause-before-switchover': true }, runstate: ['finish-migrate'] }, ref: `${MC}: migration_completion_precopy -> migration_switchover_start -> migration_switchover_prepare`,
    note: 'the VM is already stopped (finish-migrate) when the status becomes pre-switchover' },
  { id: 'src.pause-released', chart: 'source-status', from: ['pre-switchover'], event: 'pause-released', to: 'device',
    when: { ctx: { pausePosted: true } }, effects: ['consumePause'], ref: `${MC}: migration_switchover_prepare (qemu_sem_wait pause_sem; PRE_SWITCHOVER -> DEVICE under the BQL)` },
  // migration_completion tests `state == ACTIVE` for COLO, but migration_switchover_prepare has set
  // DEVICE by then: with x-colo too the source completes (migration_completion_end), and
  // migration_iteration_finish never starts the COLO process.
  { id: 'src.switchover', chart: 'source-status', from: ['device'], event: 'switchover-done', to: 'completed',
    when: { runstate: ['finish-migrate'], ctx: { postcopyStarted: false } }, ref: `${MC}: migration_completion -> migration_completion_end`,
    note: 'also with x-colo (the COLO test reads ACTIVE, the status is DEVICE); the yank instance stays registered until migration_cleanup (cleanup-done)' },
  // postcopy_start: migration_stop_vm (STOP), migration_switchover_start (ACTIVE -> DEVICE), the
  // package, then DEVICE -> POSTCOPY_ACTIVE: STOP, MIGRATION device, MIGRATION postcopy-active.
  // vm_stop_force_state sets finish-migrate and lets go of the BQL in pause_all_vcpus, so a query
  // can read active / finish-migrate (seen on the binary); the rest runs under the BQL. The pair
  // takes it in one step (postcopy-start sync); from active / finish-migrate (the VM stopped by
  // the thread, which `converged` stands for) the status part alone explains that reading.
  { id: 'src.postcopy-start', chart: 'source-status', from: ['active'], event: 'postcopy-start', to: 'device',
    when: { ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false } }, effects: ['enterPostcopy'],
    ref: `${MC}: migration_iteration_run (pending above the threshold) -> postcopy_start -> migration_switchover_start -> migration_switchover_prepare (ACTIVE -> DEVICE)`,
    note: 'with pause-before-switchover: src.run.postcopy-start.pause (STOP), src.converged.pause, src.pause-released (device), src.postcopy-active' },
  // With pause-before-switchover, migration_switchover_prepare sets pre-switchover instead of
  // device and waits for migrate-continue: STOP, MIGRATION pre-switchover, then device and
  // postcopy-active (libvirt turns the capability on for every migration).
  { id: 'src.run.postcopy-start.pause', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': true } }, effects: ['rememberRunState', 'enterPostcopy'],
    ref: `${MC}: postcopy_start -> migration_stop_vm (vm_stop_force_state), then migration_switchover_start -> migration_switchover_prepare`,
    note: 'STOP, then MIGRATION pre-switchover' },
  { id: 'src.run.postcopy-start', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false } }, effects: ['rememberRunState'],
    ref: `${MC}: postcopy_start -> migration_stop_vm (vm_stop_force_state)`, note: 'STOP, then MIGRATION device' },
  // No src.error.completion from active: in finish-migrate migration_switchover_prepare moves the
  // status to device first, under the BQL; the device state then fails to go out. Not in a postcopy:
  // postcopy_start's fail: label cmpxchg's POSTCOPY_ACTIVE -> FAILED, which does not match device,
  // and migration_iteration_finish has no case for device, so the status stays device.
  { id: 'src.error.completion', chart: 'source-status', from: ['device'], event: 'channel-error', to: 'failed',
    when: { runstate: ['finish-migrate'], ctx: { postcopyStarted: false } }, effects: ['clearMigrationRequests'],
    ref: `${MC}: migration_completion (fail: migrate_set_state(s->state, FAILED))`,
    note: 'also from device after a break in pre-switchover (docs/findings.md F10); the VM is restarted later by migration_iteration_finish' },
  { id: 'src.resume-connected', chart: 'source-status', from: ['postcopy-recover-setup'], event: 'resume-connected', to: 'postcopy-recover',
    when: { ctx: { resumeRequested: true } }, effects: ['clearMigrationRequests'], ref: `${MC}: migration_connect (resume: POSTCOPY_RECOVER_SETUP -> POSTCOPY_RECOVER)` },
  // migration_iteration_finish puts back the run state the VM had (vm_old_state): 7.2 left a VM
  // that was not running in postmigrate.
  { id: 'src.run.failed.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'paused',
    when: { status: ['failed'], ctx: { vmOldState: 'paused' } }, effects: ['unregisterYank'], ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` },
  { id: 'src.run.failed.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'running',
    when: { status: ['failed'], ctx: { vmOldState: 'running' } }, effects: ['unregisterYank'], ref: `${MC}: migration_iteration_finish (runstate_is_live(vm_old_state)) -> vm_start` },
  // No 7.2 moment before the package (src.postcopy-package-error): the status is device then (F13).
  { id: 'src.error.postcopy', chart: 'source-status', from: ['postcopy-active', 'postcopy-recover'], event: 'channel-error', to: 'postcopy-paused',
    ref: `${MC}: migration_detect_error -> postcopy_pause` },
  { id: 'src.run.cancelled.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'paused',
    when: { status: ['cancelling'], ctx: { vmOldState: 'paused', parked: false } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` },
  { id: 'src.run.cancelled.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'running',
    when: { status: ['cancelling'], ctx: { vmOldState: 'running', parked: false } }, ref: `${MC}: migration_iteration_finish (runstate_is_live(vm_old_state)) -> vm_start` },

  // ---- destination ----
  { id: 'dst.connected', chart: 'destination-status', from: ['setup'], event: 'source-connected', to: 'active',
    ref: `${MC}: process_incoming_migration_co (SETUP -> ACTIVE)` },
  // MIG_CMD_ENABLE_COLO is still in the stream, but the destination must have x-colo itself
  // (QEMU >= 8.1): without it the load fails ("ENABLE_COLO command come in migration stream, but
  // x-colo capability is not set").
  { id: 'dst.colo-enable', chart: 'colo', side: 'destination', from: ['none'], event: 'colo-enable', to: 'none',
    when: { status: ['active'], caps: { 'x-colo': true } }, effects: ['enableColo'], ref: `${SV}: loadvm_process_enable_colo -> migration_incoming_enable_colo (migrate_colo)`,
    note: 'without x-colo on the destination the load fails (not modelled)' },

  // The secondary without a primary: colo_process_incoming_thread sets COLO, starts the VM and sends
  // CHECKPOINT_READY without waiting for anyone; seen on the binary: MIGRATION colo, RESUME, then at
  // once COLO_EXIT (reason error: the completed source has closed the stream; dst.colo.error).
  { id: 'dst.colo.start', chart: 'colo', side: 'destination', from: ['none'], event: 'load-done', to: 'secondary.starting',
    when: { status: ['active'], ctx: { coloEnabled: true } }, ref: `${CO}: colo_incoming_co -> colo_process_incoming_thread (ACTIVE -> COLO)` },
  { id: 'dst.run.colo-start', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'colo-vm-start', to: 'running',
    when: { colo: ['secondary.starting'] }, ref: `${CO}: colo_process_incoming_thread -> vm_start` },
  // A running secondary is stopped by colo_do_failover (dst.run.failover-stop) before the failover
  // ends; one that failed over before its vm_start (dst.colo.vm-start) is still inmigrate.
  { id: 'dst.run.failover-start', chart: 'run-state', side: 'destination', from: ['colo', 'inmigrate'], event: 'failover-done', to: 'running', statusFirst: true,
    when: { failover: ['active'] }, ref: `${MC}: process_incoming_migration_bh -> vm_start`,
    note: 'secondary_vm_do_failover sets completed (MIGRATION) and forces autostart; the VM starts once the COLO thread is joined' },

  // ---- return path (source) ----
  { id: 'src.rp.open', chart: 'return-path', side: 'source', from: ['closed'], event: 'setup-done', to: 'running',
    when: { status: ['setup', 'wait-unplug'], anyOf: [{ caps: { 'postcopy-ram': true } }, { caps: { 'return-path': true } }] },
    ref: `${MC}: migration_connect -> open_return_path_on_source`, note: 'only with postcopy-ram or return-path' },
  { id: 'src.rp.resume', chart: 'return-path', side: 'source', from: ['closed'], event: 'resume-connected', to: 'running',
    when: { status: ['postcopy-recover-setup'], ctx: { resumeRequested: true } }, ref: `${MC}: migration_connect (resume) -> open_return_path_on_source` },
  // close_return_path_on_source joins the thread and releases the file (migration_release_dst_files):
  // nothing of the return path is left for migration_cleanup.
  { id: 'src.rp.join', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'switchover-done', to: 'closed',
    when: { status: ['device'], runstate: ['finish-migrate'], ctx: { postcopyStarted: false } }, ref: `${MC}: migration_completion -> close_return_path_on_source -> migration_release_dst_files` },
  { id: 'src.rp.join.postcopy', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'converged', to: 'closed',
    when: { status: ['postcopy-active'] }, ref: `${MC}: migration_completion -> close_return_path_on_source -> migration_release_dst_files` },
  { id: 'src.rp.cleanup', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'cleanup-done', to: 'closed',
    when: { status: ['completed', 'cancelling', 'failed'], ctx: { parked: false } }, ref: `${MC}: migration_cleanup -> close_return_path_on_source` },
];

/**
 * The COLO primary's transitions of 7.2: none can happen in 10.0. migration_completion starts COLO
 * only from ACTIVE (`migrate_colo() && s->state == MIGRATION_STATUS_ACTIVE`), but
 * migration_switchover_prepare has set DEVICE by then, so an x-colo source completes like any other
 * and migration_iteration_finish never calls migrate_start_colo_process (seen on the binary: the
 * source ends completed / postmigrate, the destination enters COLO alone).
 */
const SOURCE_COLO = [
  'src.switchover.colo', 'src.colo.start', 'src.failover.init', 'src.rp.colo-open', 'src.colo.ready', 'src.run.colo-start',
  'src.colo.request', 'src.colo.reply', 'src.run.checkpoint-stop', 'src.colo.vmstate-send', 'src.colo.vmstate-size',
  'src.colo.vmstate-received', 'src.colo.vmstate-loaded', 'src.run.checkpoint-start', 'src.colo.error', 'src.failover.bh',
  'src.run.failover-stop', 'src.failover.done', 'src.status.failover', 'src.colo.failover', 'src.run.failover-start', 'src.rp.failover',
];

/**
 * The COLO secondary's checkpoint cycle and relaunch: they need a primary, and 10.0's never starts
 * (SOURCE_COLO). A pair of two 10.0 processes therefore never takes them. (A 10.0 secondary behind a
 * primary of another version would: mixed-version pairs are not modelled.)
 */
const DESTINATION_CHECKPOINTS = [
  'dst.colo.ready', 'dst.colo.request', 'dst.run.checkpoint-stop', 'dst.colo.reply', 'dst.colo.vmstate-send', 'dst.colo.vmstate-size',
  'dst.colo.vmstate-received', 'dst.colo.vmstate-loaded', 'dst.run.checkpoint-start', 'dst.failover.relaunch', 'dst.failover.retry',
  'dst.colo.relaunch-loaded', 'dst.run.relaunch-start',
];

const addTransitions: { item: ChartTransition; before?: string; after?: string }[] = [
  // cpr-transfer: a destination started with -incoming cpr waits in qemu_init (cpr_state_load) for
  // the source's cpr state, which the source's migrate sends (qmp_migrate -> cpr_state_save); then
  // the monitor comes up, and -incoming URI listens (qemu_start_incoming_migration, which also closes
  // the cpr socket: the HUP that lets the source connect its main channel, qmp_migrate_finish_cb).
  { item: { id: 'dst.cpr-loaded', chart: 'destination-status', from: ['none'], event: 'cpr-loaded', to: 'none',
    when: { ctx: { cprLoading: 'defer' } }, effects: ['cprLoaded'],
    ref: 'system/vl.c: qemu_init -> migration/cpr.c: cpr_state_load (-incoming defer: nothing listens until migrate-incoming)' } },
  { item: { id: 'dst.cpr-loaded.listen', chart: 'destination-status', from: ['none'], event: 'cpr-loaded', to: 'setup',
    when: { ctx: { cprLoading: 'uri' } }, effects: ['cprLoaded', 'cprStartIncoming'],
    ref: `system/vl.c: qemu_init -> migration/cpr.c: cpr_state_load, then qmp_migrate_incoming -> ${MC}: qemu_start_incoming_migration (NONE -> SETUP; cpr_state_close)` } },
  // A cpr mode stops the VM in migration_connect, before the migration thread (and its setup) runs:
  // inside qmp_migrate for file: and exec: (file_start_outgoing_migration ->
  // migration_channel_connect), when the channel connects for a socket. Seen on the binary: setup
  // with run state finish-migrate. A step of its own (the pair's cpr-stop), before setup-done.
  { after: 'src.run.converged.suspended', item: { id: 'src.run.cpr-stop', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'cpr-stop', to: 'finish-migrate',
    when: { status: ['setup'], check: 'cprMode' }, effects: ['rememberRunState'], ref: `${MC}: migration_connect (migrate_mode_is_cpr: migration_stop_vm)` } },
  { after: 'src.run.cpr-stop', item: { id: 'src.run.cpr-stop.suspended', chart: 'run-state', side: 'source', from: ['suspended'], event: 'cpr-stop', to: 'finish-migrate',
    when: { status: ['setup'], check: 'cprMode' }, effects: ['rememberRunState', 'markSuspended'], ref: `${MC}: migration_connect (migrate_mode_is_cpr: migration_stop_vm -> system/cpus.c: do_vm_stop)` } },
  // A VM stopped from suspended starts again suspended (vm_start -> vm_prepare_start).
  { after: 'src.run.failed.restart', item: { id: 'src.run.failed.restart.suspended', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'suspended',
    when: { status: ['failed'], ctx: { vmOldState: 'suspended' } }, effects: ['unregisterYank', 'clearSuspended'],
    ref: `${MC}: migration_iteration_finish (runstate_is_live(vm_old_state)) -> vm_start -> system/cpus.c: vm_prepare_start (vm_was_suspended)` } },
  { after: 'src.run.cancelled.restart', item: { id: 'src.run.cancelled.restart.suspended', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'suspended',
    when: { status: ['cancelling'], ctx: { vmOldState: 'suspended', parked: false } }, effects: ['clearSuspended'],
    ref: `${MC}: migration_iteration_finish (runstate_is_live(vm_old_state)) -> vm_start -> system/cpus.c: vm_prepare_start (vm_was_suspended)` } },
  // The globalstate section carries vm_was_suspended (QEMU >= 9.0): a suspended guest, or one
  // stopped while suspended, starts suspended on the destination (vm_prepare_start).
  { after: 'dst.globalstate-prelaunch', item: { id: 'dst.globalstate-suspended', chart: 'destination-status', from: ['active'], event: 'globalstate-suspended', to: 'active',
    effects: ['globalStateSuspended'], ref: 'migration/global_state.c: global_state_post_load (vm_set_suspended(vm_was_suspended || r == RUN_STATE_SUSPENDED))' } },
  // In a postcopy the section comes in the package, loaded while the status is postcopy-active.
  { after: 'dst.globalstate-suspended', item: { id: 'dst.globalstate-suspended.postcopy', chart: 'destination-status', from: ['postcopy-active'], event: 'globalstate-suspended', to: 'postcopy-active',
    effects: ['globalStateSuspended'], ref: 'migration/savevm.c: loadvm_handle_cmd_packaged -> migration/global_state.c: global_state_post_load' } },
  { after: 'dst.run.autostart', item: { id: 'dst.run.autostart.suspended', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'suspended',
    when: { status: ['active'], ctx: { autostart: true, coloEnabled: false, globalState: 'running', wasSuspended: true } }, effects: ['clearSuspended'],
    ref: `${MC}: process_incoming_migration_bh (runstate_is_live) -> vm_start -> system/cpus.c: vm_prepare_start (vm_was_suspended: RUN_STATE_SUSPENDED)` } },
  { after: 'dst.run.postcopy-autostart', item: { id: 'dst.run.postcopy-autostart.suspended', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'suspended',
    when: { status: ['postcopy-active'], ctx: { autostart: true, wasSuspended: true } }, effects: ['clearSuspended'],
    ref: `${SV}: loadvm_postcopy_handle_run_bh -> vm_start -> system/cpus.c: vm_prepare_start (vm_was_suspended: RUN_STATE_SUSPENDED)` } },
  // The status is colo and the VM still inmigrate until vm_start; a poll can land there (seen on the
  // binary). CHECKPOINT_READY then goes to a source that has completed and closed the stream.
  { after: 'dst.colo.start', item: { id: 'dst.colo.vm-start', chart: 'colo', side: 'destination', from: ['secondary.starting'], event: 'colo-vm-start', to: 'secondary.running',
    ref: `${CO}: colo_process_incoming_thread (vm_start; colo_send_message CHECKPOINT_READY)` } },
  // F13: a postcopy start that fails in device (the stream broke while the source waited in
  // pre-switchover) leaves the status device: postcopy_start's fail: label cmpxchg's from
  // POSTCOPY_ACTIVE, and migration_iteration_finish has no case for device, so the VM stays in
  // finish-migrate and nobody will clean up: a later migrate_cancel leaves it in cancelling (parked).
  // Seen on the 10.0 binary (docs/findings/postcopy-start-fails-in-device-10.0.jsonl; path runs).
  { after: 'src.error.completion', item: { id: 'src.postcopy-start-error', chart: 'source-status', from: ['device'], event: 'channel-error', to: 'device',
    when: { runstate: ['finish-migrate'], ctx: { postcopyStarted: true, parked: false } }, effects: ['clearMigrationRequests', 'parkThread'],
    ref: `${MC}: postcopy_start (fail: migrate_set_state(POSTCOPY_ACTIVE, FAILED) does not match device) -> migration_iteration_finish (default: "Unknown ending state")` } },
  // Precopy switchover always passes through device (migration_switchover_prepare, QEMU >= 10.0).
  { after: 'src.setup-done', item: { id: 'src.converged.device', chart: 'source-status', from: ['active'], event: 'switchover-start', to: 'device',
    when: { caps: { 'pause-before-switchover': false }, runstate: ['finish-migrate'] }, ref: `${MC}: migration_completion_precopy -> migration_switchover_start -> migration_switchover_prepare (ACTIVE -> DEVICE)` } },
  // The second half of postcopy_start, in the same pair step: the package went out, DEVICE ->
  // POSTCOPY_ACTIVE (the internal event is the one 7.2's postcopy_start stops the VM on).
  { after: 'src.postcopy-start', item: { id: 'src.postcopy-active', chart: 'source-status', from: ['device'], event: 'postcopy-stop', to: 'postcopy-active',
    when: { runstate: ['finish-migrate'], ctx: { postcopyStarted: true } }, ref: `${MC}: postcopy_start (qemu_savevm_send_packaged; DEVICE -> POSTCOPY_ACTIVE)` } },
  { after: 'src.error.postcopy', item: { id: 'src.recover-setup-error', chart: 'source-status', from: ['postcopy-recover-setup'], event: 'channel-error', to: 'postcopy-paused',
    effects: ['clearMigrationRequests'], ref: `${MC}: migration_connect (error_in, resume) -> migration_connect_set_error (POSTCOPY_RECOVER_SETUP -> POSTCOPY_PAUSED)`,
    note: 'no cleanup for a resume: the user may try migrate resume again' } },
  // After migrate_cancel.setup the connect started by qmp_migrate_finish still runs; when it ends
  // (refused, or the listener goes away), migration_connect(error_in) finds the status cancelled
  // ("Illegal migration status (cancelled) detected") and runs migration_cleanup, which
  // unregisters the yank instance. (A connect that succeeds ends the same way: the thread starts,
  // finds nothing active and cleans up.)
  { after: 'src.cancelled', item: { id: 'src.cancelled.connect-done', chart: 'source-status', from: ['cancelled'], event: 'cleanup-done', to: 'cancelled',
    when: { ctx: { yankRegistered: true } }, effects: ['unregisterYank'],
    ref: `${MC}: migration_connect (error_in) -> migration_connect_set_error, migration_cleanup (yank_unregister_instance)` } },
  // vm_old_state prelaunch (a -S source that never ran): runstate_set(vm_old_state) puts it back.
  { after: 'src.run.failed.stopped', item: { id: 'src.run.failed.prelaunch', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'prelaunch',
    when: { status: ['failed'], ctx: { vmOldState: 'prelaunch' } }, effects: ['unregisterYank'], ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` } },
  { after: 'src.run.cancelled.restart', item: { id: 'src.run.cancelled.prelaunch', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'prelaunch',
    when: { status: ['cancelling'], ctx: { vmOldState: 'prelaunch', parked: false } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` } },
  // exit-on-error false (QEMU >= 9.1): the failed load is reported, the process stays.
  { after: 'dst.load-done', item: { id: 'dst.error.precopy', chart: 'destination-status', from: ['active'], event: 'channel-error', to: 'failed',
    when: { ctx: { exitOnError: false } }, effects: ['unregisterYank'], ref: `${MC}: process_incoming_migration_co (fail: ACTIVE -> FAILED; migration_incoming_state_destroy)`,
    note: 'with exit-on-error (the default) QEMU exits instead, and nothing more is observed' } },
  { after: 'dst.rp.close', item: { id: 'dst.rp.error.precopy', chart: 'return-path', side: 'destination', from: ['open'], event: 'channel-error', to: 'closed',
    when: { status: ['active'], ctx: { exitOnError: false } },
    ref: `${MC}: process_incoming_migration_co (fail: migration_incoming_state_destroy -> migrate_send_rp_shut, qemu_fclose(to_src_file))` } },
];

// ---- capabilities, parameters ----------------------------------------------------------------------
// qapi/migration.json (10.0): zero-blocks is still there (deprecated); compress and block are gone
// (9.1); switchover-ack and dirty-limit (8.1), mapped-ram (9.0) are new, in the schema's order.
// Parameters (qapi/migration.json 10.0, MigrateSetParameters; the binary's query-qmp-schema): 9.1
// removed compress-level, compress-threads, compress-wait-thread, decompress-threads and
// block-incremental; avail-switchover-bandwidth (8.2), multifd-qatzip-level (9.2),
// x-vcpu-dirty-limit-period and vcpu-dirty-limit (8.1), mode (8.2), zero-page-detection (9.0) and
// direct-io (9.1) are new, at their places in the schema's order. The defaults live in
// migration/options.c now. Enums as the Debian binary has them (no qatzip/qpl/uadk compression:
// CONFIG_QATZIP/QPL/UADK are off).
const QJ = 'qapi/migration.json: MigrateSetParameters';
const S = (name: string, type: ParamSpec['type'], dflt: ParamSpec['default'], mutableWhileRunning = true, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name, type, default: dflt, mutableWhileRunning, ref: `${QJ} (${type}); ${OPT}: migration_properties`, ...extra,
});
export const REMOVED_PARAMS_91 = ['compress-level', 'compress-threads', 'compress-wait-thread', 'decompress-threads', 'block-incremental'];
/** The parameters 10.0 has beyond 7.2's, each after the one it follows in the schema. */
export const addedParams100: { item: ParamSpec; after: string }[] = [
  { after: 'max-bandwidth', item: S('avail-switchover-bandwidth', 'size', 0) },
  { after: 'multifd-zlib-level', item: S('multifd-qatzip-level', 'uint8', 1, false) },
  { after: 'block-bitmap-mapping', item: S('x-vcpu-dirty-limit-period', 'uint64', 1000) },
  { after: 'x-vcpu-dirty-limit-period', item: S('vcpu-dirty-limit', 'uint64', 1) },
  { after: 'vcpu-dirty-limit', item: S('mode', 'enum', 'normal', false, { values: ['normal', 'cpr-reboot', 'cpr-transfer'] }) },
  { after: 'mode', item: S('zero-page-detection', 'enum', 'multifd', false, { values: ['none', 'legacy', 'multifd'] }) },
  { after: 'zero-page-detection', item: S('direct-io', 'bool', false, false) },
];
/**
 * 7.2's parameters that 10.0 keeps, citing migration/options.c (migration_properties moved there in
 * 8.0), all of them applied (8.0 stores the multifd levels 7.2 dropped).
 */
export const keptParams100 = (base: readonly ParamSpec[]): ParamSpec[] =>
  base.filter((x) => !REMOVED_PARAMS_91.includes(x.name)).map(({ applied: _applied, ...x }) => ({ ...x, ref: x.ref.replace('migration/migration.c', OPT) }));

// migrate_params_check (10.0, migration/options.c): 7.2's tests with the compression ones gone, the
// multifd level tests in force (10.0's copy takes those members: the binary refuses 10 and 21), and
// the dirty-limit and mapped-ram tests added. Not modelled (cannot fail here): max_bandwidth and
// avail_switchover_bandwidth > SIZE_MAX; direct-io without qemu_has_direct_io() (Linux has it).
const P = `${OPT}: migrate_params_check`;
const pv = (param: string, text: string) => `Parameter '${param.replace(/-/g, '_')}' expects ${text}`;
const paramChecksDelta: ListDelta<ParamCheck> = {
  remove: ['compress-level', 'compress-threads', 'decompress-threads'],
  replace: paramChecks72
    .filter((c) => !['compress-level', 'compress-threads', 'decompress-threads'].includes(c.id))
    .map((c) => ({ ...c, ref: c.ref.replace(`${MC}: migrate_params_check`, P) })),
  add: [
    { after: 'multifd-channels', item: { id: 'multifd-zlib-level', kind: 'range', param: 'multifd-zlib-level', max: 9, desc: pv('multifd-zlib-level', 'a value between 0 and 9'), ref: P } },
    { after: 'multifd-zlib-level', item: { id: 'multifd-qatzip-level', kind: 'range', param: 'multifd-qatzip-level', min: 1, max: 9, desc: pv('multifd-qatzip-level', 'a value between 1 and 9'), ref: P } },
    { after: 'multifd-qatzip-level', item: { id: 'multifd-zstd-level', kind: 'range', param: 'multifd-zstd-level', max: 20, desc: pv('multifd-zstd-level', 'a value between 0 and 20'), ref: P } },
    // Reads the stored values (migrate_multifd_compression(), migrate_tls()), not the new ones: the
    // binary accepts multifd-compression zlib with mapped-ram on, then refuses any tls-creds.
    { after: 'zero-copy', item: { id: 'mapped-ram', kind: 'conflict', caps: ['mapped-ram'], differs: { 'multifd-compression': 'none', 'tls-creds': '' }, reads: 'current',
      desc: 'Mapped-ram only available for non-compressed non-TLS multifd migration', ref: P } },
    // The message keeps the member's QAPI name (hyphens).
    { after: 'mapped-ram', item: { id: 'x-vcpu-dirty-limit-period', kind: 'range', param: 'x-vcpu-dirty-limit-period', min: 1, max: 1000, desc: "Parameter 'x-vcpu-dirty-limit-period' expects a value between 1 and 1000", ref: P } },
    { after: 'x-vcpu-dirty-limit-period', item: { id: 'vcpu-dirty-limit', kind: 'range', param: 'vcpu-dirty-limit', min: 1, desc: "Parameter 'vcpu_dirty_limit' must be greater than 1 MB/s", ref: P } },
  ],
};

// migrate_caps_check, in its order of checks (the first that fails answers).
const C = `${OPT}: migrate_caps_check`;
const capConflictsReplace: CapConflict[] = [
  // check_caps_background_snapshot moved to options.c and lost compress (removed in 9.1).
  ...backgroundSnapshotRows(`${C} (check_caps_background_snapshot)`).filter((r) => r.id !== 'background-snapshot-compress'),
  { id: 'postcopy-ignore-shared', all: ['postcopy-ram', 'x-ignore-shared'], desc: 'Postcopy is not compatible with ignore-shared', ref: C },
  { id: 'zero-copy-needs-multifd', all: ['zero-copy-send'], unless: ['multifd'], desc: 'Zero copy only available for non-compressed non-TLS multifd migration', ref: C },
  { id: 'preempt-needs-postcopy', all: ['postcopy-preempt'], unless: ['postcopy-ram'], desc: 'Postcopy preempt requires postcopy-ram', ref: C },
];
const capConflictsAdd: { item: CapConflict; before?: string; after?: string }[] = [
  { after: 'postcopy-ignore-shared', item: { id: 'postcopy-multifd', all: ['postcopy-ram', 'multifd'], desc: 'Postcopy is not yet compatible with multifd', ref: C } },
  // The zero-copy test also refuses xbzrle (7.2's binary does the same), before multifd's own.
  { after: 'zero-copy-needs-multifd', item: { id: 'zero-copy-xbzrle', all: ['zero-copy-send', 'xbzrle'], desc: 'Zero copy only available for non-compressed non-TLS multifd migration', ref: C } },
  // migrate_incoming_started(): the incoming transport exists, from migrate-incoming until
  // migration_incoming_state_destroy (seen on the binary: multifd refused while listening,
  // accepted once the incoming migration completed).
  { after: 'preempt-needs-postcopy', item: { id: 'preempt-late', all: ['postcopy-preempt'], newlyWhileIncoming: 'transport', desc: 'Postcopy preempt must be set before incoming starts', ref: `${C} (migrate_incoming_started)` } },
  { after: 'preempt-late', item: { id: 'multifd-late', all: ['multifd'], newlyWhileIncoming: 'transport', desc: 'Multifd must be set before incoming starts', ref: `${C} (migrate_incoming_started)` } },
  { after: 'multifd-late', item: { id: 'switchover-ack-needs-return-path', all: ['switchover-ack'], unless: ['return-path'], desc: "Capability 'switchover-ack' requires capability 'return-path'", ref: C } },
  { after: 'switchover-ack-needs-return-path', item: { id: 'dirty-limit-auto-converge', all: ['dirty-limit', 'auto-converge'], desc: 'dirty-limit conflicts with auto-converge either of then available currently', ref: C } },
  // Every QEMU this project starts (TCG, or KVM without dirty-ring-size) refuses dirty-limit.
  { after: 'dirty-limit-auto-converge', item: { id: 'dirty-limit-needs-dirty-ring', all: ['dirty-limit'], desc: "dirty-limit requires KVM with accelerator property 'dirty-ring-size' set", ref: `${C} (kvm_enabled() && kvm_dirty_ring_enabled())` } },
  { after: 'dirty-limit-needs-dirty-ring', item: { id: 'multifd-xbzrle', all: ['multifd', 'xbzrle'], desc: 'Multifd is not compatible with xbzrle', ref: C } },
  { after: 'multifd-xbzrle', item: { id: 'mapped-ram-xbzrle', all: ['mapped-ram', 'xbzrle'], desc: 'Mapped-ram migration is incompatible with xbzrle', ref: C } },
  { after: 'mapped-ram-xbzrle', item: { id: 'mapped-ram-postcopy', all: ['mapped-ram', 'postcopy-ram'], desc: 'Mapped-ram migration is incompatible with postcopy', ref: C } },
];

/** 7.2's QEMU references in the files they moved to: the fd commands to monitor/fds.c (8.1), softmmu/ to system/ (8.2). */
const movedRef = (ref: string) => ref.replace('monitor/misc.c', 'monitor/fds.c').replace('softmmu/', 'system/');

export const qemu100Delta: ProfileDelta = {
  name: 'qemu-10.0',
  title: 'QEMU 10.0 (Debian bookworm-backports qemu-system-x86)',
  qemuVersion: '10.0',
  description: "Debian bookworm-backports' QEMU 10.0.2: device on every switchover, postcopy-recover-setup, the destination's setup and failed, postcopy cancel refused, vm_old_state restored; no failing, no postcopy-device.",
  base: 'qemu-7.2',
  statuses: {
    // No colo: migration_completion never moves 10.0's source to COLO (src.switchover).
    source: { add: ['postcopy-recover-setup'], remove: ['colo'] },
    // migration_incoming_state_setup (setup) and exit-on-error false (failed, QEMU >= 9.1).
    destination: { add: ['setup', 'failed'] },
  },
  capabilities: { remove: ['compress', 'block'], add: ['switchover-ack', 'dirty-limit', 'mapped-ram'] },
  parameters: { remove: REMOVED_PARAMS_91, replace: keptParams100(parameters72), add: addedParams100 },
  paramChecks: paramChecksDelta,
  // qapi/migration.json (10.0): migrate lost blk and inc (9.1), keeps detach (ignored), gained
  // channels; migrate-incoming gained channels and exit-on-error.
  commandArgs: {
    migrate: ['uri', 'channels', 'detach', 'resume'],
    'migrate-incoming': ['uri', 'channels', 'exit-on-error'],
    // qapi/misc.json (the fd sets, modelled from here on).
    'add-fd': ['fdset-id', 'opaque'],
    'remove-fd': ['fdset-id', 'fd'],
    'query-fdsets': [],
    // calc-time-unit (8.2).
    'calc-dirty-rate': ['calc-time', 'calc-time-unit', 'sample-pages', 'mode'],
  },
  commands: { add: FDSET_COMMANDS },
  // migrate_uri_parse: file: (8.2) joined the schemes.
  uriSchemes: { add: ['file'] },
  // add-fd / remove-fd are modelled here (fdsetRows); the rest keep 7.2's reasons, at their new places.
  unmodelledCommands: {
    remove: FDSET_COMMANDS.filter((c) => UNMODELLED_72.some((x) => x.id === c)),
    replace: UNMODELLED_72.filter((c) => !FDSET_COMMANDS.includes(c.id) && movedRef(c.ref) !== c.ref).map((c) => ({ ...c, ref: movedRef(c.ref) })),
  },
  // migration_channels_and_transport_compatible (seen on the binary: each refusal, seekable first,
  // from migrate and migrate-incoming alike, nothing changed). Not a row: direct-io's extra fds,
  // which cannot fail first (migrate_direct_io() needs mapped-ram, so the seekable test refuses
  // any transport but file: before it; seen: multifd + direct-io over tcp is taken).
  transportChecks: {
    add: [
      { item: { id: 'seekable', caps: ['mapped-ram'], schemes: ['file'], desc: 'Migration requires seekable transport (e.g. file)', ref: `${MC}: migration_channels_and_transport_compatible (migration_needs_seekable_channel)` } },
      { item: { id: 'multi-channel', caps: ['multifd', 'postcopy-preempt'], schemes: ['tcp', 'unix', 'vsock'], schemesWith: { file: 'mapped-ram' }, desc: 'Migration requires multi-channel URIs (e.g. tcp)', ref: `${MC}: migration_channels_and_transport_compatible (migration_needs_multiple_sockets, transport_supports_multi_channels)` } },
      { item: { id: 'streamable', params: { mode: 'cpr-transfer' }, refuses: ['file'], desc: 'Migration requires streamable transport (eg unix)', ref: `${MC}: migration_channels_and_transport_compatible (MIG_MODE_CPR_TRANSFER)` } },
    ],
  },
  capConflicts: { remove: ['preempt-compress', 'multifd-compress', 'background-snapshot-compress'], replace: capConflictsReplace, add: capConflictsAdd },
  rules: {
    // The fd commands' rows, in their new file; qmp_getfd's name test moved into monitor_add_fd.
    replace: [
      ...replaceRules,
      ...qemu72.rules.filter((r) => movedRef(r.ref) !== r.ref).map((r) => ({ ...r, ref: movedRef(r.ref) + (r.id === 'getfd.digit' ? ' -> monitor_add_fd' : '') })),
    ],
    add: addRules,
    // migrate-incoming.args: replaced by migrate-incoming.args.channels, after the once / run-state checks.
    // migrate.yank-duplicate (colo): migrate_prepare refuses colo first (migration_is_running).
    // 7.2's postcopy-paused cancel and pre-switchover cancel race: refused / not racing in 10.0.
    // migrate.unknown-protocol(.quiet): 10.0 parses the URI first and changes nothing (migrate.uri-parse).
    // calc-dirty-rate.dirty-ring / .dirty-bitmap: 7.2's crash under TCG is gone (kvm_dirty_ring_enabled
    // tests kvm_state); the dirty-ring refusal comes after the sample-pages tests (addRules).
    remove: ['calc-dirty-rate.dirty-ring', 'calc-dirty-rate.dirty-bitmap', 'migrate-incoming.args', 'migrate.yank-duplicate', 'migrate_cancel.postcopy-paused', 'migrate_cancel.pre-switchover', 'migrate.unknown-protocol', 'migrate.unknown-protocol.quiet', 'migrate.unknown-protocol.again', 'migrate.unknown-protocol.again.quiet'],
  },
  transitions: {
    // SOURCE_COLO: 10.0's source never enters COLO (src.switchover). src.cancel-set: no 7.2 cancel
    // race. src.resume-refused: the failed resume connect goes back from postcopy-recover-setup
    // (src.recover-setup-error). src.pause-released.postcopy: a postcopy leaves pre-switchover for
    // device too (migration_switchover_prepare), then src.postcopy-active.
    remove: [
      ...SOURCE_COLO,
      ...DESTINATION_CHECKPOINTS,
      'src.cancel-set',
      'src.resume-refused',
      'src.pause-released.postcopy',
      // 7.2's moment between postcopy-active and the package: 10.0 is in device then (F13).
      'src.postcopy-package',
      'src.postcopy-package-error',
    ],
    replace: replaceTransitions,
    add: addTransitions,
  },
  // qmp_migrate_set_capabilities refuses on a COLO primary (migration_in_colo_state, QEMU >= 8.0).
  invariants: {
    claim: ['source-caps-frozen-in-colo'],
    knownViolations: {
      add: [{
        invariant: 'yank-iff-migration',
        finding: 'QEMU 10.0: migrate_cancel in setup before the channel connected sets cancelled without migration_cleanup, so the migration yank instance stays registered on a cancelled source until the pending connect ends (migrate_cancel.setup, src.cancelled.connect-done); seen on the binary: migrate then fails with "duplicate yank instance"',
      }],
    },
  },
};
