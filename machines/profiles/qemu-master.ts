// Profile qemu-master: upstream QEMU as its newest readable source reads (migration/migration.c and
// migration/options.c at ef1f7184, QEMU 11.2 development; docs/research/qemu-master.md), written as
// the difference from qemu-7.2. Each change cites the function it comes from.
import type { ProfileDelta, Rule, ChartTransition, ParamCheck, ParamSpec } from '../profile.ts';
import { parameters72, paramChecks72 } from './qemu-7.2.ts';
import type { MigrationStatus } from '../vocabulary.ts';
import { PAUSE_ROWS, configRows, REMOVED_PARAMS_91, addedParams100, keptParams100 } from './qemu-10.0.ts';

const MC = 'migration/migration.c';
const OPT = 'migration/options.c';
const CH = 'migration/channel.c';
const CO = 'migration/colo.c';
const GE = 'GenericError';

/** migration/migration.c: migration_is_running() in master (adds colo, failing and the new postcopy states). */
export const RUNNING_MASTER: readonly MigrationStatus[] = [
  'setup', 'active', 'postcopy-device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover-setup', 'postcopy-recover',
  'pre-switchover', 'device', 'wait-unplug', 'cancelling', 'failing', 'colo',
];
/** migration/migration.c: migration_in_postcopy() */
const IN_POSTCOPY: readonly MigrationStatus[] = ['postcopy-device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover-setup', 'postcopy-recover'];

const uriOrChannels = (command: string): Rule => ({
  id: `${command}.args`, side: 'both', command, when: { check: 'uriMissing' },
  reject: { class: GE, desc: "need either 'uri' or 'channels' argument" }, ref: `${CH}: migration_channel_parse_input`,
});

const replaceRules: Rule[] = [
  { id: 'x-colo-lost-heartbeat.not-colo', side: 'both', command: 'x-colo-lost-heartbeat', when: { notStatus: ['colo'] },
    reject: { class: GE, desc: 'VM is not in COLO mode' }, ref: 'migration/colo.c: qmp_x_colo_lost_heartbeat (get_colo_mode)' },
  uriOrChannels('migrate'),
  uriOrChannels('migrate-incoming'),
  { id: 'migrate.resume', side: 'source', command: 'migrate', when: { args: { resume: { equals: true } }, status: ['postcopy-paused'] },
    accept: { reply: 'empty', status: 'postcopy-recover-setup', effects: ['requestResume'] }, ref: `${MC}: migrate_prepare`,
    note: 'postcopy-paused -> postcopy-recover-setup at once; postcopy-recover once the channel connects' },
  { id: 'migrate.running', side: 'source', command: 'migrate', when: { status: RUNNING_MASTER },
    reject: { class: GE, desc: "There's a migration process in progress" }, ref: `${MC}: migrate_prepare (migration_is_running)` },
  { id: 'migrate-incoming.start', side: 'destination', command: 'migrate-incoming', when: { status: ['none'] },
    accept: { reply: 'empty', status: 'setup', effects: ['listen', 'markIncomingStarted', 'registerYank'] }, alwaysSends: ['setup'],
    ref: `${MC}: qmp_migrate_incoming -> migration_incoming_state_setup; qemu_start_incoming_migration (MIGRATION setup also with events off, for compatibility)`, note: 'none -> setup as soon as it listens, before any source connects' },
  { id: 'migrate_cancel.running', side: 'source', command: 'migrate_cancel', when: { status: RUNNING_MASTER.filter((s) => s !== 'cancelling' && !IN_POSTCOPY.includes(s)) },
    accept: { reply: 'empty', status: 'cancelling', shutsChannel: true }, ref: `${MC}: migration_cancel (CANCELLING: qemu_file_shutdown)` },
  { id: 'migrate.yank-duplicate.completing', side: 'source', command: 'migrate', when: { status: ['completed'], ctx: { yankRegistered: true } },
    accept: { reply: 'empty' }, ref: `${MC}: migrate_prepare -> migrate_init; yank_register_instance(MIGRATION_YANK_INSTANCE, &error_abort)`,
    crash: { afterReply: false, how: 'migration_cleanup has not unregistered the yank instance yet: yank_register_instance fails and &error_abort aborts QEMU' },
    note: 'the window between migration_completion_end (completed) and migration_cleanup: the VM is still in finish-migrate, so migrate_prepare lets it through (docs/findings.md F8)' },
  // As in 10.0 (qmp_migrate_pause, qmp_migrate_set_capabilities, migrate_params_check), with
  // master's list of running statuses.
  ...PAUSE_ROWS,
  ...configRows(RUNNING_MASTER),
];

const addRules: { item: Rule; before?: string; after?: string }[] = [
  { after: 'migrate-incoming.start', item: { id: 'migrate-incoming.illegal-state', side: 'destination', command: 'migrate-incoming',
    reject: { class: GE, desc: 'Illegal migration incoming state: {status}' }, when: { check: 'statusName' }, ref: `${MC}: migration_incoming_state_setup`,
    note: 'reached only after a migrate-incoming whose listener failed to bind (the once flag stays set)' } },
  // migration_is_running() counts colo, so the cancel is taken; the COLO thread then leaves its loop
  // (the sockets are shut down, or s->state != COLO at the next wake-up) and waits in
  // colo_process_checkpoint for colo_exit_event, which only primary_vm_do_failover sets. But
  // x-colo-lost-heartbeat now says "VM is not in COLO mode" (get_colo_mode: state is not COLO), and a
  // failover already requested finds no COLO mode in colo_do_failover: migration_iteration_finish is
  // never reached, no cleanup, the status stays cancelling (docs/findings.md F11).
  { before: 'migrate_cancel.running', item: { id: 'migrate_cancel.colo', side: 'source', command: 'migrate_cancel', when: { status: ['colo'] },
    accept: { reply: 'empty', status: 'cancelling', effects: ['parkThread'], shutsChannel: true }, ref: `${MC}: migration_cancel; ${CO}: colo_process_checkpoint (qemu_event_wait colo_exit_event)`,
    note: 'the COLO thread waits for a failover that can no longer come: no cleanup, the status stays cancelling' } },
  { before: 'migrate_cancel.running', item: { id: 'migrate_cancel.postcopy', side: 'source', command: 'migrate_cancel', when: { status: IN_POSTCOPY },
    reject: { class: GE, desc: 'Postcopy migration in progress, cannot cancel.' }, ref: `${MC}: qmp_migrate_cancel (migration_in_postcopy)` } },
];

// ---- internal transitions ---------------------------------------------------------------------
const replaceTransitions: ChartTransition[] = [
  // postcopy_start -> migration_stop_vm stops the VM (STOP) before migration_switchover_start sets
  // any status: the reverse of 7.2's order.
  { id: 'src.run.postcopy-start', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false } }, effects: ['rememberRunState'],
    ref: `${MC}: postcopy_start -> migration_stop_vm (vm_stop_force_state), then migration_switchover_start`, note: 'STOP, then the status events' },
  // Precopy switchover always passes through `device` (migration_switchover_prepare, QEMU >= 10.0).
  { id: 'src.switchover', chart: 'source-status', from: ['device'], event: 'switchover-done', to: 'completed',
    when: { runstate: ['finish-migrate'], caps: { 'x-colo': false }, ctx: { postcopyStarted: false } }, ref: `${MC}: migration_completion -> migration_completion_end`,
    note: 'the BQL is dropped after the status is set; the yank instance stays registered until migration_cleanup (cleanup-done)' },
  { id: 'src.switchover.colo', chart: 'source-status', from: ['device'], event: 'switchover-done', to: 'colo',
    when: { caps: { 'x-colo': true }, runstate: ['finish-migrate'], ctx: { postcopyStarted: false } }, ref: `${MC}: migration_completion (x-colo)` },
  { id: 'src.postcopy-start', chart: 'source-status', from: ['active'], event: 'postcopy-start', to: 'postcopy-device',
    when: { ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': false }, notRunstate: ['finish-migrate'] }, effects: ['enterPostcopy'], ref: `${MC}: migration_iteration_run (pending above the threshold) -> postcopy_start`,
    note: 'not once converged (migration_completion stopped the VM); active -> device -> postcopy-device inside postcopy_start; postcopy-ram opens the return path, so postcopy-device is not skipped' },
  // With pause-before-switchover: STOP (migration_stop_vm), pre-switchover (src.converged.pause),
  // after migrate-continue device (src.pause-released), then postcopy-device (src.postcopy-device).
  { id: 'src.run.postcopy-start.pause', chart: 'run-state', side: 'source', from: ['running', 'paused', 'prelaunch'], event: 'postcopy-start', to: 'finish-migrate',
    when: { status: ['active'], ctx: { startPostcopy: true }, caps: { 'pause-before-switchover': true } }, effects: ['rememberRunState', 'enterPostcopy'],
    ref: `${MC}: postcopy_start -> migration_stop_vm, then migration_switchover_start -> migration_switchover_prepare`, note: 'STOP, then MIGRATION pre-switchover' },
  { id: 'src.pause-released', chart: 'source-status', from: ['pre-switchover'], event: 'pause-released', to: 'device',
    when: { ctx: { pausePosted: true } }, effects: ['consumePause'], ref: `${MC}: migration_switchover_prepare (qemu_sem_wait pause_sem; PRE_SWITCHOVER -> DEVICE)`,
    note: 'precopy and postcopy alike' },
  { id: 'src.error.precopy', chart: 'source-status', from: ['setup', 'wait-unplug', 'active', 'pre-switchover', 'device', 'postcopy-device'], event: 'channel-error', to: 'failing',
    effects: ['clearMigrationRequests'], ref: `${MC}: migration_detect_error / migration_connect_error_propagate`,
    note: 'failing: the error is recorded, migration_cleanup has not run yet' },
  // No 7.2 moment before the package (src.postcopy-package-error): the status is device then (F13).
  { id: 'src.error.postcopy', chart: 'source-status', from: ['postcopy-active', 'postcopy-recover'], event: 'channel-error', to: 'postcopy-paused',
    ref: `${MC}: migration_detect_error -> postcopy_pause` },
  { id: 'src.resume-connected', chart: 'source-status', from: ['postcopy-recover-setup'], event: 'resume-connected', to: 'postcopy-recover',
    when: { ctx: { resumeRequested: true } }, effects: ['clearMigrationRequests'], ref: `${MC}: migration_start_outgoing` },
  { id: 'src.run.failed.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'running',
    when: { status: ['failing'], ctx: { vmOldState: 'running' } }, ref: `${MC}: migration_iteration_finish -> vm_start` },
  { id: 'src.run.failed.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'paused',
    when: { status: ['failing'], ctx: { vmOldState: 'paused' } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)`,
    note: 'master restores the run state the VM had (7.2 left it in postmigrate)' },
  { id: 'src.run.cancelled.stopped', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'paused',
    when: { status: ['cancelling'], ctx: { vmOldState: 'paused', parked: false } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` },
  // migration_stop_vm records vm_old_state in postcopy_start too, so a cancel after a failed
  // postcopy start restarts the VM like any other (7.2 left it in postmigrate).
  { id: 'src.run.cancelled.restart', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'running',
    when: { status: ['cancelling'], ctx: { vmOldState: 'running', parked: false } }, ref: `${MC}: migration_iteration_finish (runstate_is_live(vm_old_state)) -> vm_start` },
  { id: 'dst.connected', chart: 'destination-status', from: ['setup'], event: 'source-connected', to: 'active',
    ref: `${MC}: process_incoming_migration_co` },
  { id: 'dst.postcopy-listen', chart: 'destination-status', from: ['active'], event: 'postcopy-listen', to: 'postcopy-device',
    when: { caps: { 'postcopy-ram': true } }, ref: 'migration/postcopy-ram.c: postcopy_listen_thread' },
  { id: 'dst.run.postcopy-autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'running', statusFirst: true,
    when: { status: ['postcopy-device'], ctx: { autostart: true } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_run (POSTCOPY_DEVICE -> POSTCOPY_ACTIVE), then loadvm_postcopy_handle_run_bh -> vm_start',
    note: 'MIGRATION postcopy-active, then RESUME (a later bottom half)' },
  { id: 'dst.run.postcopy-paused', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'paused',
    when: { status: ['postcopy-device'], ctx: { autostart: false } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_run_bh -> runstate_set(RUN_STATE_PAUSED)' },
  // COLO: the primary enters COLO from `device` (migration_completion: DEVICE -> COLO).
  { id: 'src.colo.start', chart: 'colo', side: 'source', from: ['none'], event: 'switchover-done', to: 'primary.waiting-ready',
    when: { caps: { 'x-colo': true }, status: ['device'], runstate: ['finish-migrate'] }, ref: `${CO}: migrate_start_colo_process -> colo_process_checkpoint` },
  { id: 'src.failover.init', chart: 'failover', side: 'source', from: ['completed'], event: 'switchover-done', to: 'none',
    when: { caps: { 'x-colo': true }, status: ['device'], runstate: ['finish-migrate'] }, ref: `${CO}: colo_process_checkpoint -> failover_init_state` },
  // x-colo requires return-path here, so the thread runs; migration_completion stops it and COLO
  // keeps the file (the merged colo.c was not readable: see docs/research/colo-and-proposed.md).
  { id: 'src.rp.colo-open', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'switchover-done', to: 'stopped',
    when: { caps: { 'x-colo': true }, status: ['device'], runstate: ['finish-migrate'] }, ref: `${MC}: migration_completion -> stop_return_path_thread_on_source`,
    note: 'the thread is joined; COLO reads the same return-path file' },
  { id: 'src.rp.join', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'switchover-done', to: 'stopped',
    when: { runstate: ['finish-migrate'], caps: { 'x-colo': false }, ctx: { postcopyStarted: false } }, ref: `${MC}: migration_completion -> stop_return_path_thread_on_source` },
  { id: 'src.rp.cleanup', chart: 'return-path', side: 'source', from: ['running', 'shut', 'stopped'], event: 'cleanup-done', to: 'closed',
    when: { status: ['completed', 'cancelling', 'failing'], ctx: { parked: false } }, ref: `${MC}: migration_cleanup -> migration_release_dst_files` },
  { id: 'src.rp.error', chart: 'return-path', side: 'source', from: ['running'], event: 'channel-error', to: 'shut',
    when: { status: ['setup', 'wait-unplug', 'active', 'pre-switchover', 'device', 'postcopy-device'] }, ref: `${MC}: source_return_path_thread (migrate_error_propagate)` },
  { id: 'src.rp.resume', chart: 'return-path', side: 'source', from: ['closed'], event: 'resume-connected', to: 'running',
    when: { ctx: { resumeRequested: true } }, ref: `${MC}: migration_start_outgoing -> open_return_path_on_source (resume)` },
  { id: 'src.rp.failover', chart: 'return-path', side: 'source', from: ['stopped'], event: 'failover-done', to: 'closed',
    when: { failover: ['active'] }, ref: `${MC}: migration_cleanup -> migration_release_dst_files`, note: 'COLO ran on the file the stopped return-path thread left open' },
  { id: 'src.rp.open', chart: 'return-path', side: 'source', from: ['closed'], event: 'setup-done', to: 'running',
    when: { status: ['setup', 'wait-unplug'], anyOf: [{ caps: { 'postcopy-ram': true } }, { caps: { 'return-path': true } }] },
    ref: `${MC}: migration_start_outgoing -> open_return_path_on_source`, note: 'only with postcopy-ram or return-path' },
  // The destination decides on COLO by its own x-colo capability (MIG_CMD_ENABLE_COLO is gone).
  { id: 'dst.colo-enable', chart: 'colo', side: 'destination', from: ['none'], event: 'source-connected', to: 'none',
    when: { caps: { 'x-colo': true } }, effects: ['enableColo'], ref: `${MC}: process_incoming_migration_co (migrate_colo)`,
    note: 'x-colo must be set on the incoming side (since 8.1; MIG_CMD_ENABLE_COLO was removed in 10.2)' },
];

const addTransitions: { item: ChartTransition; before?: string; after?: string }[] = [
  { after: 'src.setup-done', item: { id: 'src.converged.device', chart: 'source-status', from: ['active'], event: 'switchover-start', to: 'device',
    when: { caps: { 'pause-before-switchover': false }, runstate: ['finish-migrate'] }, ref: `${MC}: migration_switchover_prepare` } },
  { after: 'src.postcopy-start', item: { id: 'src.postcopy-device-done', chart: 'source-status', from: ['postcopy-device'], event: 'postcopy-device-done', to: 'postcopy-active',
    ref: `${MC}: migration_iteration_run (PONG QEMU_VM_PING_PACKAGED_LOADED)` } },
  // The rest of a postcopy_start that paused before switchover: the package went out.
  { after: 'src.postcopy-start', item: { id: 'src.postcopy-device', chart: 'source-status', from: ['device'], event: 'postcopy-stop', to: 'postcopy-device',
    when: { runstate: ['finish-migrate'], ctx: { postcopyStarted: true } }, ref: `${MC}: postcopy_start (qemu_savevm_send_packaged; DEVICE -> POSTCOPY_DEVICE)` } },
  // vm_old_state prelaunch (a -S source that never ran): runstate_set(vm_old_state) puts it back.
  { after: 'src.run.cancelled.restart', item: { id: 'src.run.failed.prelaunch', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'prelaunch',
    when: { status: ['failing'], ctx: { vmOldState: 'prelaunch' } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` } },
  { after: 'src.run.failed.prelaunch', item: { id: 'src.run.cancelled.prelaunch', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'prelaunch',
    when: { status: ['cancelling'], ctx: { vmOldState: 'prelaunch', parked: false } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` } },
  // A failover requested before migrate_cancel in colo (migrate_cancel.colo).
  { after: 'src.failover.bh', item: { id: 'src.failover.bh.no-mode', chart: 'failover', side: 'source', from: ['require'], event: 'failover-bh', to: 'active',
    when: { notStatus: ['colo'] }, ref: `${CO}: colo_do_failover (last_colo_mode = get_colo_mode() = none: "colo_do_failover failed because the colo mode could not be obtained")`,
    note: 'the status left colo after the request: primary_vm_do_failover never runs, nobody completes this failover' } },
  { after: 'src.error.precopy', item: { id: 'src.failed', chart: 'source-status', from: ['failing'], event: 'cleanup-done', to: 'failed', effects: ['unregisterYank'], ref: `${MC}: migration_cleanup` } },
  { after: 'src.error.postcopy', item: { id: 'src.recover-setup-error', chart: 'source-status', from: ['postcopy-recover-setup'], event: 'channel-error', to: 'postcopy-paused',
    effects: ['clearMigrationRequests'], ref: `${MC}: migration_connect_error_propagate` } },
  { after: 'dst.load-done', item: { id: 'dst.error.precopy', chart: 'destination-status', from: ['setup', 'active'], event: 'channel-error', to: 'failed',
    when: { ctx: { exitOnError: false } }, effects: ['unregisterYank'], ref: `${MC}: process_incoming_migration_co`,
    note: 'with exit-on-error (the default) QEMU exits instead, and nothing more is observed' } },
  { after: 'dst.rp.close', item: { id: 'dst.rp.error.precopy', chart: 'return-path', side: 'destination', from: ['open'], event: 'channel-error', to: 'closed',
    when: { status: ['setup', 'active'], ctx: { exitOnError: false } },
    ref: `${MC}: process_incoming_migration_co (fail: migration_incoming_state_destroy -> migrate_send_rp_shut, qemu_fclose(to_src_file))`,
    note: 'the failed load is cleaned up at once; with exit-on-error the process exits anyway' } },
  { after: 'dst.postcopy-listen', item: { id: 'dst.postcopy-run', chart: 'destination-status', from: ['postcopy-device'], event: 'postcopy-run', to: 'postcopy-active',
    ref: 'migration/savevm.c: loadvm_postcopy_handle_run' } },
];

// Parameters as master's qapi/migration.json (MigrationParameters, which migrate-set-parameters
// takes since the two structs were merged) and migration/options.c (ef1f7184: migration_properties,
// migrate_mark_all_params_present, migrate_params_check) read: 10.0's, plus cpr-exec-command
// (['str'], 10.2) and x-rdma-chunk-size (uint64, default 1 MiB; its place in the schema is not in
// the indexed copy: taken as the last member), and mode gains cpr-exec (10.2). Enums without
// their build conditions (qatzip/qpl/uadk compression are CONFIG_ options, left out as in 10.0).
const QJM = 'qapi/migration.json: MigrationParameters';
const SM = (name: string, type: ParamSpec['type'], dflt: ParamSpec['default'], mutableWhileRunning = true, extra: Partial<ParamSpec> = {}): ParamSpec => ({
  name, type, default: dflt, mutableWhileRunning, ref: `${QJM} (${type}); ${OPT}: migration_properties`, ...extra,
});
const masterParams = {
  remove: REMOVED_PARAMS_91,
  replace: keptParams100(parameters72).map((x) => ({ ...x, ref: x.ref.replace('MigrateSetParameters', 'MigrationParameters') })),
  add: [
    ...addedParams100.map(({ item, after }) => ({
      after,
      item: { ...item, ref: item.ref.replace('MigrateSetParameters', 'MigrationParameters'), ...(item.name === 'mode' ? { values: ['normal', 'cpr-reboot', 'cpr-transfer', 'cpr-exec'] } : {}) },
    })),
    // Always reported: migrate_mark_all_params_present; an unset list reads as [].
    { after: 'direct-io', item: SM('cpr-exec-command', 'str-list', [], false) },
    { after: 'cpr-exec-command', item: SM('x-rdma-chunk-size', 'uint64', 1048576, false) },
  ],
};

// migrate_params_check (master): every test runs over the whole copy, and speaks of "Option".
const P = `${OPT}: migrate_params_check`;
const opt = (param: string, text: string) => `Option ${param} expects ${text}`;
const masterChecks: ParamCheck[] = [
  { id: 'throttle-trigger-threshold', kind: 'range', param: 'throttle-trigger-threshold', min: 1, max: 100, desc: opt('throttle-trigger-threshold', 'an integer in the range of 1 to 100'), ref: P },
  { id: 'cpu-throttle-initial', kind: 'range', param: 'cpu-throttle-initial', min: 1, max: 99, desc: opt('cpu-throttle-initial', 'an integer in the range of 1 to 99'), ref: P },
  { id: 'cpu-throttle-increment', kind: 'range', param: 'cpu-throttle-increment', min: 1, max: 99, desc: opt('cpu-throttle-increment', 'an integer in the range of 1 to 99'), ref: P },
  // max-bandwidth / avail-switchover-bandwidth > SIZE_MAX cannot fail on a 64-bit host.
  { id: 'downtime-limit', kind: 'range', param: 'downtime-limit', max: 2000000, desc: opt('downtime-limit', 'an integer in the range of 0 to (2000 * 1000) ms'), ref: P },
  { id: 'multifd-channels', kind: 'range', param: 'multifd-channels', min: 1, desc: opt('multifd-channels', 'a value between 1 and 255'), ref: P },
  { id: 'multifd-zlib-level', kind: 'range', param: 'multifd-zlib-level', max: 9, desc: opt('multifd-zlib-level', 'a value between 0 and 9'), ref: P },
  { id: 'multifd-qatzip-level', kind: 'range', param: 'multifd-qatzip-level', min: 1, max: 9, desc: opt('multifd-qatzip-level', 'a value between 1 and 9'), ref: P },
  { id: 'multifd-zstd-level', kind: 'range', param: 'multifd-zstd-level', max: 20, desc: opt('multifd-zstd-level', 'a value between 0 and 20'), ref: P },
  { id: 'xbzrle-cache-size', kind: 'power-of-two', param: 'xbzrle-cache-size', min: 4096, desc: opt('xbzrle-cache-size', 'a power of two no less than the target page size'), ref: P },
  { id: 'max-cpu-throttle', kind: 'range', param: 'max-cpu-throttle', min: { param: 'cpu-throttle-initial' }, max: 99, desc: opt('max-cpu-throttle', 'an integer in the range of cpu-throttle-initial to 99'), ref: P },
  { id: 'announce-initial', kind: 'range', param: 'announce-initial', max: 100000, desc: opt('announce-initial', 'a value between 0 and 100000'), ref: P },
  { id: 'announce-max', kind: 'range', param: 'announce-max', max: 100000, desc: opt('announce-max', 'a value between 0 and 100000'), ref: P },
  { id: 'announce-rounds', kind: 'range', param: 'announce-rounds', max: 1000, desc: opt('announce-rounds', 'a value between 0 and 1000'), ref: P },
  { id: 'announce-step', kind: 'range', param: 'announce-step', min: 1, max: 10000, desc: opt('announce-step', 'a value between 0 and 10000'), ref: P },
  { id: 'block-bitmap-mapping', kind: 'alias-map', param: 'block-bitmap-mapping', desc: 'Invalid mapping given for block-bitmap-mapping: ', ref: `${P} -> migration/block-dirty-bitmap.c: check_dirty_bitmap_mig_alias_map` },
  { id: 'zero-copy', kind: 'conflict', caps: ['zero-copy-send'], differs: { 'multifd-compression': 'none', 'tls-creds': '' }, reads: 'new', desc: 'Zero copy only available for non-compressed non-TLS multifd migration', ref: P },
  { id: 'mapped-ram', kind: 'conflict', caps: ['mapped-ram'], differs: { 'multifd-compression': 'none', 'tls-creds': '' }, reads: 'current', desc: 'Mapped-ram only available for non-compressed non-TLS multifd migration', ref: `${P} (migrate_multifd_compression, migrate_tls: the stored values)` },
  { id: 'x-vcpu-dirty-limit-period', kind: 'range', param: 'x-vcpu-dirty-limit-period', min: 1, max: 1000, desc: opt('x-vcpu-dirty-limit-period', 'a value between 1 and 1000'), ref: P },
  { id: 'vcpu-dirty-limit', kind: 'range', param: 'vcpu-dirty-limit', min: 1, desc: "Parameter 'vcpu-dirty-limit' must be greater than 1 MB/s", ref: P },
  // direct-io without qemu_has_direct_io() cannot fail on Linux.
  { id: 'x-rdma-chunk-size', kind: 'power-of-two', param: 'x-rdma-chunk-size', min: 1048576, max: 1073741824, desc: 'Option x_rdma_chunk_size expects a power of 2 in the range 1MiB to 1024MiB', ref: P },
];


export const qemuMasterDelta: ProfileDelta = {
  name: 'qemu-master',
  title: 'QEMU master (upstream, 11.2 development)',
  qemuVersion: '11.2-dev',
  description: 'Upstream QEMU as its newest readable source reads: failing, postcopy-device, postcopy-recover-setup; incoming setup status; postcopy cancel refused.',
  base: 'qemu-7.2',
  statuses: {
    source: { add: ['postcopy-device', 'postcopy-recover-setup', 'failing'] },
    destination: { add: ['setup', 'postcopy-device', 'failed'] },
  },
  // qapi/migration.json: zero-blocks, compress and block were removed; switchover-ack,
  // dirty-limit (8.1) and mapped-ram (9.0) were added.
  capabilities: { remove: ['zero-blocks', 'compress', 'block'], add: ['switchover-ack', 'dirty-limit', 'mapped-ram'] },
  parameters: masterParams,
  // Master's tests replace 7.2's (other order, other messages).
  paramChecks: { remove: paramChecks72.map((c) => c.id), add: masterChecks.map((item) => ({ item })) },
  // qapi/migration.json: migrate lost blk/inc/detach and gained channels; migrate-incoming gained
  // channels and exit-on-error (9.1).
  commandArgs: { migrate: ['uri', 'channels', 'resume'], 'migrate-incoming': ['uri', 'channels', 'exit-on-error'] },
  capConflicts: {
    remove: ['preempt-compress', 'multifd-compress'],
    add: [
      { before: 'postcopy-ignore-shared', item: { id: 'colo-needs-return-path', all: ['x-colo'], unless: ['return-path'], desc: "Capability 'x-colo' requires capability 'return-path'", ref: `${OPT}: migrate_caps_check` } },
      { item: { id: 'preempt-late', all: ['postcopy-preempt'], newlyWhileIncoming: true, desc: 'Postcopy preempt must be set before incoming starts', ref: `${OPT}: migrate_caps_check` } },
      { item: { id: 'multifd-late', all: ['multifd'], newlyWhileIncoming: true, desc: 'Multifd must be set before incoming starts', ref: `${OPT}: migrate_caps_check` } },
      { item: { id: 'switchover-ack-needs-return-path', all: ['switchover-ack'], unless: ['return-path'], desc: "Capability 'switchover-ack' requires capability 'return-path'", ref: `${OPT}: migrate_caps_check` } },
      { item: { id: 'dirty-limit-auto-converge', all: ['dirty-limit', 'auto-converge'], desc: 'dirty-limit conflicts with auto-converge either of then available currently', ref: `${OPT}: migrate_caps_check` } },
      { item: { id: 'multifd-xbzrle', all: ['multifd', 'xbzrle'], desc: 'Multifd is not compatible with xbzrle', ref: `${OPT}: migrate_caps_check` } },
      { item: { id: 'mapped-ram-xbzrle', all: ['mapped-ram', 'xbzrle'], desc: 'Mapped-ram migration is incompatible with xbzrle', ref: `${OPT}: migrate_caps_check` } },
    ],
  },
  // qmp_migrate_cancel refuses postcopy (migration_in_postcopy), so 7.2's parked cancel never happens.
  // 7.2's pre-switchover cancel race (migrate_cancel.pre-switchover, src.cancel-set) is modelled for 7.2 only so far.
  rules: { replace: replaceRules, add: addRules, remove: ['migrate_cancel.postcopy-paused', 'migrate_cancel.pre-switchover'] },
  // 7.2's src.error.completion (failed before migration_iteration_finish): master goes through failing.
  // 7.2's src.resume-refused: master's migrate resume is in postcopy-recover-setup when its connect
  // fails (src.recover-setup-error, migration_connect_error_propagate).
  transitions: { remove: ['src.error.completion', 'src.resume-refused', 'src.cancel-set', 'src.rp.cancel', 'src.pause-released.postcopy', 'src.postcopy-package', 'src.postcopy-package-error'], replace: replaceTransitions, add: addTransitions },
  // qmp_migrate_set_capabilities refuses on a COLO primary (QEMU >= 8.0: migration_in_colo_state).
  invariants: { claim: ['source-caps-frozen-in-colo'] },
};
