// Scenarios from the material (shared/reference 003: the COLO qtest and docs/system/qemu-colo.rst;
// precopy, postcopy and cancel flows), as data: pair events, each with what must hold after it.
import type { PairEvent, Profile, QmpArguments, Side } from '../machines/index.ts';

export interface SideExpect {
  status?: string;
  runstate?: string;
  colo?: string;
  failover?: string;
  rp?: string;
  exited?: boolean;
  /** query-fdsets, checked by asking the model (no step). */
  fdsets?: unknown[];
  /** query-colo-status, checked by asking the model (no step). */
  coloStatus?: { mode: string; 'last-mode': string; reason: string };
}

export interface ScenarioStep {
  event: PairEvent;
  /** 'ok', or the exact error desc QEMU answers. Defaults to 'ok' for QMP commands. */
  reply?: string;
  source?: SideExpect;
  destination?: SideExpect;
  channel?: string;
}

export interface Scenario {
  name: string;
  /** Where it comes from. */
  from: string;
  incoming?: 'defer' | 'uri';
  /** -uuid on each command line (PairInput.sourceUuid / destinationUuid). */
  uuids?: { source?: string; destination?: string };
  /** The destination is started with a further -incoming cpr (PairInput.cprTransfer). */
  cprTransfer?: boolean;
  /** Only the source is started (PairInput.noDestination: cpr-exec makes the destination). */
  noDestination?: boolean;
  steps: ScenarioStep[];
}

const URI = 'tcp:127.0.0.1:9998';
const q = (vm: Side, command: string, args?: QmpArguments, extra: Omit<ScenarioStep, 'event'> = {}): ScenarioStep => ({
  event: { type: 'qmp', vm, command, arguments: args },
  ...extra,
});
const sync = (name: string, extra: Omit<ScenarioStep, 'event'> = {}): ScenarioStep => ({ event: { type: 'sync', name }, ...extra });
const caps = (list: readonly string[]) => ({ capabilities: list.map((capability) => ({ capability, state: true })) });
/** postcopy-ram on both sides, the destination listening, migrate sent (not yet connected). */
const postcopySetup = (): ScenarioStep[] => [
  q('source', 'migrate-set-capabilities', caps(['postcopy-ram'])),
  q('destination', 'migrate-set-capabilities', caps(['postcopy-ram'])),
  q('destination', 'migrate-incoming', { uri: URI }),
  q('source', 'migrate', { uri: URI }),
];

/** The capabilities COLO needs on each side in a profile (master: x-colo requires return-path). */
function coloCaps(p: Profile, multifd: boolean): string[] {
  const base = p.capConflicts.some((c) => c.id === 'colo-needs-return-path') ? ['x-colo', 'return-path'] : ['x-colo'];
  return [...base, 'events', ...(multifd ? ['multifd'] : [])];
}

/** The profile refuses capability changes on a listening destination (the proposed design). */
export function blocksIncomingCaps(p: Profile): boolean {
  return p.rules.some((r) => r.id === 'migrate-set-capabilities.blocked');
}

/** Precopy passes through `device` (migration_switchover_prepare: QEMU 10.0 and master). */
function precopyDevice(p: Profile): boolean {
  return p.transitions.some((t) => t.id === 'src.converged.device');
}

/** The source can enter COLO (10.0 cannot: migration_completion starts it from active only, and the status is device by then). */
function sourceColo(p: Profile): boolean {
  return p.statuses.source.includes('colo');
}

/**
 * QEMU 10.0: x-colo on both sides, yet the source completes like any precopy and the destination
 * enters COLO alone, as a secondary with no primary; only the destination can fail over.
 */
function coloWithoutPrimary(p: Profile): Scenario {
  const c = coloCaps(p, false);
  return {
    name: 'colo: the source completes, the destination enters COLO alone (QEMU 10.0)',
    from: 'migration/migration.c: migration_completion (COLO only from active; migration_switchover_prepare set device)',
    incoming: 'defer',
    steps: [
      q('source', 'migrate-set-capabilities', caps(c)),
      q('destination', 'migrate-set-capabilities', caps(c)),
      q('destination', 'migrate-incoming', { uri: URI }, { destination: { status: 'setup' } }),
      q('source', 'migrate', { uri: URI }, { source: { status: 'setup' } }),
      sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
      sync('converge', { source: { runstate: 'finish-migrate' } }),
      sync('switchover-start', { source: { status: 'device' } }),
      sync('complete', { source: { status: 'completed', colo: 'none' }, destination: { status: 'colo', runstate: 'inmigrate', colo: 'secondary.starting' } }),
      sync('colo-vm-start', { destination: { status: 'colo', runstate: 'running', colo: 'secondary.running' } }),
      sync('cleanup', { source: { status: 'completed', runstate: 'postmigrate' } }),
      q('source', 'x-colo-lost-heartbeat', undefined, { reply: 'VM is not in COLO mode' }),
      q('destination', 'x-colo-lost-heartbeat', undefined, { destination: { failover: 'require' } }),
    ],
  };
}

/** Both sides up to the first COLO checkpoint cycle done (the COLO qtest's start). */
function coloStart(p: Profile, multifd: boolean): ScenarioStep[] {
  const c = coloCaps(p, multifd);
  const device = precopyDevice(p);
  return [
    // plain: the destination listens first (-incoming tcp:), its caps are set after: the order of
    // the COLO qtest as first posted (shared/reference 003). The merged tests/qtest/migration/
    // colo-tests.c starts both variants with -incoming defer, as multifd does here; QEMU takes both
    // orders. `proposed` refuses the first, so there the destination is started with defer.
    q('destination', 'migrate-set-capabilities', caps(c)),
    q('source', 'migrate-set-capabilities', caps(c)),
    ...(multifd ? [q('destination', 'migrate-set-parameters', { 'multifd-channels': 4 }), q('source', 'migrate-set-parameters', { 'multifd-channels': 4 })] : []),
    q('source', 'migrate-set-parameters', { 'x-checkpoint-delay': 300 }),
    ...(multifd || blocksIncomingCaps(p) ? [q('destination', 'migrate-incoming', { uri: URI }, { destination: { status: p.statuses.destination.includes('setup') ? 'setup' : 'none' } })] : []),
    q('source', 'migrate', { uri: URI }, { source: { status: 'setup' } }),
    sync('connect', { source: { status: 'active' }, destination: { status: 'active', runstate: 'inmigrate' }, channel: 'connected' }),
    sync('converge', { source: { status: 'active', runstate: 'finish-migrate' } }),
    ...(device ? [sync('switchover-start', { source: { status: 'device' } })] : []),
    sync('complete', {
      source: { status: 'colo', colo: 'primary.waiting-ready', failover: 'none' },
      destination: { status: 'colo', colo: 'secondary.starting', rp: 'open' },
    }),
    sync('checkpoint-ready', {
      source: { colo: 'primary.running', runstate: 'running', coloStatus: { mode: 'primary', 'last-mode': 'none', reason: 'none' } },
      destination: { colo: 'secondary.running', runstate: 'running', coloStatus: { mode: 'secondary', 'last-mode': 'none', reason: 'none' } },
    }),
    ...checkpoint(),
  ];
}

/** One whole checkpoint transaction: both VMs stop and run again. */
function checkpoint(): ScenarioStep[] {
  return [
    ...checkpointUntilStopped(),
    sync('vmstate-send', { source: { colo: 'primary.checkpoint.sending-ram' }, destination: { colo: 'secondary.checkpoint.loading-ram' } }),
    sync('vmstate-size', { source: { colo: 'primary.checkpoint.sending-device' }, destination: { colo: 'secondary.checkpoint.receiving-device' } }),
    sync('vmstate-received', { source: { colo: 'primary.checkpoint.waiting-loaded' }, destination: { colo: 'secondary.checkpoint.loading-device' } }),
    sync('vmstate-loaded', { source: { colo: 'primary.running', runstate: 'running' }, destination: { colo: 'secondary.running', runstate: 'running' } }),
  ];
}

function checkpointUntilStopped(): ScenarioStep[] {
  return [
    sync('checkpoint-request', { source: { colo: 'primary.checkpoint.request-sent', runstate: 'running' }, destination: { colo: 'secondary.checkpoint.stopped', runstate: 'colo' } }),
    sync('checkpoint-reply', { source: { colo: 'primary.checkpoint.stopped', runstate: 'colo' }, destination: { colo: 'secondary.checkpoint.replied' } }),
  ];
}

const YANK = { instances: [{ type: 'migration' }] };

/** The eight COLO qtest cases: plain/multifd x primary/secondary failover x outside/during a checkpoint. */
export function coloQtestCases(p: Profile): Scenario[] {
  if (!sourceColo(p)) return [coloWithoutPrimary(p)];
  const out: Scenario[] = [];
  for (const multifd of [false, true])
    for (const primary of [true, false])
      for (const during of [false, true]) {
        const vm: Side = primary ? 'source' : 'destination';
        const peer: Side = primary ? 'destination' : 'source';
        const mode = primary ? 'primary' : 'secondary';
        const steps = [...coloStart(p, multifd)];
        if (during) steps.push(...checkpointUntilStopped()); // the secondary has stopped for a checkpoint
        steps.push(
          // yank over OOB on the failing-over side: the channel breaks, both COLO threads exit (reason error)
          q(vm, 'yank', YANK, { channel: 'broken', [vm]: { status: 'colo', colo: 'exited' }, [peer]: { status: 'colo', colo: 'exited' } }),
          q(vm, 'x-colo-lost-heartbeat', undefined, { [vm]: { failover: 'require' } }),
          sync(`failover-bh:${vm}`, { [vm]: { failover: 'active', runstate: 'colo' } }),
          sync(`failover-done:${vm}`, {
            [vm]: { status: 'completed', runstate: 'running', colo: 'none', failover: 'completed', rp: 'closed', coloStatus: { mode: 'none', 'last-mode': mode, reason: 'request' } },
            // the peer stays in colo until its own heartbeat loss is declared
            [peer]: { status: 'colo', colo: 'exited', coloStatus: { mode: peer === 'source' ? 'primary' : 'secondary', 'last-mode': 'none', reason: 'none' } },
          }),
          // a second declaration on the survivor: COLO is over there
          q(vm, 'x-colo-lost-heartbeat', undefined, { reply: p.name === 'qemu-7.2' ? "The feature 'colo' is not enabled" : 'VM is not in COLO mode' }),
          // yank has no migration instance any more after the failover
          q(vm, 'yank', YANK, { reply: 'Instance not found' }),
        );
        out.push({
          name: `colo/${multifd ? 'multifd' : 'plain'}/${primary ? 'primary' : 'secondary'}_failover${during ? '_checkpoint' : ''}`,
          from: 'shared/reference 003: tests/qtest/migration/colo-tests.c test_colo_common',
          incoming: multifd || blocksIncomingCaps(p) ? 'defer' : 'uri',
          steps,
        });
      }
  return out;
}

export function procedureScenarios(p: Profile): Scenario[] {
  const c = coloCaps(p, false);
  const strict = blocksIncomingCaps(p);
  // Step 3 on the Secondary, already listening on -incoming tcp:. The proposed design refuses a
  // capability change there, so under it the Secondary starts with -incoming defer and listens after.
  const secondaryCaps = (): ScenarioStep[] =>
    strict ? [q('destination', 'migrate-set-capabilities', caps(c)), q('destination', 'migrate-incoming', { uri: URI })] : [q('destination', 'migrate-set-capabilities', caps(c))];
  const incoming = strict ? 'defer' : 'uri';
  const start = (): ScenarioStep[] => [
    ...secondaryCaps(),
    q('destination', 'nbd-server-start', { addr: { type: 'inet', data: { host: '0.0.0.0', port: '9999' } } }),
    q('destination', 'nbd-server-add', { device: 'parent0', writable: true }),
    // Step 4 on the Primary
    q('source', 'blockdev-add', { driver: 'nbd', 'node-name': 'nbd0' }),
    q('source', 'x-blockdev-change', { parent: 'colo-disk0', node: 'nbd0' }),
    q('source', 'migrate-set-capabilities', caps(c)),
    q('source', 'migrate', { uri: URI }),
    // Step 5
    q('source', 'migrate-set-parameters', { 'x-checkpoint-delay': 2000 }),
    sync('connect'),
    sync('converge'),
    ...(precopyDevice(p) ? [sync('switchover-start')] : []),
    sync('complete', { source: { status: 'colo' }, destination: { status: 'colo' } }),
    sync('checkpoint-ready', { source: { colo: 'primary.running' }, destination: { colo: 'secondary.running' } }),
  ];
  const primaryFailover: ScenarioStep[] = [
    // "The Secondary died, resume on the Primary"
    { event: { type: 'fault', fault: 'crash-destination' }, destination: { exited: true }, source: { status: 'colo', colo: 'exited' }, channel: 'broken' },
    q('source', 'x-blockdev-change', { parent: 'colo-disk0', child: 'children.1' }),
    q('source', 'blockdev-del', { 'node-name': 'nbd0' }),
    ...['comp0', 'iothread1', 'm0', 'redire0', 'redire1'].map((id) => q('source', 'object-del', { id })),
    q('source', 'x-colo-lost-heartbeat', undefined, { source: { failover: 'require' } }),
    sync('failover-bh:source'),
    sync('failover-done:source', { source: { status: 'completed', runstate: 'running', colo: 'none', coloStatus: { mode: 'none', 'last-mode': 'primary', reason: 'request' } } }),
  ];
  const secondaryFailover: ScenarioStep[] = [
    // "The Primary died, resume on the Secondary and prepare to become the new Primary"
    { event: { type: 'fault', fault: 'crash-source' }, source: { exited: true }, destination: { status: 'colo', colo: 'exited' } },
    q('destination', 'nbd-server-stop'),
    q('destination', 'x-colo-lost-heartbeat', undefined, { destination: { failover: 'require' } }),
    sync('failover-bh:destination'),
    sync('failover-done:destination', { destination: { status: 'completed', runstate: 'running', colo: 'none', coloStatus: { mode: 'none', 'last-mode': 'secondary', reason: 'request' } } }),
    ...['f2', 'f1'].map((id) => q('destination', 'object-del', { id })),
    ...['red1', 'red0'].map((id) => q('destination', 'chardev-remove', { id })),
    ...['mirror0', 'compare1', 'compare0', 'compare0-0', 'compare_out', 'compare_out0'].map((id) => q('destination', 'chardev-add', { id, backend: { type: 'socket' } })),
  ];
  const device = precopyDevice(p);
  const resume: ScenarioStep[] = [
    // "Primary resume replication": a new Secondary (steps 2 and 3), then on the Primary
    { event: { type: 'restart-destination', incoming }, destination: { status: p.statuses.destination.includes('setup') && !strict ? 'setup' : 'none', runstate: 'inmigrate' } },
    ...secondaryCaps(),
    q('destination', 'nbd-server-start', { addr: { type: 'inet' } }),
    q('destination', 'nbd-server-add', { device: 'parent0', writable: true }),
    q('source', 'drive-mirror', { device: 'colo-disk0', 'job-id': 'resync' }),
    q('source', 'stop', undefined, { source: { runstate: 'paused' } }),
    q('source', 'block-job-cancel', { device: 'resync' }),
    q('source', 'blockdev-add', { driver: 'nbd', 'node-name': 'nbd0' }),
    q('source', 'x-blockdev-change', { parent: 'colo-disk0', node: 'nbd0' }),
    ...['m0', 'redire0', 'redire1', 'iothread1', 'comp0'].map((id) => q('source', 'object-add', { id })),
    q('source', 'migrate-set-capabilities', caps(c)),
    q('source', 'migrate', { uri: URI }, { source: { status: 'setup' } }),
    sync('connect'),
    sync('converge', { source: { runstate: 'finish-migrate' } }),
    ...(device ? [sync('switchover-start')] : []),
    sync('complete', { source: { status: 'colo', failover: 'none' }, destination: { status: 'colo' } }),
    sync('checkpoint-ready', {
      source: { colo: 'primary.running', runstate: 'running', coloStatus: { mode: 'primary', 'last-mode': 'primary', reason: 'none' } },
      destination: { colo: 'secondary.running', runstate: 'running' },
    }),
    ...checkpoint(),
  ];
  const from = 'shared/reference 003: docs/system/qemu-colo.rst';
  const step3: Scenario = {
    name: `qemu-colo.rst step 3 as written (x-colo after -incoming tcp:) is ${strict ? 'refused' : 'accepted'}`,
    from,
    incoming: 'uri',
    steps: [q('destination', 'migrate-set-capabilities', caps(c), strict ? { reply: "There's a migration process in progress" } : {})],
  };
  // The procedures need a primary (QEMU 10.0 has none: coloWithoutPrimary).
  if (!sourceColo(p)) return [step3];
  return [
    { name: 'qemu-colo.rst: primary failover', from, incoming, steps: [...start(), ...primaryFailover] },
    { name: 'qemu-colo.rst: secondary failover', from, incoming, steps: [...start(), ...secondaryFailover] },
    { name: 'qemu-colo.rst: primary failover, then resume replication', from, incoming, steps: [...start(), ...primaryFailover, ...resume] },
    step3,
    {
      name: 'COLO: failover arrives while the secondary loads device state (relaunch)',
      from: 'migration/colo.c: secondary_vm_do_failover',
      incoming,
      steps: [
        ...start(),
        ...checkpointUntilStopped(),
        sync('vmstate-send'),
        sync('vmstate-size'),
        sync('vmstate-received', { destination: { colo: 'secondary.checkpoint.loading-device' } }),
        q('destination', 'x-colo-lost-heartbeat'),
        sync('failover-bh:destination'),
        sync('failover-done:destination', { destination: { failover: 'relaunch', status: 'colo' } }),
        sync('failover-relaunch', { destination: { failover: 'require', colo: 'secondary.running', runstate: 'running' } }),
        sync('failover-bh:destination', { destination: { failover: 'active', runstate: 'colo' } }),
        sync('failover-done:destination', { destination: { failover: 'completed', status: 'completed', runstate: 'running' }, source: { colo: 'exited' } }),
      ],
    },
  ];
}

export function precopyScenarios(p: Profile): Scenario[] {
  const device = p.statuses.source.includes('postcopy-device');
  // QEMU >= 8.x: qmp_migrate_cancel refuses postcopy; a resume goes through postcopy-recover-setup.
  const cancelRefused = p.rules.some((r) => r.id === 'migrate_cancel.postcopy');
  const recoverSetup = p.statuses.source.includes('postcopy-recover-setup');
  // master keeps the return-path file for migration_cleanup; 10.0 releases it as the thread is joined.
  const rpAfterPostcopy = p.transitions.some((t) => t.id === 'src.rp.join.postcopy' && t.to === 'closed') ? 'closed' : 'stopped';
  return [
    {
      name: 'precopy with pause-before-switchover and migrate-continue',
      from: 'qapi/migration.json: pause-before-switchover',
      steps: [
        q('source', 'migrate-set-capabilities', caps(['pause-before-switchover', 'events'])),
        q('destination', 'migrate-set-capabilities', caps(['pause-before-switchover', 'events'])),
        q('destination', 'migrate-incoming', { uri: URI }),
        q('source', 'migrate', { uri: URI }),
        sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
        q('source', 'migrate-continue', { state: 'pre-switchover' }, { reply: 'Migration not in expected state: active' }),
        sync('converge', { source: { status: 'active', runstate: 'finish-migrate' } }),
        q('source', 'cont', undefined, { reply: 'Migration is not finalized yet' }),
        sync('switchover-start', { source: { status: 'pre-switchover', runstate: 'finish-migrate' } }),
        q('source', 'migrate-continue', { state: 'pre-switchover' }, { source: { status: 'pre-switchover' } }),
        sync('pause-released', { source: { status: 'device' } }),
        sync('complete', { source: { status: 'completed', runstate: 'finish-migrate' }, destination: { status: 'completed', runstate: 'running' } }),
        sync('cleanup', { source: { runstate: 'postmigrate', rp: 'closed' } }),
        q('source', 'migrate', { uri: URI }, { reply: "Can't migrate the vm that was paused due to previous migration" }),
        q('destination', 'migrate-incoming', { uri: URI }, { reply: 'The incoming migration has already been started' }),
      ],
    },
    {
      name: 'postcopy with a pause and a recovery',
      from: 'qapi/migration.json: migrate-pause, migrate-recover, migrate resume',
      steps: [
        ...postcopySetup(),
        sync('connect', { source: { status: 'active', rp: 'running' }, destination: { status: 'active', rp: 'open' } }),
        q('source', 'migrate-start-postcopy'),
        sync('postcopy-start', { source: { status: device ? 'postcopy-device' : 'postcopy-active', runstate: 'finish-migrate' }, destination: { status: device ? 'postcopy-device' : 'postcopy-active' } }),
        sync('postcopy-run', { destination: { status: 'postcopy-active', runstate: 'running' }, source: { status: 'postcopy-active' } }),
        q('source', 'migrate_cancel', undefined, cancelRefused ? { reply: 'Postcopy migration in progress, cannot cancel.' } : {}),
      ].concat(
        cancelRefused
          ? [
              q('source', 'migrate-pause', undefined, { source: { status: 'postcopy-paused', rp: 'closed' }, destination: { status: 'postcopy-paused', rp: 'closed' }, channel: 'broken' }),
              q('destination', 'migrate-recover', { uri: URI }),
              q('source', 'migrate', { uri: URI, resume: true }, { source: { status: recoverSetup ? 'postcopy-recover-setup' : 'postcopy-paused' } }),
              sync('recover-connect', { source: { status: 'postcopy-recover', rp: 'running' }, destination: { status: 'postcopy-recover', rp: 'open' }, channel: 'connected' }),
              sync('recover-done', { source: { status: 'postcopy-active' }, destination: { status: 'postcopy-active' } }),
              sync('postcopy-complete', { source: { status: 'completed', rp: rpAfterPostcopy }, destination: { status: 'completed', rp: 'closed' } }),
              sync('cleanup', { source: { runstate: 'postmigrate', rp: 'closed' } }),
            ]
          : [
              // 7.2 cancels postcopy: the source ends cancelled, its VM stays stopped
              { event: { type: 'sync', name: 'cleanup' }, source: { status: 'cancelled', runstate: 'postmigrate' } },
            ],
      ),
    },
    ...(cancelRefused
      ? []
      : [
          {
            name: 'postcopy with a pause and a recovery (QEMU 7.2)',
            from: 'qapi/migration.json: migrate-pause, migrate-recover, migrate resume',
            steps: [
              ...postcopySetup(),
              sync('connect'),
              q('source', 'migrate-start-postcopy'),
              sync('postcopy-start', { source: { status: 'postcopy-active' } }),
              sync('postcopy-run', { destination: { runstate: 'running' } }),
              q('source', 'migrate-pause', undefined, { source: { status: 'postcopy-paused', rp: 'closed' }, destination: { status: 'postcopy-paused' }, channel: 'broken' }),
              q('destination', 'migrate-recover', { uri: URI }),
              q('source', 'migrate', { uri: URI, resume: true }, { source: { status: 'postcopy-paused' } }),
              sync('recover-connect', { source: { status: 'postcopy-recover' }, destination: { status: 'postcopy-recover' } }),
              sync('recover-done', { source: { status: 'postcopy-active' }, destination: { status: 'postcopy-active' } }),
              sync('postcopy-complete', { source: { status: 'completed' }, destination: { status: 'completed' } }),
              sync('cleanup', { source: { runstate: 'postmigrate' } }),
            ],
          } satisfies Scenario,
        ]),
  ];
}

/** migrate_cancel in each status it cancels, and what it answers elsewhere. */
export function cancelScenarios(p: Profile): Scenario[] {
  const device = p.statuses.source.includes('postcopy-device');
  const head = (extra: string[] = []): ScenarioStep[] => [
    q('source', 'migrate-set-capabilities', caps(['events', ...extra])),
    q('destination', 'migrate-set-capabilities', caps(['events', ...extra])),
    q('destination', 'migrate-incoming', { uri: URI }),
    q('source', 'migrate', { uri: URI }),
  ];
  const cancel = (vmRuns: string): ScenarioStep[] => [
    q('source', 'migrate_cancel', undefined, { source: { status: 'cancelling' } }),
    sync('cleanup', { source: { status: 'cancelled', runstate: vmRuns } }),
    q('source', 'migrate_cancel', undefined, { source: { status: 'cancelled' } }),
  ];
  const out: Scenario[] = [
    p.rules.some((r) => r.id === 'migrate_cancel.setup')
      ? {
          // QEMU 10.0: cancelled before the reply, with no cleanup to wait for (migration_cancel).
          name: 'cancel in setup: cancelled at once (QEMU 10.0)',
          from: 'migration/migration.c: migration_cancel (SETUP: CANCELLED directly)',
          steps: [...head(), q('source', 'migrate_cancel', undefined, { source: { status: 'cancelled', runstate: 'running' } }), q('source', 'migrate_cancel', undefined, { source: { status: 'cancelled' } })],
        }
      : { name: 'cancel in setup', from: 'migration/migration.c: migrate_fd_cancel', steps: [...head(), ...cancel('running')] },
    { name: 'cancel in active', from: 'migration/migration.c: migrate_fd_cancel', steps: [...head(), sync('connect'), ...cancel('running')] },
    ...(p.rules.some((r) => r.id === 'migrate_cancel.pre-switchover')
      ? [
          // 7.2: migrate_fd_cancel posts pause_sem, then sets cancelling; the thread may move to device first.
          ...([[], [sync('pause-released', { source: { status: 'device' } })]] as ScenarioStep[][]).map((race, i): Scenario => ({
            name: `cancel in pre-switchover (the VM runs again)${i ? ': the thread wins the race, device first' : ''}`,
            from: 'migration/migration.c: migrate_fd_cancel (qemu_sem_post pause_sem) / migration_maybe_pause',
            steps: [
              ...head(['pause-before-switchover']), sync('connect'), sync('converge'), sync('switchover-start', { source: { status: 'pre-switchover' } }),
              q('source', 'migrate_cancel', undefined, { source: { status: 'pre-switchover' } }),
              ...race,
              sync('cancel-set', { source: { status: 'cancelling' } }),
              sync('cleanup', { source: { status: 'cancelled', runstate: 'running' } }),
              q('source', 'migrate_cancel', undefined, { source: { status: 'cancelled' } }),
            ],
          }))
        ]
      : [
          {
            name: 'cancel in pre-switchover (the VM runs again)',
            from: 'migration/migration.c: migrate_fd_cancel',
            steps: [...head(['pause-before-switchover']), sync('connect'), sync('converge'), sync('switchover-start', { source: { status: 'pre-switchover' } }), ...cancel('running')],
          },
        ]),
    {
      name: 'cancel in device',
      from: 'migration/migration.c: migrate_fd_cancel',
      steps: [
        ...head(['pause-before-switchover']),
        sync('connect'),
        sync('converge'),
        sync('switchover-start'),
        q('source', 'migrate-continue', { state: 'pre-switchover' }),
        sync('pause-released', { source: { status: 'device' } }),
        ...cancel('running'),
      ],
    },
    {
      name: 'cancel when nothing runs: accepted, no change',
      from: 'migration/migration.c: qmp_migrate_cancel',
      steps: [q('source', 'migrate_cancel', undefined, { source: { status: 'none' } }), q('destination', 'migrate_cancel', undefined, { destination: { status: 'none' } })],
    },
  ];
  if (p.statuses.source.includes('wait-unplug'))
    out.push({ name: 'cancel in wait-unplug', from: 'migration/migration.c: migrate_fd_cancel', steps: [...head(), sync('unplug-pending', { source: { status: 'wait-unplug' } }), ...cancel('running')] });
  if (device)
    out.push({
      name: 'cancel in colo (master: colo counts as running)',
      from: 'migration/migration.c: migration_cancel',
      steps: [...head(coloCaps(p, false).filter((c) => c !== 'events')), sync('connect'), sync('converge'), sync('switchover-start'), sync('complete', { source: { status: 'colo' } }), ...cancel('running').slice(0, 1)],
    });
  return out;
}

/** The race of thread 000: a capability changed on the destination after migrate-incoming, before the source connects. */
export function raceScenario(p: Profile): Scenario {
  const blocked = p.name === 'proposed';
  return {
    name: 'capability changed on the destination after migrate-incoming (thread 000)',
    from: 'shared/reference 000',
    steps: [
      q('destination', 'migrate-incoming', { uri: URI }),
      q('destination', 'migrate-set-capabilities', caps(['postcopy-ram']), blocked ? { reply: "There's a migration process in progress" } : {}),
      q('source', 'migrate', { uri: URI }),
      sync('connect', { destination: { status: 'active' } }),
      q('destination', 'migrate-set-capabilities', caps(['events']), blocked ? { reply: "There's a migration process in progress" } : {}),
    ],
  };
}

/** The source's status once a precopy has converged: device first where QEMU passes through it. */
const switchover = (p: Profile): ScenarioStep[] => (precopyDevice(p) ? [sync('switchover-start', { source: { status: 'device' } })] : []);

/**
 * Named fds (getfd, an fd:NAME URI, closefd), as tests/qtest/migration/precopy-tests.c
 * test_precopy_fd_socket and the postcopy recovery of framework.c postcopy_recover_fail use them.
 */
export function fdScenarios(p: Profile): Scenario[] {
  const FD = 'fd:fd-mig';
  const NAME = { fdname: 'fd-mig' };
  const out: Scenario[] = [
    {
      // Non-live: the source is stopped before migrate, so the destination completes paused (cont runs it).
      name: 'precopy/fd/tcp',
      from: 'tests/qtest/migration/precopy-tests.c: test_precopy_fd_socket (test_migrate_fd_start / test_migrate_fd_end)',
      incoming: 'defer',
      steps: [
        q('source', 'migrate-set-capabilities', caps(['events'])),
        q('destination', 'migrate-set-capabilities', caps(['events'])),
        q('destination', 'getfd', NAME),
        q('destination', 'migrate-incoming', { uri: FD }),
        q('source', 'getfd', NAME),
        q('source', 'stop', undefined, { source: { runstate: 'paused' } }),
        q('source', 'migrate', { uri: FD }, { source: { status: 'setup' } }),
        sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
        sync('converge', { source: { runstate: 'finish-migrate' } }),
        ...switchover(p),
        sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'paused' } }),
        sync('cleanup', { source: { runstate: 'postmigrate' } }),
        q('destination', 'cont', undefined, { destination: { runstate: 'running' } }),
        // monitor_get_fd took the fd off each monitor: closefd no longer finds it
        q('source', 'closefd', NAME, { reply: "File descriptor named 'fd-mig' not found" }),
        q('destination', 'closefd', NAME, { reply: "File descriptor named 'fd-mig' not found" }),
      ],
    },
  ];
  // migrate-pause out of postcopy-recover, and postcopy-recover-setup, are QEMU >= 8.2.
  if (p.statuses.source.includes('postcopy-recover-setup')) {
    // test_postcopy_recovery_common up to postcopy_recover_fail's getfd: a postcopy paused by the
    // source's migrate-pause (bandwidth: the 4096 B/s limit set first), an fd named fd-mig on each side.
    const pausedWithFds = (bandwidth: boolean): ScenarioStep[] => [
      q('source', 'migrate-set-capabilities', caps(['events', 'postcopy-ram'])),
      q('destination', 'migrate-set-capabilities', caps(['events', 'postcopy-ram'])),
      q('destination', 'migrate-incoming', { uri: URI }),
      q('source', 'migrate', { uri: URI }),
      sync('connect'),
      ...(bandwidth ? [q('source', 'migrate-set-parameters', { 'max-postcopy-bandwidth': 4096 })] : []),
      q('source', 'migrate-start-postcopy'),
      sync('postcopy-start'),
      sync('postcopy-run', { source: { status: 'postcopy-active' }, destination: { status: 'postcopy-active' } }),
      q('source', 'migrate-pause', undefined, { source: { status: 'postcopy-paused' }, destination: { status: 'postcopy-paused' } }),
      q('source', 'getfd', NAME),
      q('destination', 'getfd', NAME),
    ];
    // The good recovery that follows, to completion.
    const goodRecovery = (): ScenarioStep[] => [
      q('destination', 'migrate-recover', { uri: URI }),
      q('source', 'migrate', { uri: URI, resume: true }, { source: { status: 'postcopy-recover-setup' } }),
      q('source', 'migrate-set-parameters', { 'max-postcopy-bandwidth': 0 }),
      sync('recover-connect', { source: { status: 'postcopy-recover' }, destination: { status: 'postcopy-recover' } }),
      sync('recover-done', { source: { status: 'postcopy-active' }, destination: { status: 'postcopy-active' } }),
      sync('postcopy-complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'running' } }),
      sync('cleanup', { source: { runstate: 'postmigrate' } }),
    ];
    // postcopy_recover_fail with each side given an unpaired socket: each meets a stray peer
    // (pair.ts SYNC stray steps), so each sits where it got alone and needs its own migrate-pause.
    // handshake: both reach postcopy-recover; reconnect: the source's peer is closed, so its resume
    // fails at connect (postcopy-recover-setup, postcopy-paused) while the destination recovers.
    for (const stage of ['handshake', 'reconnect'] as const) {
      out.push({
        name: `/migration/postcopy/recovery/double-failures/${stage}`,
        from: `tests/qtest/migration/framework.c: postcopy_recover_fail (${stage === 'handshake' ? 'POSTCOPY_FAIL_RECOVERY' : 'POSTCOPY_FAIL_CHANNEL_ESTABLISH'}), test_postcopy_recovery_common`,
        steps: [
          ...pausedWithFds(true),
          q('destination', 'migrate-recover', { uri: FD }),
          sync('recover-connect-stray', { destination: { status: 'postcopy-recover' }, source: { status: 'postcopy-paused' } }),
          q('source', 'migrate', { uri: FD, resume: true }, { source: { status: 'postcopy-recover-setup' } }),
          ...(stage === 'handshake'
            ? [
                sync('resume-connect-stray', { source: { status: 'postcopy-recover' }, destination: { status: 'postcopy-recover' } }),
                q('source', 'migrate-pause', undefined, { source: { status: 'postcopy-paused' }, destination: { status: 'postcopy-recover' } }),
              ]
            : [sync('resume-connect-refused', { source: { status: 'postcopy-paused' }, destination: { status: 'postcopy-recover' } })]),
          q('destination', 'migrate-pause', undefined, { source: { status: 'postcopy-paused' }, destination: { status: 'postcopy-paused' } }),
          ...goodRecovery(),
        ],
      });
    }
    out.push({
      // The fd steps of postcopy_recover_fail over a paired channel: the source's pause breaks it
      // and pauses both. (With the qtest's unpaired sockets: the double-failures scenarios above.)
      name: 'postcopy recovery over fd:NAME, left by migrate-pause in postcopy-recover',
      from: 'tests/qtest/migration/framework.c: postcopy_recover_fail (POSTCOPY_FAIL_RECOVERY), test_postcopy_recovery_common',
      steps: [
        ...pausedWithFds(false),
        q('destination', 'migrate-recover', { uri: FD }),
        q('source', 'migrate', { uri: FD, resume: true }, { source: { status: 'postcopy-recover-setup' } }),
        sync('recover-connect', { source: { status: 'postcopy-recover' }, destination: { status: 'postcopy-recover' } }),
        q('source', 'migrate-pause', undefined, { source: { status: 'postcopy-paused' }, destination: { status: 'postcopy-paused' }, channel: 'broken' }),
        ...goodRecovery(),
      ],
    });
  }
  return out;
}

/**
 * tests/qtest/migration/precopy-tests.c: /migration/cancel/src/after/<status> (test_cancel_src_after_*)
 * and test_multifd_tcp_cancel. The destination listens with exit-on-error false (QEMU >= 9.1), so a
 * cancelled migration leaves it failed. Not setup: there the qtest's channel is already connected,
 * and the model's setup is before the connect (its cancel leaves the destination listening).
 */
export function cancelQtestCases(p: Profile): Scenario[] {
  if (!(p.commandArgs['migrate-incoming'] ?? []).includes('exit-on-error')) return [];
  const from = 'tests/qtest/migration/precopy-tests.c';
  const both = (list: string[]): ScenarioStep[] => [q('source', 'migrate-set-capabilities', caps(list)), q('destination', 'migrate-set-capabilities', caps(list))];
  const listen = (): ScenarioStep => q('destination', 'migrate-incoming', { uri: URI, 'exit-on-error': false }, { destination: { status: 'setup' } });
  const connected = (): ScenarioStep[] => [q('source', 'migrate', { uri: URI }, { source: { status: 'setup' } }), sync('connect', { source: { status: 'active' }, destination: { status: 'active' } })];
  const complete = (): ScenarioStep[] => [
    sync('converge', { source: { runstate: 'finish-migrate' } }),
    ...switchover(p),
    sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'running' } }),
  ];
  const failedDst = { status: 'failed', exited: false };
  const out: Scenario[] = [
    {
      name: 'cancel/src/after/none',
      from: `${from}: test_cancel_src_after_none`,
      incoming: 'defer',
      steps: [
        ...both(['events']),
        q('destination', 'migrate_cancel', undefined, { destination: { status: 'none' } }),
        q('source', 'migrate_cancel', undefined, { source: { status: 'none' } }),
        listen(), ...connected(), ...complete(), sync('cleanup', { source: { runstate: 'postmigrate' } }),
      ],
    },
    ...(['cancelling', 'cancelled'] as const).map((phase): Scenario => ({
      // the first migrate_cancel moves it to cancelling; the one under test comes in `phase`
      name: `cancel/src/after/${phase}`,
      from: `${from}: test_cancel_src_after_cancelled`,
      incoming: 'defer',
      steps: [
        ...both(['events']), listen(), ...connected(),
        q('source', 'migrate_cancel', undefined, { source: { status: 'cancelling' }, destination: failedDst }),
        ...(phase === 'cancelling' ? [q('source', 'migrate_cancel', undefined, { source: { status: 'cancelling' } })] : []),
        sync('cleanup', { source: { status: 'cancelled', runstate: 'running' } }),
        ...(phase === 'cancelled' ? [q('source', 'migrate_cancel', undefined, { source: { status: 'cancelled' } })] : []),
      ],
    })),
    // The phase setup of test_cancel_src_pre_switchover: the cancel lands before the channel
    // connects (10.0 takes it at once: migrate_cancel.setup; master goes through cancelling); the
    // connect then reaches the destination, which starts loading and fails on the cut stream.
    {
      name: 'cancel/src/after/setup',
      from: `${from}: test_cancel_src_pre_switchover (phase setup)`,
      incoming: 'defer',
      steps: [
        ...both(['events', 'pause-before-switchover', 'multifd']), listen(),
        q('source', 'migrate', { uri: URI }, { source: { status: 'setup' } }),
        q('source', 'migrate_cancel', undefined, { source: { status: p.rules.some((r) => r.id === 'migrate_cancel.setup') ? 'cancelled' : 'cancelling', runstate: 'running' }, destination: { status: 'setup' } }),
        sync('connect-after-cancel', { source: { status: 'cancelled', runstate: 'running' }, destination: failedDst }),
      ],
    },
    ...(['active', 'pre-switchover'] as const).map((phase): Scenario => ({
      name: `cancel/src/after/${phase}`,
      from: `${from}: test_cancel_src_pre_switchover`,
      incoming: 'defer',
      steps: [
        ...both(['events', 'pause-before-switchover', 'multifd']), listen(), ...connected(),
        ...(phase === 'pre-switchover' ? [sync('converge'), sync('switchover-start', { source: { status: 'pre-switchover' } })] : []),
        q('source', 'migrate_cancel', undefined, { source: { status: 'cancelling' }, destination: failedDst }),
        sync('cleanup', { source: { status: 'cancelled', runstate: 'running' }, destination: failedDst }),
      ],
    })),
    {
      name: 'cancel/src/after/completed',
      from: `${from}: test_cancel_src_after_complete`,
      incoming: 'defer',
      steps: [
        ...both(['events']), listen(), ...connected(), ...complete(),
        q('source', 'migrate_cancel', undefined, { source: { status: 'completed' } }),
        sync('cleanup', { source: { status: 'completed', runstate: 'postmigrate' }, destination: { status: 'completed' } }),
      ],
    },
    {
      // no migrate-incoming: the connect fails (master passes through failing until the cleanup)
      name: 'cancel/src/after/failed',
      from: `${from}: test_cancel_src_after_failed`,
      incoming: 'defer',
      steps: [
        ...both(['events']),
        q('source', 'migrate', { uri: URI }),
        sync('connect-refused'),
        ...(p.statuses.source.includes('failing') ? [sync('cleanup')] : []),
        q('source', 'migrate_cancel', undefined, { source: { status: 'failed', runstate: 'running' } }),
      ],
    },
  ];
  // multifd cancelled in active (the destination exits), then a new destination and the same source again.
  const multifdPostcopy = !p.capConflicts.some((c) => c.id === 'postcopy-multifd');
  for (const postcopy of multifdPostcopy ? [false, true] : [false]) {
    const c = ['events', 'multifd', ...(postcopy ? ['postcopy-ram'] : [])];
    const ch = { 'multifd-channels': 16 };
    out.push({
      name: `multifd${postcopy ? '+postcopy' : ''}/tcp/plain/cancel`,
      from: `${from}: test_multifd_tcp_cancel`,
      incoming: 'defer',
      steps: [
        ...both(c),
        q('source', 'migrate-set-parameters', ch),
        q('destination', 'migrate-set-parameters', ch),
        q('destination', 'migrate-incoming', { uri: URI }),
        ...connected(),
        q('source', 'migrate_cancel', undefined, { source: { status: 'cancelling' }, destination: { exited: true } }),
        sync('cleanup', { source: { status: 'cancelled', runstate: 'running' } }),
        { event: { type: 'restart-destination', incoming: 'defer' }, destination: { status: 'none', runstate: 'inmigrate' } },
        q('destination', 'migrate-set-capabilities', caps(c)),
        q('destination', 'migrate-set-parameters', ch),
        q('destination', 'migrate-incoming', { uri: URI }),
        ...connected(), ...complete(), sync('cleanup', { source: { runstate: 'postmigrate' } }),
      ],
    });
  }
  return out;
}

/** tests/qtest/migration/postcopy-tests.c: /migration/multifd+postcopy/plain, where the profile takes multifd with postcopy-ram. */
export function postcopyQtestCases(p: Profile): Scenario[] {
  if (p.capConflicts.some((c) => c.id === 'postcopy-multifd')) return [];
  const c = ['events', 'postcopy-ram', 'postcopy-blocktime', 'multifd'];
  return [
    {
      name: 'multifd+postcopy/plain',
      from: 'tests/qtest/migration/postcopy-tests.c: test_multifd_postcopy (test_postcopy_common)',
      incoming: 'defer',
      steps: [
        q('source', 'migrate-set-capabilities', caps(c)),
        q('destination', 'migrate-set-capabilities', caps(c)),
        q('destination', 'migrate-incoming', { uri: URI }),
        q('source', 'migrate', { uri: URI }),
        sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
        q('source', 'migrate-start-postcopy'),
        sync('postcopy-start', { source: { runstate: 'finish-migrate' } }),
        sync('postcopy-run', { source: { status: 'postcopy-active' }, destination: { status: 'postcopy-active', runstate: 'running' } }),
        sync('postcopy-complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'running' } }),
        sync('cleanup', { source: { runstate: 'postmigrate' } }),
      ],
    },
  ];
}

/** Arguments migrate refuses before it starts (tests/qtest/migration: validate_uri, file offset/bad). */
export function migrateArgScenarios(p: Profile): Scenario[] {
  const out: Scenario[] = [];
  // QEMU >= 9.0: `if (!uri == !channels)` (migration_channel_parse_input).
  if (p.rules.some((r) => r.command === 'migrate' && r.when?.check === 'uriNotExactlyOne')) {
    const channels = [{ 'channel-type': 'main', addr: { transport: 'socket', type: 'inet', host: '127.0.0.1', port: '9998' } }];
    const need = "need either 'uri' or 'channels' argument";
    out.push(
      {
        name: 'validate_uri/channels/both_set',
        from: 'tests/qtest/migration/misc-tests.c: test_validate_uri_channels_both_set',
        incoming: 'defer',
        steps: [q('source', 'migrate', { uri: URI, channels }, { reply: need, source: { status: 'none', runstate: 'running' } })],
      },
      {
        name: 'validate_uri/channels/none_set',
        from: 'tests/qtest/migration/misc-tests.c: test_validate_uri_channels_none_set',
        incoming: 'defer',
        steps: [q('source', 'migrate', {}, { reply: need, source: { status: 'none', runstate: 'running' } })],
      },
    );
  }
  // file: (QEMU >= 8.2) with an offset qemu_strtosz cannot read: refused before migrate_init.
  if (p.uriSchemes.includes('file'))
    out.push({
      name: 'precopy/file/offset/bad',
      from: 'tests/qtest/migration/file-tests.c: test_precopy_file_offset_bad',
      incoming: 'defer',
      steps: [q('source', 'migrate', { uri: 'file:/tmp/migfile,offset=0x20M' }, { reply: 'file URI has bad offset 0x20M: Invalid argument', source: { status: 'none', runstate: 'running' } })],
    });
  return out;
}

/**
 * tests/qtest/migration/tls-tests.c: each case as the pair sees it. The credentials are objects
 * (object-add: opaque to the model); what the model reads is tls-creds on each side, and which way
 * the session went, an environment outcome: the handshake completes (connect), fails
 * (tls-handshake-failed: PSK mismatch), or one end refuses the other's certificate after it
 * (tls-refused-by-source: a server certificate for another host, no hostname to check it against;
 * tls-refused-by-destination: a client certificate the server does not accept).
 */
export function tlsQtestCases(p: Profile): Scenario[] {
  const from = 'tests/qtest/migration/tls-tests.c';
  const UNIX = 'unix:/tmp/migstate-tls/migsocket';
  type Creds = 'psk' | 'x509';
  const creds = (vm: Side, kind: Creds): ScenarioStep =>
    q(vm, 'object-add', { 'qom-type': `tls-creds-${kind}`, id: `tlscreds${kind}0`, endpoint: vm === 'source' ? 'client' : 'server', dir: `/tmp/migstate-tls/${kind}` });
  const setup = (kind: Creds, uri: string, o: { multifd?: boolean; hostname?: string | null; authz?: boolean } = {}): ScenarioStep[] => [
    q('source', 'migrate-set-capabilities', caps(o.multifd ? ['events', 'multifd'] : ['events'])),
    q('destination', 'migrate-set-capabilities', caps(o.multifd ? ['events', 'multifd'] : ['events'])),
    creds('source', kind),
    creds('destination', kind),
    q('source', 'migrate-set-parameters', { 'tls-creds': `tlscreds${kind}0`, ...(o.hostname !== undefined ? { 'tls-hostname': o.hostname } : {}) }),
    q('destination', 'migrate-set-parameters', { 'tls-creds': `tlscreds${kind}0`, ...(o.authz ? { 'tls-authz': 'tlsauthz0' } : {}) }),
    q('destination', 'migrate-incoming', { uri }, { destination: { exited: false } }),
    q('source', 'migrate', { uri }, { source: { status: 'setup' } }),
  ];
  const succeeds = (): ScenarioStep[] => [
    sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
    sync('converge', { source: { runstate: 'finish-migrate' } }),
    ...switchover(p),
    sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'running' } }),
    sync('cleanup', { source: { runstate: 'postmigrate' } }),
  ];
  // master's source passes through failing (migrate_fd_error -> FAILING, then cleanup -> FAILED)
  const failed = p.statuses.source.includes('failing') ? 'failing' : 'failed';
  const outcome = {
    ok: (_: object) => succeeds(),
    handshake: (_: object): ScenarioStep[] => [sync('tls-handshake-failed', { source: { status: failed, runstate: 'running' }, destination: { exited: false } })],
    // with multifd the destination may wait for channels that never come: the source alone fails,
    // as in a failed handshake (pair.ts: tls-refused-by-source)
    bySource: (o: { multifd?: boolean }): ScenarioStep[] =>
      o.multifd
        ? [sync('tls-handshake-failed', { source: { status: failed, runstate: 'running' }, destination: { exited: false } })]
        : [sync('tls-refused-by-source', { source: { status: failed, runstate: 'running' }, destination: { exited: true } })],
    byDestination: (_: object): ScenarioStep[] => [sync('tls-refused-by-destination', { source: { status: failed, runstate: 'running' }, destination: { exited: false } })],
  };
  const c = (path: string, fn: string, kind: Creds, uri: string, end: keyof typeof outcome, o: { multifd?: boolean; hostname?: string | null; authz?: boolean } = {}): Scenario => ({
    name: path,
    from: `${from}: ${fn}`,
    incoming: 'defer',
    steps: [...setup(kind, uri, o), ...outcome[end](o)],
  });
  // Postcopy over TLS: the postcopy scenarios with PSK credentials and tls-creds on both sides first;
  // the recovery's new channel is a TLS session too (recover-connect: both ends still TLS).
  const withTls = (name: string, fromFn: string, sc: Scenario | undefined): Scenario[] =>
    sc ? [{ name, from: `${from}: ${fromFn}`, incoming: sc.incoming, steps: [creds('source', 'psk'), creds('destination', 'psk'), ...(['source', 'destination'] as const).map((vm) => q(vm, 'migrate-set-parameters', { 'tls-creds': 'tlscredspsk0' })), ...sc.steps] }] : [];
  const byName = (list: Scenario[], n: string) => list.find((x) => x.name === n);
  const recovery = byName(precopyScenarios(p), 'postcopy with a pause and a recovery');
  const multifdPostcopy = byName(postcopyQtestCases(p), 'multifd+postcopy/plain');
  // multifd+postcopy paused and recovered: multifd+postcopy/plain up to postcopy-run, then the
  // recovery's steps from migrate-pause (where QEMU refuses a postcopy cancel: the recovery scenario has them).
  const pauseAt = recovery?.steps.findIndex((x) => x.event.type === 'qmp' && x.event.command === 'migrate-pause') ?? -1;
  const runAt = multifdPostcopy?.steps.findIndex((x) => x.event.type === 'sync' && x.event.name === 'postcopy-run') ?? -1;
  const multifdRecovery: Scenario | undefined =
    multifdPostcopy && recovery && pauseAt >= 0 && runAt >= 0
      ? { name: '', from: '', incoming: multifdPostcopy.incoming, steps: [...multifdPostcopy.steps.slice(0, runAt + 1), ...recovery.steps.slice(pauseAt)] }
      : undefined;
  return [
    ...withTls('/migration/postcopy/tls/psk', 'test_postcopy_tls_psk (test_postcopy_common)', recovery),
    ...withTls('/migration/postcopy/recovery/tls/psk', 'test_postcopy_recovery_tls_psk (test_postcopy_recovery_common)', recovery),
    ...withTls('/migration/multifd+postcopy/tcp/tls/psk/match', 'test_multifd_postcopy_tcp_tls_psk_match', multifdPostcopy),
    ...withTls('/migration/multifd+postcopy/recovery/tls/psk', 'test_multifd_postcopy_recovery_tls_psk', multifdRecovery),
    c('/migration/precopy/tcp/tls/psk/match', 'test_precopy_tcp_tls_psk_match', 'psk', URI, 'ok'),
    c('/migration/precopy/tcp/tls/psk/mismatch', 'test_precopy_tcp_tls_psk_mismatch (MIG_TEST_FAIL)', 'psk', URI, 'handshake'),
    c('/migration/precopy/unix/tls/psk', 'test_precopy_unix_tls_psk', 'psk', UNIX, 'ok'),
    c('/migration/precopy/tcp/tls/no-hostname', 'test_precopy_tcp_tls_no_hostname (MIG_TEST_FAIL_DEST_QUIT_ERR)', 'x509', URI, 'bySource', { hostname: null }),
    c('/migration/precopy/unix/tls/x509/default-host', 'test_precopy_unix_tls_x509_default_host (MIG_TEST_FAIL_DEST_QUIT_ERR: no hostname on unix:)', 'x509', UNIX, 'bySource'),
    c('/migration/precopy/unix/tls/x509/override-host', 'test_precopy_unix_tls_x509_override_host', 'x509', UNIX, 'ok', { hostname: 'qemu.org' }),
    c('/migration/precopy/tcp/tls/x509/default-host', 'test_precopy_tcp_tls_x509_default_host', 'x509', URI, 'ok'),
    c('/migration/precopy/tcp/tls/x509/override-host', 'test_precopy_tcp_tls_x509_override_host', 'x509', URI, 'ok', { hostname: 'qemu.org' }),
    c('/migration/precopy/tcp/tls/x509/mismatch-host', 'test_precopy_tcp_tls_x509_mismatch_host (MIG_TEST_FAIL_DEST_QUIT_ERR)', 'x509', URI, 'bySource', { hostname: 'qemu.org' }),
    c('/migration/precopy/tcp/tls/x509/friendly-client', 'test_precopy_tcp_tls_x509_friendly_client (tls-authz)', 'x509', URI, 'ok', { authz: true }),
    c('/migration/precopy/tcp/tls/x509/hostile-client', 'test_precopy_tcp_tls_x509_hostile_client (MIG_TEST_FAIL)', 'x509', URI, 'byDestination', { authz: true }),
    c('/migration/precopy/tcp/tls/x509/allow-anon-client', 'test_precopy_tcp_tls_x509_allow_anon_client', 'x509', URI, 'ok'),
    c('/migration/precopy/tcp/tls/x509/reject-anon-client', 'test_precopy_tcp_tls_x509_reject_anon_client (MIG_TEST_FAIL)', 'x509', URI, 'byDestination'),
    c('/migration/multifd/tcp/tls/psk/match', 'test_multifd_tcp_tls_psk_match', 'psk', URI, 'ok', { multifd: true }),
    c('/migration/multifd/tcp/tls/psk/mismatch', 'test_multifd_tcp_tls_psk_mismatch (MIG_TEST_FAIL)', 'psk', URI, 'handshake', { multifd: true }),
    c('/migration/multifd/tcp/tls/x509/default-host', 'test_multifd_tcp_tls_x509_default_host', 'x509', URI, 'ok', { multifd: true }),
    c('/migration/multifd/tcp/tls/x509/override-host', 'test_multifd_tcp_tls_x509_override_host', 'x509', URI, 'ok', { multifd: true, hostname: 'qemu.org' }),
    c('/migration/multifd/tcp/tls/x509/mismatch-host', 'test_multifd_tcp_tls_x509_mismatch_host (MIG_TEST_FAIL)', 'x509', URI, 'bySource', { multifd: true, hostname: 'qemu.org' }),
    c('/migration/multifd/tcp/tls/x509/allow-anon-client', 'test_multifd_tcp_tls_x509_allow_anon_client', 'x509', URI, 'ok', { multifd: true }),
    c('/migration/multifd/tcp/tls/x509/reject-anon-client', 'test_multifd_tcp_tls_x509_reject_anon_client (MIG_TEST_FAIL)', 'x509', URI, 'byDestination', { multifd: true }),
  ];
}

/**
 * tests/qtest/migration/file-tests.c (test_file_common): the source saves into a file with no
 * destination process (file-open, file-complete), then a destination started with -incoming defer
 * loads it (file-load). Non-live cases stop the source first: the stream says so, the destination
 * ends paused and is continued. QEMU >= 8.1 (file:).
 */
export function fileQtestCases(p: Profile): Scenario[] {
  if (!p.uriSchemes.includes('file')) return [];
  const from = 'tests/qtest/migration/file-tests.c';
  const FILE = 'file:/tmp/migstate/migfile';
  /** cpr: a cpr mode, whose migration_connect stops the VM (the pair's cpr-stop): no file-converge. */
  /**
   * fdset: each side adds that many fds to fd set 1 first (fdset_add_fds: the source's opened
   * O_WRONLY, the destination's O_RDONLY), and the URI names the set; removeFdset: the end hook
   * (migrate_hook_end_multifd_mapped_ram_fdset) removes the source's set and finds none left.
   */
  type O = { live?: boolean; caps?: string[]; uri?: string; params?: Record<string, unknown>; cpr?: boolean; fdset?: number; removeFdset?: boolean };
  const c = (name: string, fn: string, o: O = {}): Scenario => {
    const list = ['events', ...(o.caps ?? [])];
    const uri = o.uri ?? FILE;
    const addFds = (vm: Side) => Array.from({ length: o.fdset ?? 0 }, (_x, i) => q(vm, 'add-fd', { 'fdset-id': 1 }, { [vm]: { fdsets: [{ 'fdset-id': 1, fds: Array.from({ length: i + 1 }, () => ({})) }] } }));
    return {
      name,
      from: `${from}: ${fn}`,
      incoming: 'defer',
      steps: [
        ...addFds('source'),
        ...addFds('destination'),
        q('source', 'migrate-set-capabilities', caps(list)),
        q('destination', 'migrate-set-capabilities', caps(list)),
        ...(o.params ? [q('source', 'migrate-set-parameters', o.params), q('destination', 'migrate-set-parameters', o.params)] : []),
        ...(o.live ? [] : [q('source', 'stop', undefined, { source: { runstate: 'paused' } })]),
        q('source', 'migrate', { uri }, { source: { status: 'setup' } }),
        ...(o.cpr ? [sync('cpr-stop', { source: { status: 'setup', runstate: 'finish-migrate' } })] : []),
        sync('file-open', { source: { status: 'active' }, destination: { status: 'none' } }),
        ...(o.cpr ? [] : [sync('file-converge', { source: { runstate: 'finish-migrate' } })]),
        ...switchover(p),
        sync('file-complete', { source: { status: 'completed' } }),
        sync('cleanup', { source: { runstate: 'postmigrate' } }),
        q('destination', 'migrate-incoming', { uri }),
        ...(o.live
          ? [sync('file-load', { destination: { status: 'completed', runstate: 'running' } })]
          : [sync('file-load-paused', { destination: { status: 'completed', runstate: 'paused' } }), q('destination', 'cont', undefined, { destination: { runstate: 'running' } })]),
        ...(o.removeFdset ? [q('source', 'remove-fd', { 'fdset-id': 1 }, { source: { fdsets: [] } }), q('source', 'query-fdsets', undefined, { source: { fdsets: [] } })] : []),
      ],
    };
  };
  const out = [
    c('/migration/precopy/file', 'test_precopy_file'),
    c('/migration/precopy/file/offset', 'test_precopy_file_offset', { uri: `${FILE},offset=0x1000` }),
  ];
  if (p.capabilities.includes('mapped-ram'))
    out.push(
      c('/migration/precopy/file/mapped-ram', 'test_precopy_file_mapped_ram', { caps: ['mapped-ram'] }),
      c('/migration/precopy/file/mapped-ram/live', 'test_precopy_file_mapped_ram_live', { live: true, caps: ['mapped-ram'] }),
      c('/migration/multifd/file/mapped-ram', 'test_multifd_file_mapped_ram', { caps: ['multifd', 'mapped-ram'] }),
      c('/migration/multifd/file/mapped-ram/live', 'test_multifd_file_mapped_ram_live', { live: true, caps: ['multifd', 'mapped-ram'] }),
    );
  // cpr-tests.c: mode/reboot is a non-live file migration with mode cpr-reboot and x-ignore-shared on both sides.
  const mode = p.parameters.find((x) => x.name === 'mode');
  if (mode?.values?.includes('cpr-reboot') && p.capabilities.includes('x-ignore-shared'))
    out.push(c('/migration/mode/reboot', 'tests/qtest/migration/cpr-tests.c: test_mode_reboot (migrate_hook_start_mode_reboot, test_file_common)', { caps: ['x-ignore-shared'], params: { mode: 'cpr-reboot' }, cpr: true }));
  if (p.capabilities.includes('mapped-ram') && p.parameters.some((x) => x.name === 'direct-io'))
    out.push(c('/migration/multifd/file/mapped-ram/dio', 'test_multifd_file_mapped_ram_dio (direct-io on)', { caps: ['multifd', 'mapped-ram'], params: { 'direct-io': true } }));
  // The fd set cases: the file reached through /dev/fdset/1 (where add-fd is modelled).
  if (p.commands.includes('add-fd')) {
    const FDSET = 'file:/dev/fdset/1,offset=4096';
    out.push(c('/migration/precopy/file/offset/fdset', 'test_precopy_file_offset_fdset (migrate_hook_start_file_offset_fdset: one fd per side)', { uri: FDSET, fdset: 1 }));
    if (p.capabilities.includes('mapped-ram')) {
      out.push(c('/migration/multifd/file/mapped-ram/fdset', 'test_multifd_file_mapped_ram_fdset (two fds per side; the end hook removes the set)', { caps: ['multifd', 'mapped-ram'], uri: FDSET, fdset: 2, removeFdset: true }));
      if (p.parameters.some((x) => x.name === 'direct-io'))
        out.push(c('/migration/multifd/file/mapped-ram/fdset/dio', 'test_multifd_file_mapped_ram_fdset_dio (two fds per side, the second O_DIRECT; direct-io on)', { caps: ['multifd', 'mapped-ram'], params: { 'direct-io': true }, uri: FDSET, fdset: 2, removeFdset: true }));
    }
  }
  return out;
}

/**
 * tests/qtest/migration/misc-tests.c, the validate-uuid cases (do_test_validate_uuid): -uuid on
 * each command line, validate-uuid on the source. The stream then carries the source's UUID, and a
 * destination with another one fails its load (pair.ts: uuid-mismatch); one with none only warns.
 */
export function uuidQtestCases(p: Profile): Scenario[] {
  if (!p.capabilities.includes('validate-uuid')) return [];
  const from = 'tests/qtest/migration/misc-tests.c';
  const A = '11111111-1111-1111-1111-111111111111';
  const B = '22222222-2222-2222-2222-222222222222';
  const start = (): ScenarioStep[] => [
    q('source', 'migrate-set-capabilities', caps(['events', 'validate-uuid'])),
    q('destination', 'migrate-set-capabilities', caps(['events'])),
    q('destination', 'migrate-incoming', { uri: URI }),
    q('source', 'migrate', { uri: URI }, { source: { status: 'setup' } }),
    sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
  ];
  const completes = (): ScenarioStep[] => [
    sync('converge', { source: { runstate: 'finish-migrate' } }),
    ...switchover(p),
    sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'running' } }),
    sync('cleanup', { source: { runstate: 'postmigrate' } }),
  ];
  const failed = p.statuses.source.includes('failing') ? 'failing' : 'failed';
  return [
    { name: '/migration/validate_uuid', from: `${from}: test_validate_uuid`, incoming: 'defer', uuids: { source: A, destination: A }, steps: [...start(), ...completes()] },
    {
      name: '/migration/validate_uuid_error',
      from: `${from}: test_validate_uuid_error`,
      incoming: 'defer',
      uuids: { source: A, destination: B },
      steps: [
        ...start(),
        // the destination's load fails at the configuration section: nothing completes
        sync('uuid-mismatch', { source: { status: failed, runstate: 'running' }, destination: { exited: true } }),
      ],
    },
    { name: '/migration/validate_uuid_src_not_set', from: `${from}: test_validate_uuid_src_not_set`, incoming: 'defer', uuids: { destination: A }, steps: [...start(), ...completes()] },
    { name: '/migration/validate_uuid_dst_not_set', from: `${from}: test_validate_uuid_dst_not_set`, incoming: 'defer', uuids: { source: A }, steps: [...start(), ...completes()] },
  ];
}

/**
 * qtest cases that are a plain precopy with a capability on (xbzrle, x-ignore-shared,
 * switchover-ack), and multifd over a `channels` list instead of a URI. What each turns on changes
 * counters the model does not keep (ram.xbzrle-cache, ram.transferred), not the flow.
 */
export function capPrecopyQtestCases(p: Profile): Scenario[] {
  const c = (name: string, from: string, list: string[], addr: { uri: string } | { channels: unknown[] } = { uri: URI }): Scenario => ({
    name,
    from,
    incoming: 'defer',
    steps: [
      q('source', 'migrate-set-capabilities', caps(['events', ...list])),
      q('destination', 'migrate-set-capabilities', caps(['events', ...list])),
      q('destination', 'migrate-incoming', addr as QmpArguments),
      q('source', 'migrate', addr as QmpArguments, { source: { status: 'setup' } }),
      sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
      sync('converge', { source: { runstate: 'finish-migrate' } }),
      ...switchover(p),
      sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'running' } }),
      sync('cleanup', { source: { runstate: 'postmigrate' } }),
    ],
  });
  const out: Scenario[] = [];
  const has = (x: string) => p.capabilities.includes(x);
  if (has('xbzrle')) out.push(c('/migration/precopy/unix/xbzrle', 'tests/qtest/migration/compression-tests.c: test_precopy_unix_xbzrle', ['xbzrle'], { uri: 'unix:/tmp/migstate/migsocket' }));
  if (has('x-ignore-shared')) out.push(c('/migration/ignore-shared', 'tests/qtest/migration/misc-tests.c: test_ignore_shared', ['x-ignore-shared']));
  if (has('switchover-ack')) out.push(c('/migration/precopy/tcp/plain/switchover-ack', 'tests/qtest/migration/precopy-tests.c: test_precopy_tcp_switchover_ack', ['return-path', 'switchover-ack']));
  if ((p.commandArgs['migrate-incoming'] ?? []).includes('channels')) {
    const channels = [{ 'channel-type': 'main', addr: { transport: 'socket', type: 'inet', host: '127.0.0.1', port: '9998' } }];
    out.push(c('/migration/multifd/tcp/channels/plain/none', 'tests/qtest/migration/precopy-tests.c: test_multifd_tcp_channels_none', ['multifd'], { channels }));
  }
  return out;
}

/**
 * The postcopy-preempt qtest cases: the postcopy scenarios with postcopy-preempt on wherever
 * postcopy-ram is set (the capabilities come before migrate-incoming: 10.0 refuses preempt once the
 * incoming side started). The preempt channel is QEMU's own; QMP shows the same statuses, which the
 * conformance runs check on both binaries (qemu/scenarios.ts: postcopy-preempt-pause-recover, with TLS too).
 */
export function preemptQtestCases(p: Profile): Scenario[] {
  if (!p.capabilities.includes('postcopy-preempt')) return [];
  const withPreempt = (name: string, from: string, sc: Scenario | undefined): Scenario[] =>
    sc
      ? [{
          name,
          from: `${from} (postcopy-preempt on)`,
          incoming: sc.incoming,
          steps: sc.steps.map((st) => {
            const e = st.event;
            if (e.type !== 'qmp' || e.command !== 'migrate-set-capabilities') return st;
            const list = (e.arguments?.capabilities as { capability: string; state: boolean }[]) ?? [];
            if (!list.some((c) => c.capability === 'postcopy-ram' && c.state)) return st;
            return { ...st, event: { ...e, arguments: { capabilities: [...list, { capability: 'postcopy-preempt', state: true }] } } };
          }),
        }]
      : [];
  const base = [...precopyScenarios(p), ...postcopyQtestCases(p), ...tlsQtestCases(p)];
  const named = (n: string) => base.find((x) => x.name === n);
  const pc = 'tests/qtest/migration/postcopy-tests.c';
  const tls = 'tests/qtest/migration/tls-tests.c';
  return [
    ...withPreempt('/migration/postcopy/preempt/plain', `${pc}: test_postcopy_preempt`, named('postcopy with a pause and a recovery')),
    ...withPreempt('/migration/postcopy/preempt/recovery/plain', `${pc}: test_postcopy_preempt_recovery`, named('postcopy with a pause and a recovery')),
    ...withPreempt('/migration/multifd+postcopy/preempt/plain', `${pc}: test_multifd_postcopy_preempt`, named('multifd+postcopy/plain')),
    ...withPreempt('/migration/postcopy/preempt/tls/psk', `${tls}: test_postcopy_preempt_tls_psk`, named('/migration/postcopy/tls/psk')),
    ...withPreempt('/migration/postcopy/preempt/recovery/tls/psk', `${tls}: test_postcopy_preempt_all`, named('/migration/postcopy/recovery/tls/psk')),
    ...withPreempt('/migration/multifd+postcopy/preempt/recovery/tls/psk', `${tls}: test_multifd_postcopy_preempt_recovery_tls_psk`, named('/migration/multifd+postcopy/recovery/tls/psk')),
  ];
}

/**
 * The suspend cases (precopy-tests.c: suspend/live and notlive, postcopy-tests.c: postcopy/suspend):
 * the source's guest enters S3 (guest-suspend), then a migration; system_wakeup on the destination.
 * QEMU >= 9.0 migrates the guest suspended (stop.suspended: a suspended guest is live, and
 * vm_was_suspended travels in the globalstate section); 7.2 wakes it as it stops it, so its
 * destination runs and refuses the wakeup. The qtests run where the first holds; each profile is
 * held to its own answer here.
 */
export function suspendQtestCases(p: Profile): Scenario[] {
  const keeps = p.rules.some((r) => r.id === 'stop.suspended');
  const UNIX = 'unix:/tmp/migstate-suspend/migsocket';
  const start = (c: string[]): ScenarioStep[] => [
    q('source', 'migrate-set-capabilities', caps(c)),
    q('destination', 'migrate-set-capabilities', caps(c)),
    q('destination', 'migrate-incoming', { uri: UNIX }),
    sync('guest-suspend:source', { source: { status: 'none', runstate: 'suspended' } }),
  ];
  const wake = (): ScenarioStep =>
    keeps ? q('destination', 'system_wakeup', undefined, { destination: { runstate: 'running' } }) : q('destination', 'system_wakeup', undefined, { reply: 'Unable to wake up: guest is not in suspended state', destination: { runstate: 'running' } });
  const precopy = (stopped: boolean): ScenarioStep[] => [
    ...start(['events']),
    ...(stopped ? [q('source', 'stop', undefined, { source: { runstate: keeps ? 'paused' : 'suspended' } })] : []),
    q('source', 'migrate', { uri: UNIX }, { source: { status: 'setup' } }),
    sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
    sync('converge', { source: { runstate: 'finish-migrate' } }),
    ...switchover(p),
    // 10.0 notlive: the destination takes the source's paused, and starts suspended on cont.
    sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: !keeps ? 'running' : stopped ? 'paused' : 'suspended' } }),
    sync('cleanup', { source: { runstate: 'postmigrate' } }),
    ...(stopped ? [q('destination', 'cont', undefined, { destination: { runstate: keeps ? 'suspended' : 'running' } })] : []),
    wake(),
  ];
  return [
    { name: '/migration/precopy/unix/suspend/live', from: 'tests/qtest/migration/precopy-tests.c: test_precopy_unix_suspend_live', incoming: 'defer', steps: precopy(false) },
    { name: '/migration/precopy/unix/suspend/notlive', from: 'tests/qtest/migration/precopy-tests.c: test_precopy_unix_suspend_notlive', incoming: 'defer', steps: precopy(true) },
    {
      name: '/migration/postcopy/suspend',
      from: 'tests/qtest/migration/postcopy-tests.c: test_postcopy_suspend (migrate_postcopy_prepare, migrate_postcopy_complete)',
      incoming: 'defer',
      steps: [
        ...start(['events', 'postcopy-ram', 'postcopy-blocktime']),
        q('source', 'migrate', { uri: UNIX }),
        sync('connect', { source: { status: 'active', runstate: 'suspended' }, destination: { status: 'active' } }),
        q('source', 'migrate-start-postcopy'),
        sync('postcopy-start', { source: { runstate: 'finish-migrate' } }),
        sync('postcopy-run', { source: { status: 'postcopy-active' }, destination: { status: 'postcopy-active', runstate: keeps ? 'suspended' : 'running' } }),
        sync('postcopy-complete', { source: { status: 'completed' }, destination: { status: 'completed' } }),
        sync('cleanup', { source: { runstate: 'postmigrate' } }),
        wake(),
      ],
    },
  ];
}

/**
 * tests/qtest/migration/cpr-tests.c: test_mode_transfer_common, non-live (test_precopy_common with
 * defer_target_connect). The new QEMU is started with -incoming cpr (and -incoming URI, or defer);
 * the old one, in mode cpr-transfer and stopped, migrates with a main and a cpr channel. Only then
 * does the new QEMU's monitor come up (the cpr-transfer step); with defer it is told
 * migrate-incoming, whose listening closes the cpr socket (its HUP lets the source connect).
 */
export function cprTransferQtestCases(p: Profile): Scenario[] {
  const mode = p.parameters.find((x) => x.name === 'mode');
  if (!mode?.values?.includes('cpr-transfer')) return [];
  const from = 'tests/qtest/migration/cpr-tests.c: test_mode_transfer_common';
  const main = { 'channel-type': 'main', addr: { transport: 'socket', type: 'unix', path: '/tmp/migstate/migsocket' } };
  const cpr = { 'channel-type': 'cpr', addr: { transport: 'socket', type: 'unix', path: '/tmp/migstate/cpr.sock' } };
  return (['uri', 'defer'] as const).map((incoming): Scenario => ({
    name: incoming === 'uri' ? '/migration/mode/transfer' : '/migration/mode/transfer/defer',
    from: `${from} (incoming_defer ${incoming === 'defer'})`,
    incoming,
    cprTransfer: true,
    steps: [
      q('destination', 'query-status', undefined, { reply: 'no monitor', destination: { status: 'none', runstate: 'inmigrate' } }),
      q('source', 'migrate-set-parameters', { mode: 'cpr-transfer' }),
      q('source', 'stop', undefined, { source: { runstate: 'paused' } }),
      q('source', 'migrate', { channels: [main] }, { reply: "missing 'cpr' migration channel", source: { status: 'none' } }),
      q('source', 'migrate', { channels: [main, cpr] }, { source: { status: 'setup' } }),
      sync('cpr-transfer', { destination: { status: incoming === 'uri' ? 'setup' : 'none', runstate: 'inmigrate' } }),
      ...(incoming === 'defer' ? [q('destination', 'migrate-incoming', { channels: [main] }, { destination: { status: 'setup' } })] : []),
      sync('cpr-stop', { source: { status: 'setup', runstate: 'finish-migrate' } }),
      sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
      ...switchover(p),
      sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'paused' } }),
      sync('cleanup', { source: { runstate: 'postmigrate' } }),
      q('destination', 'cont', undefined, { destination: { runstate: 'running' } }),
    ],
  }));
}

/**
 * tests/qtest/migration/cpr-tests.c: test_mode_exec (test_cpr_exec). One QEMU, in mode cpr-exec with
 * cpr-exec-command set to itself with -incoming defer, migrates to a file; at completed it execs
 * that command (the pair's cpr-exec step: the source is gone, the new image is the destination),
 * which is told migrate-incoming from the file and resumes the VM.
 */
export function cprExecQtestCases(p: Profile): Scenario[] {
  const mode = p.parameters.find((x) => x.name === 'mode');
  if (!mode?.values?.includes('cpr-exec') || !p.uriSchemes.includes('file')) return [];
  const FILE = '/tmp/migstate/migfile';
  return [{
    name: '/migration/mode/exec',
    from: 'tests/qtest/migration/cpr-tests.c: test_mode_exec (test_cpr_exec, set_cpr_exec_args)',
    noDestination: true,
    steps: [
      q('source', 'migrate-set-parameters', { mode: 'cpr-exec' }),
      q('source', 'migrate-set-parameters', { 'cpr-exec-command': ['qemu-system-x86_64', '-incoming', 'defer', '-machine', 'aux-ram-share=on', '-nodefaults'] }),
      q('source', 'migrate-set-capabilities', caps(['events'])),
      q('source', 'migrate', { uri: `file:${FILE}` }, { source: { status: 'setup' } }),
      sync('cpr-stop', { source: { status: 'setup', runstate: 'finish-migrate' } }),
      sync('file-open', { source: { status: 'active' } }),
      ...switchover(p),
      sync('file-complete', { source: { status: 'completed' } }),
      sync('cpr-exec', { source: { exited: true }, destination: { status: 'none', runstate: 'inmigrate' } }),
      q('destination', 'migrate-incoming', { channels: [{ 'channel-type': 'main', addr: { transport: 'file', filename: FILE, offset: 0 } }] }, { destination: { status: 'setup' } }),
      sync('file-load', { destination: { status: 'completed', runstate: 'running' } }),
    ],
  }];
}

/**
 * tests/qtest/migration/precopy-tests.c: test_auto_converge. The throttle's percentage is the
 * environment's (the guest's dirty rate): the model bounds it (rules.ts replyViolation), and the
 * conformance scenario auto-converge-throttle holds a real guest to those bounds. As a pair run:
 * the capabilities and parameters, then a precopy held at pre-switchover and continued.
 */
export function autoConvergeQtestCase(p: Profile): Scenario[] {
  if (!p.capabilities.includes('auto-converge') || !p.capabilities.includes('pause-before-switchover')) return [];
  return [{
    name: '/migration/auto_converge',
    from: 'tests/qtest/migration/precopy-tests.c: test_auto_converge',
    steps: [
      q('source', 'migrate-set-capabilities', caps(['auto-converge'])),
      q('source', 'migrate-set-parameters', { 'cpu-throttle-initial': 5, 'cpu-throttle-increment': 25, 'max-cpu-throttle': 95 }),
      q('source', 'migrate-set-parameters', { 'max-cpu-throttle': 4 }, { reply: p.paramChecks.find((c) => c.id === 'max-cpu-throttle')!.desc }),
      q('source', 'migrate-set-parameters', { 'max-bandwidth': 3_000_000, 'downtime-limit': 1 }),
      q('source', 'migrate-set-capabilities', { capabilities: [{ capability: 'auto-converge', state: true }, { capability: 'pause-before-switchover', state: true }] }),
      q('destination', 'migrate-incoming', { uri: URI }),
      q('source', 'migrate', { uri: URI }),
      sync('connect', { source: { status: 'active' }, destination: { status: 'active' } }),
      q('source', 'migrate-set-parameters', { 'max-bandwidth': 1_000_000_000, 'downtime-limit': 300 }),
      sync('converge', { source: { status: 'active', runstate: 'finish-migrate' } }),
      sync('switchover-start', { source: { status: 'pre-switchover' } }),
      q('source', 'migrate-continue', { state: 'pre-switchover' }),
      sync('pause-released', { source: { status: 'device' } }),
      sync('complete', { source: { status: 'completed' }, destination: { status: 'completed', runstate: 'running' } }),
    ],
  }];
}

export function allScenarios(p: Profile): Scenario[] {
  return [
    ...coloQtestCases(p), ...procedureScenarios(p), ...precopyScenarios(p), ...cancelScenarios(p), raceScenario(p),
    ...fdScenarios(p), ...cancelQtestCases(p), ...postcopyQtestCases(p), ...migrateArgScenarios(p), ...tlsQtestCases(p), ...fileQtestCases(p), ...uuidQtestCases(p), ...capPrecopyQtestCases(p), ...preemptQtestCases(p), ...suspendQtestCases(p), ...cprTransferQtestCases(p), ...cprExecQtestCases(p), ...autoConvergeQtestCase(p),
  ];
}
