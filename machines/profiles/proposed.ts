// Profile proposed: the stricter design discussed on qemu-devel (shared/reference 000), written as
// the difference from qemu-master. (a) The "running" check covers the incoming side too, and it is
// expressed as a list of operations blocked from `migrate`, `migrate-incoming` or `-incoming URI`
// on until the migration ends, instead of a status test.
import type { ProfileDelta, Rule } from '../profile.ts';

const MC = 'migration/migration.c';
const OPT = 'migration/options.c';
const GE = 'GenericError';
const THREAD = 'thread 000 (Thread-ify precopy vmstate load)';
const P19 = 'series 003 patch 19: Always open s->rp_state.from_dst_file on the source';

const blockedRules = (): { item: Rule; before: string }[] => [
  { before: 'migrate-set-capabilities.running', item: { id: 'migrate-set-capabilities.blocked', side: 'both', command: 'migrate-set-capabilities',
    when: { blocked: 'migrate-set-capabilities' }, reject: { class: GE, desc: "There's a migration process in progress" },
    ref: `${OPT}: qmp_migrate_set_capabilities (migration_is_running covering the incoming side; ${THREAD})`,
    note: 'blocked from migrate / migrate-incoming / -incoming URI on, on both sides' } },
  { before: 'migrate-set-parameters.set', item: { id: 'migrate-set-parameters.blocked', side: 'both', command: 'migrate-set-parameters',
    when: { blocked: 'migrate-set-parameters', check: 'paramsFrozenWhileRunning' },
    reject: { class: GE, desc: "Parameter '{param}' cannot be changed while a migration is in progress" },
    ref: `${OPT}: qmp_migrate_set_parameters (${THREAD})`, note: 'only the parameters that cannot change while migration runs' } },
];

/** Transitions after which a migration has ended on that side: the blocks are lifted. */
const ENDS = ['src.switchover', 'src.postcopy-complete', 'src.cancelled', 'src.failed', 'src.status.failover', 'dst.load-done', 'dst.postcopy-done', 'dst.error.precopy', 'dst.error.postcopy-device', 'dst.status.failover'];

export const proposedDelta: ProfileDelta = {
  name: 'proposed',
  title: 'Proposed: blocked operations, incoming side included',
  qemuVersion: 'proposal',
  description: 'The stricter design from the list: capability and fixed-parameter changes blocked from migrate/migrate-incoming on, on both sides, as a list of blocked operations.',
  base: 'qemu-master',
  rules: { add: blockedRules() },
  // Where a migration starts on either side, the base's row also blocks the configuration operations.
  ruleEffects: [
    { ids: ['migrate-incoming.start'], add: ['blockConfig'], note: 'listening blocks the configuration operations' },
    { ids: ['migrate.start'], add: ['blockConfig'], note: 'starting a migration blocks the configuration operations' },
  ],
  // migration_cleanup / migration_incoming_state_destroy lift the blocks where a migration ends.
  transitionEffects: [{ ids: ENDS, add: ['unblockConfig'] }],
  // The block list is the design's point: it exists exactly while a migration runs, on both sides.
  invariants: { claim: ['destination-caps-frozen-while-incoming', 'blocked-iff-migration'] },
  // (b) The return path as series 003 patch 19 posted it: the source always opens the return-path
  // file when the channel connects; the thread only runs for postcopy-ram or return-path; COLO uses
  // the file without a thread, so x-colo does not require return-path.
  capConflicts: { remove: ['colo-needs-return-path'] },
  transitions: {
    add: [
      { after: 'src.rp.open', item: { id: 'src.rp.open-file', chart: 'return-path', side: 'source', from: ['closed'], event: 'setup-done', to: 'open',
        when: { status: ['setup', 'wait-unplug'], caps: { 'postcopy-ram': false, 'return-path': false } }, ref: `${MC}: migration_start_outgoing (${P19})`,
        note: 'from_dst_file = qemu_file_get_return_path(to_dst_file), unconditionally' } },
    ],
    replace: [
      { id: 'src.rp.cleanup', chart: 'return-path', side: 'source', from: ['running', 'shut', 'stopped', 'open'], event: 'cleanup-done', to: 'closed',
        when: { status: ['completed', 'cancelling', 'failing'], ctx: { parked: false } }, ref: `${MC}: migration_cleanup (${P19})` },
      { id: 'src.rp.failover', chart: 'return-path', side: 'source', from: ['open', 'stopped'], event: 'failover-done', to: 'closed',
        when: { failover: ['active'] }, ref: `${MC}: migration_cleanup (${P19})`, note: 'COLO used the file without a thread' },
      { id: 'src.rp.colo-open', chart: 'return-path', side: 'source', from: ['running', 'shut'], event: 'switchover-done', to: 'stopped',
        when: { caps: { 'x-colo': true }, status: ['device'], runstate: ['finish-migrate'] }, ref: `${MC}: migration_completion -> stop_return_path_thread_on_source (${P19})`,
        note: 'with return-path set the thread is joined; the file stays open for COLO' },
    ],
  },
};
