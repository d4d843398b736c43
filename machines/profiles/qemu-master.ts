// Profile qemu-master: upstream QEMU as its newest readable source reads (migration/migration.c and
// migration/options.c at ef1f7184, QEMU 11.2 development; docs/research/qemu-master.md), written as
// the difference from qemu-10.0: the chain is qemu-7.2 -> qemu-10.0 -> qemu-master -> proposed.
// Each change cites the function it comes from; a row that reads as 10.0's is not repeated here.
import type { ProfileDelta, Rule, ChartTransition, ParamCheck, ParamSpec } from '../profile.ts';
import { parameters72, qemu72 } from './qemu-7.2.ts';
import type { MigrationStatus } from '../vocabulary.ts';
import { configRows, addedParams100, keptParams100 } from './qemu-10.0.ts';

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
  id: `${command}.args`, side: 'both', command, when: { check: 'uriNotExactlyOne' },
  reject: { class: GE, desc: "need either 'uri' or 'channels' argument" }, ref: `${CH}: migration_channel_parse_input`,
});

/** A row of qemu-7.2 that 10.0 changed or removed and master has as 7.2 had it. */
const rule72 = (id: string): Rule => {
  const r = qemu72.rules.find((x) => x.id === id);
  if (!r) throw new Error(`qemu-master: no qemu-7.2 rule '${id}'`);
  return r;
};
const transition72 = (id: string): ChartTransition => {
  const t = qemu72.transitions.find((x) => x.id === id);
  if (!t) throw new Error(`qemu-master: no qemu-7.2 transition '${id}'`);
  return t;
};

const replaceRules: Rule[] = [
  { id: 'x-colo-lost-heartbeat.not-colo', side: 'both', command: 'x-colo-lost-heartbeat', when: { notStatus: ['colo'] },
    reject: { class: GE, desc: 'VM is not in COLO mode' }, ref: 'migration/colo.c: qmp_x_colo_lost_heartbeat (get_colo_mode)' },
  // master's primary enters COLO again (src.switchover.colo), so both sides may request a failover.
  rule72('x-colo-lost-heartbeat.active'),
  rule72('x-colo-lost-heartbeat.request'),
  uriOrChannels('migrate'),
  { id: 'migrate.resume', side: 'source', command: 'migrate', when: { args: { resume: { equals: true } }, status: ['postcopy-paused'] },
    accept: { reply: 'empty', status: 'postcopy-recover-setup', effects: ['requestResume', 'takeFd'] }, ref: `${MC}: migrate_prepare`,
    note: 'postcopy-paused -> postcopy-recover-setup at once; postcopy-recover once the channel connects' },
  { id: 'migrate.running', side: 'source', command: 'migrate', when: { status: RUNNING_MASTER },
    reject: { class: GE, desc: "There's a migration process in progress" }, ref: `${MC}: migrate_prepare (migration_is_running)` },
  { id: 'migrate.yank-duplicate.completing', side: 'source', command: 'migrate', when: { status: ['completed'], ctx: { yankRegistered: true } },
    accept: { reply: 'empty' }, ref: `${MC}: migrate_prepare -> migrate_init; yank_register_instance(MIGRATION_YANK_INSTANCE, &error_abort)`,
    crash: { afterReply: false, how: 'migration_cleanup has not unregistered the yank instance yet: yank_register_instance fails and &error_abort aborts QEMU' },
    note: 'the window between migration_completion_end (completed) and migration_cleanup: the VM is still in finish-migrate, so migrate_prepare lets it through (docs/findings.md F8)' },
  // A destination whose incoming migration holds the yank instance: migration_is_running() reads
  // the outgoing state only, and the run state is no longer inmigrate, so migrate_prepare gets to
  // migrate_init (setup) and then aborts on the registration (10.0 answered the error).
  { id: 'migrate.yank-duplicate.dst', side: 'destination', command: 'migrate', when: { status: ['postcopy-device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover', 'colo'] },
    accept: { reply: 'empty' }, ref: `${MC}: migrate_prepare -> migrate_init; yank_register_instance(MIGRATION_YANK_INSTANCE, &error_abort)`,
    crash: { afterReply: false, how: 'the incoming migration holds the migration yank instance until migration_incoming_state_destroy: yank_register_instance fails and &error_abort aborts QEMU' },
    note: 'read from the source (commit "migration: yank: Move register instance earlier"), not run' },
  { id: 'migrate_cancel.postcopy', side: 'source', command: 'migrate_cancel', when: { status: IN_POSTCOPY },
    reject: { class: GE, desc: 'Postcopy migration in progress, cannot cancel.' }, ref: `${MC}: qmp_migrate_cancel (migration_in_postcopy)` },
  { id: 'migrate_cancel.running', side: 'source', command: 'migrate_cancel', when: { status: RUNNING_MASTER.filter((s) => s !== 'cancelling' && !IN_POSTCOPY.includes(s)) },
    accept: { reply: 'empty', status: 'cancelling', shutsChannel: true }, ref: `${MC}: migration_cancel (CANCELLING: qemu_file_shutdown)` },
  // As in 10.0 (qmp_migrate_set_capabilities), with master's list of running statuses.
  ...configRows(RUNNING_MASTER).filter((r) => r.id === 'migrate-set-capabilities.running'),
];

const addRules: { item: Rule; before?: string; after?: string }[] = [
  // migration_is_running() counts colo, so the cancel is taken; the COLO thread then leaves its loop
  // (the sockets are shut down, or s->state != COLO at the next wake-up) and waits in
  // colo_process_checkpoint for colo_exit_event, which only primary_vm_do_failover sets. But
  // x-colo-lost-heartbeat now says "VM is not in COLO mode" (get_colo_mode: state is not COLO), and a
  // failover already requested finds no COLO mode in colo_do_failover: migration_iteration_finish is
  // never reached, no cleanup, the status stays cancelling (docs/findings.md F11).
  { before: 'migrate_cancel.postcopy', item: { id: 'migrate_cancel.colo', side: 'source', command: 'migrate_cancel', when: { status: ['colo'] },
    accept: { reply: 'empty', status: 'cancelling', effects: ['parkThread'], shutsChannel: true }, ref: `${MC}: migration_cancel; ${CO}: colo_process_checkpoint (qemu_event_wait colo_exit_event)`,
    note: 'the COLO thread waits for a failover that can no longer come: no cleanup, the status stays cancelling' } },
];
/** 10.0's rows that master has not. */
const removeRules = [
  // Master aborts in either events mode (migrate.yank-duplicate.*), and only in completed: failed and
  // cancelled are set in migration_cleanup together with the yank unregistration.
  'migrate.yank-duplicate.completing.quiet', 'migrate.yank-duplicate.dst.quiet',
  // migration_cancel has no setup shortcut: setup -> cancelling (migrate_cancel.running), then
  // migration_cleanup sets cancelled and unregisters the yank instance at once.
  'migrate_cancel.setup', 'migrate_cancel.setup.quiet',
];

// ---- internal transitions ---------------------------------------------------------------------
/** Master's own transitions (each replaces 10.0's row of the same id, or is added: see the delta). */
const ownTransitions: ChartTransition[] = [
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
  // Not from wait-unplug: qemu_savevm_wait_unplug waits on the unplug alone and looks at no error;
  // the thread finds a broken stream once active (pair.ts error-detected).
  { id: 'src.error.precopy', chart: 'source-status', from: ['setup', 'active', 'pre-switchover', 'device', 'postcopy-device'], event: 'channel-error', to: 'failing',
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
  { id: 'src.run.failed.restart.suspended', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'suspended',
    when: { status: ['failing'], ctx: { vmOldState: 'suspended' } }, effects: ['clearSuspended'],
    ref: `${MC}: migration_iteration_finish -> vm_start -> system/cpus.c: vm_prepare_start (vm_was_suspended)` },
  // The package (with the globalstate section) is loaded in postcopy-device.
  { id: 'dst.globalstate-suspended.postcopy', chart: 'destination-status', from: ['postcopy-device'], event: 'globalstate-suspended', to: 'postcopy-device',
    effects: ['globalStateSuspended'], ref: 'migration/savevm.c: loadvm_handle_cmd_packaged -> migration/global_state.c: global_state_post_load' },
  { id: 'dst.run.postcopy-autostart.suspended', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'suspended', statusFirst: true,
    when: { status: ['postcopy-device'], ctx: { autostart: true, wasSuspended: true } }, effects: ['clearSuspended'],
    ref: 'migration/savevm.c: loadvm_postcopy_handle_run_bh -> vm_start -> system/cpus.c: vm_prepare_start (vm_was_suspended: RUN_STATE_SUSPENDED)' },
  { id: 'dst.run.postcopy-autostart', chart: 'run-state', side: 'destination', from: ['inmigrate'], event: 'postcopy-run', to: 'running', statusFirst: true,
    when: { status: ['postcopy-device'], ctx: { autostart: true, wasSuspended: false } }, ref: 'migration/savevm.c: loadvm_postcopy_handle_run (POSTCOPY_DEVICE -> POSTCOPY_ACTIVE), then loadvm_postcopy_handle_run_bh -> vm_start',
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

const ownTransitionsMore: ChartTransition[] = [
  // The postcopy listen thread fails before the destination runs (postcopy-device): failed, the
  // incoming state destroyed, and QEMU exits only with exit-on-error (inclusion.ts
  // loadFailureExits); 10.0 exited whatever it said (docs/findings.md F14).
  { id: 'dst.error.postcopy-device', chart: 'destination-status', from: ['postcopy-device'], event: 'channel-error', to: 'failed',
    when: { ctx: { exitOnError: false } }, effects: ['unregisterYank'],
    ref: 'migration/postcopy-ram.c: postcopy_listen_thread (migrate_set_state FAILED) -> postcopy_incoming_complete_bh (migration_incoming_state_destroy; exit only with exit_on_error)' },
  { id: 'dst.rp.error.postcopy-device', chart: 'return-path', side: 'destination', from: ['open'], event: 'channel-error', to: 'closed',
    when: { status: ['postcopy-device'], ctx: { exitOnError: false } },
    ref: 'migration/postcopy-ram.c: postcopy_incoming_complete_bh -> migration_incoming_state_destroy (migrate_send_rp_shut, qemu_fclose(to_src_file))' },
  { id: 'src.converged.device', chart: 'source-status', from: ['active'], event: 'switchover-start', to: 'device',
    when: { caps: { 'pause-before-switchover': false }, runstate: ['finish-migrate'] }, ref: `${MC}: migration_switchover_prepare` },
  { id: 'src.postcopy-device-done', chart: 'source-status', from: ['postcopy-device'], event: 'postcopy-device-done', to: 'postcopy-active',
    ref: `${MC}: migration_iteration_run (PONG QEMU_VM_PING_PACKAGED_LOADED)` },
  // The rest of a postcopy_start that paused before switchover: the package went out.
  { id: 'src.postcopy-device', chart: 'source-status', from: ['device'], event: 'postcopy-stop', to: 'postcopy-device',
    when: { runstate: ['finish-migrate'], ctx: { postcopyStarted: true } }, ref: `${MC}: postcopy_start (qemu_savevm_send_packaged; DEVICE -> POSTCOPY_DEVICE)` },
  // vm_old_state prelaunch (a -S source that never ran): runstate_set(vm_old_state) puts it back.
  { id: 'src.run.failed.prelaunch', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'prelaunch',
    when: { status: ['failing'], ctx: { vmOldState: 'prelaunch' } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` },
  { id: 'src.run.cancelled.prelaunch', chart: 'run-state', side: 'source', from: ['finish-migrate'], event: 'cleanup-done', to: 'prelaunch',
    when: { status: ['cancelling'], ctx: { vmOldState: 'prelaunch', parked: false } }, ref: `${MC}: migration_iteration_finish -> runstate_set(vm_old_state)` },
  // A failover requested before migrate_cancel in colo (migrate_cancel.colo).
  { id: 'src.failover.bh.no-mode', chart: 'failover', side: 'source', from: ['require'], event: 'failover-bh', to: 'active',
    when: { notStatus: ['colo'] }, ref: `${CO}: colo_do_failover (last_colo_mode = get_colo_mode() = none: "colo_do_failover failed because the colo mode could not be obtained")`,
    note: 'the status left colo after the request: primary_vm_do_failover never runs, nobody completes this failover' },
  { id: 'src.failed', chart: 'source-status', from: ['failing'], event: 'cleanup-done', to: 'failed', effects: ['unregisterYank'], ref: `${MC}: migration_cleanup` },
  { id: 'src.recover-setup-error', chart: 'source-status', from: ['postcopy-recover-setup'], event: 'channel-error', to: 'postcopy-paused',
    effects: ['clearMigrationRequests'], ref: `${MC}: migration_connect_error_propagate` },
  { id: 'dst.postcopy-run', chart: 'destination-status', from: ['postcopy-device'], event: 'postcopy-run', to: 'postcopy-active',
    ref: 'migration/savevm.c: loadvm_postcopy_handle_run' },
];

const own = new Map([...ownTransitions, ...ownTransitionsMore].map((t) => [t.id, t]));
/** Master's row, or 7.2's where master has it as 7.2 had it (10.0 changed or removed it). */
const mt = (id: string): ChartTransition => own.get(id) ?? transition72(id);
/** Rows added one after the other, the first after `anchor` (master keeps 7.2's order). */
const after = (anchor: string, ...ids: string[]) => ids.map((id, i) => ({ after: i ? ids[i - 1] : anchor, item: mt(id) }));

const transitionsDelta = {
  // 10.0's rows master has not: dst.colo.vm-start (master's secondary waits for its primary),
  // src.postcopy-active (master: postcopy-device, src.postcopy-device),
  // src.error.completion and src.postcopy-start-error (master goes through failing),
  // src.cancelled.connect-done (no setup cancel shortcut), src.rp.cancel.
  remove: ['dst.colo.vm-start', 'src.postcopy-active', 'src.error.completion', 'src.postcopy-start-error', 'src.cancelled.connect-done', 'src.rp.cancel'],
  replace: [
    'src.converged.device', 'src.converged.pause', 'src.pause-released', 'src.switchover', 'src.postcopy-start', 'src.error.precopy',
    'src.recover-setup-error', 'src.resume-connected', 'src.run.postcopy-start', 'src.run.postcopy-start.pause', 'src.run.failed.restart',
    'src.run.failed.stopped', 'src.run.failed.prelaunch', 'dst.connected', 'dst.postcopy-listen',
    'dst.run.postcopy-autostart', 'dst.run.postcopy-autostart.suspended', 'dst.globalstate-suspended.postcopy', 'src.run.failed.restart.suspended', 'dst.run.postcopy-paused', 'dst.colo-enable', 'dst.colo.start', 'dst.run.colo-start',
    'dst.run.failover-start', 'src.rp.open', 'src.rp.error', 'src.rp.join', 'src.rp.join.postcopy', 'src.rp.cleanup',
  ].map(mt),
  add: [
    ...after('src.pause-released', 'src.switchover.colo'),
    ...after('src.postcopy-start', 'src.postcopy-device', 'src.postcopy-device-done'),
    ...after('src.error.precopy', 'src.failed'),
    ...after('dst.postcopy-listen', 'dst.postcopy-run', 'dst.error.postcopy-device'),
    ...after('dst.rp.error.precopy', 'dst.rp.error.postcopy-device'),
    // The COLO primary and the secondary's checkpoints, which 10.0 never reaches (its primary never
    // enters COLO), at their 7.2 places.
    ...after('dst.run.postcopy-paused', 'src.colo.start', 'src.failover.init', 'src.colo.ready', 'src.run.colo-start', 'src.rp.colo-open'),
    ...after('dst.rp.colo-open', 'dst.colo.ready'),
    ...after('dst.run.colo-start', 'src.colo.request', 'src.colo.reply', 'src.run.checkpoint-stop', 'src.colo.vmstate-send', 'src.colo.vmstate-size',
      'src.colo.vmstate-received', 'src.colo.vmstate-loaded', 'src.run.checkpoint-start', 'dst.colo.request', 'dst.run.checkpoint-stop', 'dst.colo.reply',
      'dst.colo.vmstate-send', 'dst.colo.vmstate-size', 'dst.colo.vmstate-received', 'dst.colo.vmstate-loaded', 'dst.run.checkpoint-start', 'src.colo.error'),
    ...after('dst.colo.error', 'src.failover.bh', 'src.failover.bh.no-mode'),
    ...after('dst.failover.bh', 'src.run.failover-stop'),
    ...after('dst.run.failover-stop', 'src.failover.done', 'src.status.failover', 'src.colo.failover', 'src.run.failover-start', 'src.rp.failover',
      'dst.failover.relaunch', 'dst.failover.retry', 'dst.colo.relaunch-loaded', 'dst.run.relaunch-start'),
  ],
};

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
  // 10.0's parameters, citing the merged struct; mode gains cpr-exec.
  replace: [...keptParams100(parameters72), ...addedParams100.map((x) => x.item)].map((x) => ({
    ...x, ref: x.ref.replace('MigrateSetParameters', 'MigrationParameters'), ...(x.name === 'mode' ? { values: ['normal', 'cpr-reboot', 'cpr-transfer', 'cpr-exec'] } : {}),
  })),
  add: [
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
  description: "Upstream QEMU as its newest readable source reads, as it differs from 10.0: failing, postcopy-device, the COLO primary back (from device), x-colo requiring return-path, postcopy with multifd, zero-blocks gone.",
  base: 'qemu-10.0',
  statuses: {
    source: { add: ['postcopy-device', 'failing', 'colo'] },
    destination: { add: ['postcopy-device'] },
  },
  // qapi/migration.json: zero-blocks was removed (10.0 still had it, deprecated).
  capabilities: { remove: ['zero-blocks'] },
  parameters: masterParams,
  // Master's tests speak of "Option <name>" (every message differs from 10.0's) and add x-rdma-chunk-size.
  paramChecks: {
    replace: masterChecks.filter((c) => c.id !== 'x-rdma-chunk-size'),
    add: masterChecks.filter((c) => c.id === 'x-rdma-chunk-size').map((item) => ({ item })),
  },
  // qapi/migration.json: migrate lost detach.
  commandArgs: { migrate: ['uri', 'channels', 'resume'] },
  // migrate_caps_check as 10.0 has it (zero-copy refusing xbzrle, dirty-limit needing KVM's dirty
  // ring, and migrate_incoming_started() reading the incoming transport for the "must be set before
  // incoming starts" tests), but: x-colo requires return-path (CONFIG_REPLICATION), postcopy may
  // go with multifd (the multifd + postcopy series), and mapped-ram with postcopy-ram is the fast
  // snapshot load, refused only with multifd or postcopy-preempt (or vhost-user's postcopy
  // notifiers, which no VM here has).
  capConflicts: {
    remove: ['postcopy-multifd', 'mapped-ram-postcopy'],
    add: [
      { before: 'postcopy-ignore-shared', item: { id: 'colo-needs-return-path', all: ['x-colo'], unless: ['return-path'], desc: "Capability 'x-colo' requires capability 'return-path'", ref: `${OPT}: migrate_caps_check` } },
      { after: 'mapped-ram-xbzrle', item: { id: 'fast-snapshot-load-multifd', all: ['mapped-ram', 'postcopy-ram', 'multifd'], desc: 'Multifd is not supported with fast snapshot load', ref: `${OPT}: migrate_caps_check` } },
      { after: 'fast-snapshot-load-multifd', item: { id: 'fast-snapshot-load-preempt', all: ['mapped-ram', 'postcopy-ram', 'postcopy-preempt'], desc: 'Postcopy Preempt is incompatible with fast snapshot load', ref: `${OPT}: migrate_caps_check` } },
    ],
  },
  rules: { remove: removeRules, replace: replaceRules, add: addRules },
  transitions: transitionsDelta,
  invariants: { knownViolations: { fixed: ['yank-iff-migration'] } },
};
