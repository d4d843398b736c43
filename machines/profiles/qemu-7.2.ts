// Profile qemu-7.2: QEMU 7.2 as Debian bookworm ships it (qemu-system-x86 1:7.2+dfsg-7+deb12u*).
// Rows are checked in order, the order of QEMU's own checks. Every row names the QEMU function.
// Source of truth: migration/migration.c and monitor/qmp-cmds.c at v7.2.0, and the real binary
// (docs/research/qemu-7.2-observed.jsonl is what it answered; model-tests/observed.test.ts
// replays those answers against this table).
import type { Profile, Rule, ChartTransition, ParamSpec, CapConflict } from '../profile.ts';
import type { MigrationStatus } from '../vocabulary.ts';

const MC = 'migration/migration.c';
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
    accept: { reply: 'empty', effects: ['requestResume'] }, ref: `${MC}: qmp_migrate`,
    note: 'the status stays postcopy-paused until the new channel connects (postcopy_pause)' },
  { id: 'migrate.running', side: 'source', command: 'migrate', when: { status: RUNNING_72 },
    reject: { class: GE, desc: MIGRATION_ACTIVE }, ref: `${MC}: migrate_prepare (migration_is_running)` },
  { id: 'migrate.inmigrate', side: 'both', command: 'migrate', when: { runstate: ['inmigrate'] },
    reject: { class: GE, desc: 'Guest is waiting for an incoming migration' }, ref: `${MC}: migrate_prepare` },
  { id: 'migrate.postmigrate', side: 'both', command: 'migrate', when: { runstate: ['postmigrate'] },
    reject: { class: GE, desc: "Can't migrate the vm that was paused due to previous migration" }, ref: `${MC}: migrate_prepare` },
  { id: 'migrate.yank-duplicate', side: 'source', command: 'migrate', when: { status: ['colo'] },
    reject: { class: GE, desc: 'duplicate yank instance' }, ref: `${MC}: qmp_migrate -> yank_register_instance (util/yank.c)`,
    note: 'COLO never ran migrate_fd_cleanup, so the migration yank instance is still registered; migrate_init has already set the status to setup (a QEMU bug: the error leaves the status changed; see docs/findings.md)' },
  { id: 'migrate.yank-duplicate.dst', side: 'destination', command: 'migrate', when: { status: ['postcopy-active', 'postcopy-paused', 'postcopy-recover', 'colo'] },
    reject: { class: GE, desc: 'duplicate yank instance' }, ref: `${MC}: qmp_migrate -> yank_register_instance (util/yank.c)`,
    note: 'the incoming migration still holds the migration yank instance until migration_incoming_state_destroy' },
  { id: 'migrate.start', side: 'source', command: 'migrate',
    accept: { reply: 'empty', status: 'setup', effects: ['startMigration'] }, ref: `${MC}: qmp_migrate -> migrate_init` },
  { id: 'migrate.start.dst', side: 'destination', command: 'migrate',
    accept: { reply: 'empty' }, ref: `${MC}: qmp_migrate`,
    note: 'a destination that finished loading may migrate on as a source; the model follows one role per process' },

  // ---- migrate-incoming ----------------------------------------------------------------------
  { id: 'migrate-incoming.args', side: 'both', command: 'migrate-incoming', when: { args: { uri: 'absent' } },
    reject: { class: GE, desc: "Parameter 'uri' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_migrate_incoming)` },
  { id: 'migrate-incoming.once', side: 'destination', command: 'migrate-incoming', when: { ctx: { incomingStarted: true } },
    reject: { class: GE, desc: 'The incoming migration has already been started' }, ref: `${MC}: qmp_migrate_incoming` },
  { id: 'migrate-incoming.not-inmigrate', side: 'both', command: 'migrate-incoming', when: { notRunstate: ['inmigrate'] },
    reject: { class: GE, desc: "'-incoming' was not specified on the command line" }, ref: `${MC}: qmp_migrate_incoming` },
  { id: 'migrate-incoming.start', side: 'destination', command: 'migrate-incoming',
    accept: { reply: 'empty', effects: ['listen', 'markIncomingStarted'] }, ref: `${MC}: qmp_migrate_incoming -> qemu_start_incoming_migration`,
    note: 'listening does not change the incoming status: query-migrate shows no status until a source connects' },

  // ---- migrate-recover -----------------------------------------------------------------------
  { id: 'migrate-recover.args', side: 'both', command: 'migrate-recover', when: { args: { uri: 'absent' } },
    reject: { class: GE, desc: "Parameter 'uri' is missing" }, ref: `${QAPI}: qobject_input_get_object (qmp_marshal_migrate_recover)` },
  { id: 'migrate-recover.not-paused.src', side: 'source', command: 'migrate-recover',
    reject: { class: GE, desc: 'Migrate recover can only be run when postcopy is paused.' }, ref: `${MC}: qmp_migrate_recover`,
    note: 'checks the incoming state, which is none on a source process' },
  { id: 'migrate-recover.not-paused', side: 'destination', command: 'migrate-recover', when: { notStatus: ['postcopy-paused'] },
    reject: { class: GE, desc: 'Migrate recover can only be run when postcopy is paused.' }, ref: `${MC}: qmp_migrate_recover` },
  { id: 'migrate-recover.start', side: 'destination', command: 'migrate-recover',
    accept: { reply: 'empty', effects: ['listen'] }, ref: `${MC}: qmp_migrate_recover -> qemu_start_incoming_migration` },

  // ---- migrate_cancel ------------------------------------------------------------------------
  { id: 'migrate_cancel.running', side: 'source', command: 'migrate_cancel', when: { status: RUNNING_72.filter((s) => s !== 'cancelling') },
    accept: { reply: 'empty', status: 'cancelling' }, ref: `${MC}: migrate_fd_cancel`,
    note: 'pre-switchover is kicked out of its pause (pause_sem posted) on the way' },
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
    accept: { reply: 'empty', status: 'device' }, ref: `${MC}: qmp_migrate_continue -> migration_maybe_pause` },
  { id: 'migrate-continue.noop', side: 'both', command: 'migrate-continue',
    accept: { reply: 'empty' }, ref: `${MC}: qmp_migrate_continue`, note: 'the state matches but nothing waits on pause_sem' },

  // ---- migrate-pause -------------------------------------------------------------------------
  { id: 'migrate-pause.source', side: 'source', command: 'migrate-pause', when: { status: ['postcopy-active'] },
    accept: { reply: 'empty' }, ref: `${MC}: qmp_migrate_pause`,
    note: 'shuts the stream down; the migration thread then pauses (channel-error -> postcopy-paused)' },
  { id: 'migrate-pause.destination', side: 'destination', command: 'migrate-pause', when: { status: ['postcopy-active'] },
    accept: { reply: 'empty' }, ref: `${MC}: qmp_migrate_pause`,
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
    reject: { class: GE, desc: '{message}' }, ref: `${MC}: migrate_params_check` },
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

  // ---- cont / stop ---------------------------------------------------------------------------
  { id: 'cont.finish-migrate', side: 'both', command: 'cont', when: { runstate: ['finish-migrate'] },
    reject: { class: GE, desc: 'Migration is not finalized yet' }, ref: `${QMP_CMDS}: qmp_cont` },
  { id: 'cont.inmigrate', side: 'both', command: 'cont', when: { runstate: ['inmigrate'] },
    accept: { reply: 'empty', effects: ['autostartOn'] }, ref: `${QMP_CMDS}: qmp_cont`, note: 'sets autostart: the VM starts when the load completes' },
  { id: 'cont.start', side: 'both', command: 'cont', when: { runstate: ['prelaunch', 'paused', 'postmigrate'] },
    accept: { reply: 'empty', runstate: 'running' }, ref: `${QMP_CMDS}: qmp_cont -> vm_start` },
  { id: 'cont.running', side: 'both', command: 'cont', accept: { reply: 'empty' }, ref: `${QMP_CMDS}: qmp_cont -> vm_start`, note: 'already running: nothing to do' },
  { id: 'stop.inmigrate', side: 'both', command: 'stop', when: { runstate: ['inmigrate'] },
    accept: { reply: 'empty', effects: ['autostartOff'] }, ref: `${QMP_CMDS}: qmp_stop`, note: 'clears autostart: the VM stays paused after the load' },
  { id: 'stop.running', side: 'both', command: 'stop', when: { runstate: ['running'] },
    accept: { reply: 'empty', runstate: 'paused' }, ref: `${QMP_CMDS}: qmp_stop -> vm_stop(RUN_STATE_PAUSED)` },
  { id: 'stop.idle', side: 'both', command: 'stop', accept: { reply: 'empty' }, ref: `softmmu/cpus.c: do_vm_stop`, note: 'not running: nothing to do' },
];

const transitions: ChartTransition[] = [
  // ---- source status -------------------------------------------------------------------------
  { id: 'src.setup-done', chart: 'source-status', from: ['setup'], event: 'setup-done', to: 'active',
    ref: `${MC}: migration_thread -> qemu_savevm_wait_unplug` },
  { id: 'src.unplug-pending', chart: 'source-status', from: ['setup'], event: 'unplug-pending', to: 'wait-unplug',
    ref: `${MC}: qemu_savevm_wait_unplug`, note: 'only with failover (virtio-net standby) devices' },
  { id: 'src.unplug-done', chart: 'source-status', from: ['wait-unplug'], event: 'unplug-done', to: 'active', ref: `${MC}: qemu_savevm_wait_unplug` },
  { id: 'src.converged.pause', chart: 'source-status', from: ['active'], event: 'converged', to: 'pre-switchover',
    when: { caps: { 'pause-before-switchover': true } }, ref: `${MC}: migration_completion -> migration_maybe_pause` },
  { id: 'src.switchover.colo', chart: 'source-status', from: ['active'], event: 'switchover-done', to: 'colo',
    when: { caps: { 'x-colo': true }, runstate: ['finish-migrate'] }, ref: `${MC}: migration_iteration_finish -> migrate_start_colo_process` },
  { id: 'src.switchover', chart: 'source-status', from: ['active', 'device'], event: 'switchover-done', to: 'completed',
    when: { runstate: ['finish-migrate'] }, ref: `${MC}: migration_completion` },
  { id: 'src.postcopy-start', chart: 'source-status', from: ['active'], event: 'postcopy-start', to: 'postcopy-active',
    when: { ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false } }, ref: `${MC}: postcopy_start`,
    note: 'postcopy with pause-before-switchover (active -> pre-switchover -> postcopy-active) is not modelled yet' },
  { id: 'src.postcopy-complete', chart: 'source-status', from: ['postcopy-active'], event: 'converged', to: 'completed',
    ref: `${MC}: migration_completion` },
  { id: 'src.error.precopy', chart: 'source-status', from: ['setup', 'wait-unplug', 'active', 'pre-switchover', 'device'], event: 'channel-error', to: 'failed',
    effects: ['clearMigrationRequests'], ref: `${MC}: migration_detect_error / migrate_fd_error` },
  { id: 'src.error.postcopy', chart: 'source-status', from: ['postcopy-active', 'postcopy-recover'], event: 'channel-error', to: 'postcopy-paused',
    ref: `${MC}: migration_detect_error -> postcopy_pause` },
  { id: 'src.cancelled', chart: 'source-status', from: ['cancelling'], event: 'cleanup-done', to: 'cancelled', ref: `${MC}: migrate_fd_cleanup` },
  { id: 'src.resume-connected', chart: 'source-status', from: ['postcopy-paused'], event: 'resume-connected', to: 'postcopy-recover',
    when: { ctx: { resumeRequested: true } }, effects: ['clearMigrationRequests'], ref: `${MC}: postcopy_pause` },
  { id: 'src.recover-done', chart: 'source-status', from: ['postcopy-recover'], event: 'recover-done', to: 'postcopy-active',
    ref: `${MC}: postcopy_do_resume (MIG_RP_MSG_RESUME_ACK)` },

  // ---- source run state ----------------------------------------------------------------------
  { id: 'src.run.converged', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'converged', to: 'finish-migrate',
    when: { status: ['active'] }, effects: ['rememberRunState'], ref: `${MC}: migration_completion -> vm_stop_force_state(RUN_STATE_FINISH_MIGRATE)` },
  { id: 'src.run.postcopy-start', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false } }, effects: ['rememberRunState'], ref: `${MC}: postcopy_start -> vm_stop_force_state` },
  { id: 'src.run.completed', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'switchover-done', to: 'postmigrate',
    when: { status: ['active', 'device'], caps: { 'x-colo': false } }, ref: `${MC}: migration_iteration_finish -> runstate_set(RUN_STATE_POSTMIGRATE)` },
  { id: 'src.run.postcopy-completed', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'converged', to: 'postmigrate',
    when: { status: ['postcopy-active'] }, ref: `${MC}: migration_iteration_finish -> runstate_set(RUN_STATE_POSTMIGRATE)` },
  { id: 'src.run.colo', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'switchover-done', to: 'running',
    when: { status: ['active'], caps: { 'x-colo': true } }, ref: 'migration/colo.c: colo_process_checkpoint -> vm_start' },
  { id: 'src.run.failed.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'channel-error', to: 'running',
    when: { status: ['active', 'pre-switchover', 'device'], ctx: { vmOldState: 'running' } }, ref: `${MC}: migration_iteration_finish -> vm_start` },
  { id: 'src.run.failed.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'channel-error', to: 'postmigrate',
    when: { status: ['active', 'pre-switchover', 'device'], not: { ctx: { vmOldState: 'running' } } }, ref: `${MC}: migration_iteration_finish -> runstate_set(RUN_STATE_POSTMIGRATE)`,
    note: 'QEMU 7.2 leaves a VM that was not running in postmigrate after a failure' },
  { id: 'src.run.cancelled.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'postmigrate',
    when: { status: ['cancelling'], not: { ctx: { vmOldState: 'running' } } }, ref: `${MC}: migration_iteration_finish -> runstate_set(RUN_STATE_POSTMIGRATE)` },
  { id: 'src.run.cancelled.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'running',
    when: { status: ['cancelling'], ctx: { vmOldState: 'running' } }, ref: `${MC}: migration_iteration_finish -> vm_start` },

  // ---- destination status --------------------------------------------------------------------
  { id: 'dst.connected', chart: 'destination-status', from: ['none'], event: 'source-connected', to: 'active',
    when: { ctx: { listening: true } }, ref: `${MC}: process_incoming_migration_co` },
  { id: 'dst.load-done', chart: 'destination-status', from: ['active'], event: 'load-done', to: 'completed',
    ref: `${MC}: process_incoming_migration_co` },
  { id: 'dst.postcopy-listen', chart: 'destination-status', from: ['active'], event: 'postcopy-listen', to: 'postcopy-active',
    when: { caps: { 'postcopy-ram': true } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_listen' },
  { id: 'dst.postcopy-done', chart: 'destination-status', from: ['postcopy-active'], event: 'postcopy-done', to: 'completed',
    when: { notRunstate: ['inmigrate'] }, ref: 'migration/savevm.c: postcopy_ram_listen_thread' },
  { id: 'dst.error.postcopy', chart: 'destination-status', from: ['postcopy-active', 'postcopy-recover'], event: 'channel-error', to: 'postcopy-paused',
    effects: ['stopListening'], ref: 'migration/savevm.c: postcopy_pause_incoming' },
  { id: 'dst.recover-connected', chart: 'destination-status', from: ['postcopy-paused'], event: 'resume-connected', to: 'postcopy-recover',
    when: { ctx: { listening: true } }, ref: 'migration/savevm.c: postcopy_pause_incoming' },
  { id: 'dst.recover-done', chart: 'destination-status', from: ['postcopy-recover'], event: 'recover-done', to: 'postcopy-active',
    ref: 'migration/savevm.c: loadvm_postcopy_handle_resume' },

  // ---- destination run state -----------------------------------------------------------------
  { id: 'dst.run.autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'running',
    when: { status: ['active'], ctx: { autostart: true } }, ref: `${MC}: process_incoming_migration_bh -> vm_start` },
  { id: 'dst.run.paused', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'load-done', to: 'paused',
    when: { status: ['active'], ctx: { autostart: false } }, ref: `${MC}: process_incoming_migration_bh -> runstate_set(RUN_STATE_PAUSED)` },
  { id: 'dst.run.postcopy-autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'running',
    when: { status: ['postcopy-active'], ctx: { autostart: true } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_run_bh -> vm_start' },
  { id: 'dst.run.postcopy-paused', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'paused',
    when: { status: ['postcopy-active'], ctx: { autostart: false } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_run_bh -> runstate_set(RUN_STATE_PAUSED)' },
];

const B = 'migration/migration.c: migrate_params_check';
const parameters: ParamSpec[] = [
  { name: 'announce-initial', kind: 'size', min: 1, max: 100000, rangeError: "Parameter 'announce_initial' expects a value between 1 and 100000", mutableWhileRunning: true, default: 50, ref: B },
  { name: 'max-bandwidth', kind: 'size', mutableWhileRunning: true, default: 134217728, ref: B },
  { name: 'downtime-limit', kind: 'size', max: 2000000, rangeError: "Parameter 'downtime_limit' expects an integer in the range of 0 to 2000000 milliseconds", mutableWhileRunning: true, default: 300, ref: B },
  { name: 'x-checkpoint-delay', kind: 'int', min: 0, mutableWhileRunning: true, default: 20000, ref: B },
  { name: 'multifd-channels', kind: 'int', min: 1, max: 255, rangeError: "Parameter 'multifd_channels' expects a value between 1 and 255", mutableWhileRunning: false, default: 2, ref: B },
  { name: 'tls-creds', kind: 'str', mutableWhileRunning: false, default: '', ref: B },
  { name: 'tls-hostname', kind: 'str', mutableWhileRunning: false, default: '', ref: B },
  { name: 'xbzrle-cache-size', kind: 'size', mutableWhileRunning: true, default: 67108864, ref: B },
  { name: 'max-postcopy-bandwidth', kind: 'size', mutableWhileRunning: true, default: 0, ref: B },
  { name: 'cpu-throttle-initial', kind: 'int', min: 1, max: 99, rangeError: "Parameter 'cpu_throttle_initial' expects an integer in the range of 1 to 99", mutableWhileRunning: true, default: 20, ref: B },
  { name: 'cpu-throttle-increment', kind: 'int', min: 1, max: 99, rangeError: "Parameter 'cpu_throttle_increment' expects an integer in the range of 1 to 99", mutableWhileRunning: true, default: 10, ref: B },
];

const capConflicts: CapConflict[] = [
  { id: 'postcopy-ignore-shared', all: ['postcopy-ram', 'x-ignore-shared'], desc: 'Postcopy is not compatible with ignore-shared', ref: `${MC}: migrate_caps_check` },
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
    destination: ['none', 'active', 'postcopy-active', 'postcopy-paused', 'postcopy-recover', 'completed'],
  },
  capabilities: [
    'xbzrle', 'rdma-pin-all', 'auto-converge', 'zero-blocks', 'compress', 'events', 'postcopy-ram', 'x-colo', 'release-ram',
    'block', 'return-path', 'pause-before-switchover', 'multifd', 'dirty-bitmaps', 'postcopy-blocktime', 'late-block-activate',
    'x-ignore-shared', 'validate-uuid', 'background-snapshot', 'zero-copy-send', 'postcopy-preempt',
  ],
  parameters,
  capConflicts,
  commands: [
    'migrate', 'migrate-incoming', 'migrate-recover', 'migrate_cancel', 'migrate-continue', 'migrate-pause', 'migrate-start-postcopy',
    'migrate-set-capabilities', 'migrate-set-parameters', 'query-migrate', 'query-migrate-capabilities', 'query-migrate-parameters',
    'query-status', 'cont', 'stop',
  ],
  absentCommands: [],
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
  },
  transitions,
  rules,
};
