// The conformance scenarios, written for QEMU 7.2 and played on 10.0 too: each reaches migration
// statuses on the source and the destination and, in each, sends the commands whose answers the
// model predicts. Scenarios are data (qemu/conformance.ts plays them). Commands that would change
// what QEMU does next come last in a status, or are the transition the scenario is about.
//
// Where 10.0 changed what a scenario is about (it refuses a cancel in postcopy, its COLO primary never
// starts, ...), the scenario declares the profiles it is written for (`only`, with the reason), and a
// variant named `<name>-10.0` does what makes sense on 10.0 and checks what 10.0 does instead. The
// runner skips a scenario on the other profiles and reports why. A step a version cannot take (a
// parameter 7.2 lacks) is sent only on the profiles it names (QmpStep.only).
//
// How statuses are held long enough to act in them (QEMU 7.2, docs/research/qemu-7.2-observed.md):
// - active: max-bandwidth 10 B/s (1 means *unlimited* in 7.2); raising it lets the migration end.
//   10.0 checks the limit against the bytes counted as its buffer is flushed (qemu_fflush adds to
//   mig_stats.qemu_file_transferred; migration_rate_exceeded), so it sends at least one buffer a
//   100 ms window: 32 KiB, about 3,600 zero pages of 9 bytes each, and the 64 MiB guest is across in
//   under a second. With zero-page-detection none (10.0 only: PACE_10) every page goes whole, 32 a
//   flush (64 iovecs), about 1.3 MB/s: 10.0 stays in active (or postcopy-active) for about 50 s;
// - setup / cancelling: migrate to a UNIX listener whose accept queue is full (connect() blocks);
// - pre-switchover: the pause-before-switchover capability; device: migrate-continue with
//   query-migrate pipelined in the same write (device lasts ~3 ms; retried until seen);
// - postcopy-*: postcopy-ram on both sides, max-postcopy-bandwidth 10, migrate-start-postcopy;
//   the destination is started with -S where it pauses, because a running TCG destination's
//   monitor hangs in postcopy-paused (a vCPU waits on a missing page holding the BQL);
// - postcopy-recover: a resume to a server that accepts and never talks (source), or a silent
//   client on the migrate-recover port (destination).
import type { GuestStep, QmpStep, Scenario, Step, WaitStep } from './conformance.ts';
import type { VmName } from './trace.ts';

const S: VmName = 'source';
const D: VmName = 'destination';
/** The third process of A→B→C (source and destination are A and B). */
const C: VmName = 'C';

const cmd = (vm: VmName, qmp: string, args?: Record<string, unknown>, extra: Partial<QmpStep> = {}): QmpStep => ({ vm, qmp, ...(args ? { arguments: args } : {}), ...extra });
const wait = (vm: VmName, status: string | undefined, runstate?: string, timeoutMs = 15_000): WaitStep => ({
  wait: { vm, ...(status ? { status } : {}), ...(runstate ? { runstate } : {}), timeoutMs },
});
const waitExit = (vm: VmName, timeoutMs = 10_000): WaitStep => ({ wait: { vm, exit: true, timeoutMs } });
const caps = (vm: VmName, ...names: string[]) => cmd(vm, 'migrate-set-capabilities', { capabilities: names.map((capability) => ({ capability, state: true })) });
const params = (vm: VmName, p: Record<string, unknown>, extra: Partial<QmpStep> = {}) => cmd(vm, 'migrate-set-parameters', p, extra);

/** The source's guest enters ACPI S3 (conformance.ts GuestStep). */
const SUSPEND_SOURCE: GuestStep = { guest: { vm: S, does: 'suspend' } };

/** Events on at both ends, then a precopy from source to destination to completion. */
const precopyWithEvents = (): Step[] => [
  caps(S, 'events'),
  caps(D, 'events'),
  cmd(S, 'migrate', { uri: '$DST_URI' }),
  wait(S, 'completed', 'postmigrate'),
  wait(D, 'completed', 'running'),
];

/** 7.2 with postcopy-preempt, recovering: docs/findings.md F17. Played on 10.0, where ten runs never showed it. */
const PREEMPT_72 = "7.2's destination with postcopy-preempt can report postcopy-paused after its postcopy-recover event (racy, not modelled)";

/**
 * Postcopy with postcopy-preempt on both sides, held in postcopy-active, paused and recovered, then
 * completed. 10.0 refuses postcopy-preempt once the incoming side has started ("Postcopy preempt
 * must be set before incoming starts"): the destination (-incoming defer) listens only after its
 * capabilities are set.
 */
const preemptPauseRecover = (): Step[] => [
  caps(S, 'events', 'postcopy-ram', 'postcopy-preempt'),
  caps(D, 'events', 'postcopy-ram', 'postcopy-preempt'),
  cmd(D, 'migrate-incoming', { uri: '$DST_URI' }),
  params(S, { 'max-bandwidth': 10, 'max-postcopy-bandwidth': 10 }),
  PACE_10,
  cmd(S, 'migrate', { uri: '$DST_URI' }),
  wait(S, 'active', 'running'),
  wait(D, 'active', 'inmigrate'),
  ...startPostcopy('paused'),
  ...pauseBoth,
  ...recoverAndFinish(),
];

/**
 * A save into a file with no destination process, then a destination started later (-incoming
 * defer) loading it, with the same capabilities and parameters on both. A stopped source's VM stays
 * paused after the load (the stream says so) and is continued.
 */
function saveThenRestore(o: { uri: string; stopped?: boolean; caps?: string[]; params?: Record<string, unknown> }): Step[] {
  const setup = (vm: VmName): Step[] => [caps(vm, 'events', ...(o.caps ?? [])), ...(o.params ? [params(vm, o.params)] : [])];
  return [
    ...setup(S),
    ...(o.stopped ? [cmd(S, 'stop')] : []),
    cmd(S, 'migrate', { uri: o.uri }),
    wait(S, 'completed', 'postmigrate'),
    { fault: 'kill-source' },
    { launch: { vm: D, incoming: 'defer' } },
    ...setup(D),
    cmd(D, 'migrate-incoming', { uri: o.uri }),
    wait(D, 'completed', o.stopped ? 'paused' : 'running'),
    ...(o.stopped ? [cmd(D, 'cont')] : []),
  ];
}

/**
 * The session is refused: events on both sides, migrate, the source fails; then the destination,
 * still there, is asked where it is. `hold`: the source is held in active first (HOLD_ACTIVE).
 */
function refusedSourceFails(o: { caps?: string[]; hold?: boolean } = {}): Step[] {
  return [
    caps(S, 'events', ...(o.caps ?? [])),
    caps(D, 'events', ...(o.caps ?? [])),
    ...(o.hold ? HOLD_ACTIVE : []),
    cmd(S, 'migrate', { uri: '$DST_URI' }),
    wait(S, 'failed', 'running'),
    { sleep: 300 },
    cmd(D, 'query-migrate'),
    cmd(D, 'query-status'),
  ];
}

/** PSK credentials for this end (a client on the source, a server on the destination) and tls-creds naming them. */
const tlsPsk = (vm: VmName, dir: string): Step[] => [
  cmd(vm, 'object-add', { 'qom-type': 'tls-creds-psk', id: 'tlscreds0', endpoint: vm === S ? 'client' : 'server', dir }),
  params(vm, { 'tls-creds': 'tlscreds0' }),
];

/** x509 credentials from a folder (qemu/tls-certs.ts) for this end and tls-creds naming them. */
const tlsX509 = (vm: VmName, dir: string, extra: Record<string, unknown> = {}): Step[] => [
  cmd(vm, 'object-add', { 'qom-type': 'tls-creds-x509', id: 'tlscreds0', endpoint: vm === S ? 'client' : 'server', dir, ...extra }),
  params(vm, { 'tls-creds': 'tlscreds0' }),
];

const UUID_A = '11111111-1111-1111-1111-111111111111';
const UUID_B = '22222222-2222-2222-2222-222222222222';

/** Probes that change nothing in any status, on either side (answers differ by status). */
const ALWAYS = ['queries', 'params-same', 'params-range', 'params-unknown', 'caps-unknown', 'migrate-no-uri', 'continue-other'] as const;
type ProbeName =
  | (typeof ALWAYS)[number]
  | 'caps-events' // accepted, or "migration in progress" on a running source
  | 'caps-late-block' // destination: a capability change after migrate-incoming
  | 'pause' // migrate-pause: changes things in postcopy-active only
  | 'recover' // migrate-recover: changes things on a postcopy-paused destination only
  | 'resume' // migrate resume=true: changes things on a postcopy-paused source only
  | 'incoming' // migrate-incoming: changes things on a -incoming defer destination not yet started
  | 'cancel' // migrate_cancel: a no-op on a destination and on an idle source
  | 'start-postcopy' // a no-op or an error except on an active source with postcopy-ram
  | 'migrate' // migrate to a refused port: an error where the status or run state forbid it
  | 'continue-here' // migrate-continue with the current status: a no-op except in pre-switchover
  | 'cont'
  | 'stop';

/** The steps of each probe on a VM (`here`: the status it is in, for migrate-continue). */
const PROBE: Record<ProbeName, (vm: VmName, here: string) => Step[]> = {
  queries: (vm) => [cmd(vm, 'query-migrate'), cmd(vm, 'query-status'), cmd(vm, 'query-migrate-capabilities'), cmd(vm, 'query-migrate-parameters')],
  'params-same': (vm) => [params(vm, { 'downtime-limit': 300, 'multifd-channels': 2, 'tls-creds': '' })],
  'params-range': (vm) => [params(vm, { 'multifd-channels': 0 }), params(vm, { 'downtime-limit': 2000001 })],
  'params-unknown': (vm) => [params(vm, { 'no-such-parameter': 1 })],
  'caps-unknown': (vm) => [cmd(vm, 'migrate-set-capabilities', { capabilities: [{ capability: 'no-such-capability', state: true }] })],
  'migrate-no-uri': (vm) => [cmd(vm, 'migrate', {})],
  'continue-other': (vm) => [cmd(vm, 'migrate-continue', { state: 'wait-unplug' })],
  'caps-events': (vm) => [caps(vm, 'events')],
  'caps-late-block': (vm) => [caps(vm, 'late-block-activate')],
  pause: (vm) => [cmd(vm, 'migrate-pause')],
  recover: (vm) => [cmd(vm, 'migrate-recover', { uri: '$REFUSED_URI' })],
  resume: (vm) => [cmd(vm, 'migrate', { uri: '$REFUSED_URI', resume: true })],
  incoming: (vm) => [cmd(vm, 'migrate-incoming', { uri: '$REFUSED_URI' })],
  cancel: (vm) => [cmd(vm, 'migrate_cancel')],
  'start-postcopy': (vm) => [cmd(vm, 'migrate-start-postcopy')],
  migrate: (vm) => [cmd(vm, 'migrate', { uri: '$REFUSED_URI' })],
  'continue-here': (vm, here) => [cmd(vm, 'migrate-continue', { state: here })],
  cont: (vm) => [cmd(vm, 'cont')],
  stop: (vm) => [cmd(vm, 'stop')],
};

function probes(vm: VmName, names: readonly ProbeName[], here = 'none'): Step[] {
  // migrate-start-postcopy on an active source with postcopy-ram only sets a flag; the migration
  // thread moves to postcopy-active at its next iteration (migration/migration.c:
  // migration_iteration_run), i.e. while later probes run. So it is probed last.
  const ordered = [...names.filter((n) => n !== 'start-postcopy'), ...names.filter((n) => n === 'start-postcopy')];
  return ordered.flatMap((n) => PROBE[n](vm, here));
}

/** What is safe to send to the source in each status (answers compared, nothing moves). */
const SRC_IDLE: ProbeName[] = [...ALWAYS, 'caps-events', 'pause', 'recover', 'resume', 'incoming', 'cancel', 'start-postcopy', 'continue-here'];
const SRC_RUNNING: ProbeName[] = [...ALWAYS, 'caps-events', 'pause', 'recover', 'resume', 'incoming', 'start-postcopy', 'migrate', 'continue-here', 'cont'];
/** Destination: the command set is safe in every status except where noted per scenario. */
const DST_ANY: ProbeName[] = [...ALWAYS, 'caps-events', 'caps-late-block', 'resume', 'cancel', 'start-postcopy', 'continue-here'];

const srcProbes = (status: string, names: ProbeName[]) => probes(S, names, status);
const dstProbes = (names: ProbeName[]) => probes(D, names, 'none');

// ---- building blocks -----------------------------------------------------------------------------

/** The profiles written for QEMU 7.2's behaviour, and QEMU 10.0's. */
const ONLY_72 = ['qemu-7.2'] as const;
const ONLY_10 = ['qemu-10.0'] as const;
/**
 * 10.0's pacing beside max-bandwidth (see the top of this file): every page sent whole, so a flush per
 * 32 pages. Sent before migrate; 7.2 has no such parameter (and needs none). The generated paths
 * take the same (qemu/path-plan.ts PACE_ARGS).
 */
const PACE_10: QmpStep = params(S, { 'zero-page-detection': 'none' }, { only: ONLY_10 });

/**
 * Where the destination refuses the stream after the source started sending, a small guest's whole
 * precopy fits in the socket buffers: an unthrottled source can report completed before the reset
 * reaches it (docs/findings.md F15). The model fails the source there; the limit keeps it in active
 * until the reset, which is what these scenarios are about.
 */
const HOLD_ACTIVE: Step[] = [params(S, { 'max-bandwidth': 10 }), PACE_10];


/** Events on at both ends; migrate-incoming to a port another process holds (the env outcome port-in-use), then query-migrate. */
const portInUse = (): Step[] => [caps(S, 'events'), caps(D, 'events'), cmd(D, 'migrate-incoming', { uri: '$SILENT_URI' }), cmd(D, 'query-migrate')];

/** Postcopy paused on both sides, then migrate resume to a server that accepts and never talks: the source held in postcopy-recover. */
const silentRecover = (): Step[] => [...postcopyActive('paused'), ...pauseBoth, cmd(S, 'migrate', { uri: '$SILENT_URI', resume: true }), wait(S, 'postcopy-recover', 'finish-migrate')];

/** A migrate held in setup (a UNIX listener whose queue is full), probed there, then migrate_cancel. */
const stalledSetupCancel = (): Step[] => [
  caps(S, 'events'),
  cmd(S, 'migrate', { uri: '$STALLED_URI' }),
  wait(S, 'setup', 'running'),
  ...srcProbes('setup', SRC_RUNNING),
  cmd(S, 'migrate_cancel'),
];

/** A stopped source held in pre-switchover, then migrate_cancel: cancelled in `runstate` (the version's), the destination exits. */
const stoppedPreSwitchoverCancel = (runstate: string): Step[] => [
  cmd(S, 'stop'),
  caps(S, 'events', 'pause-before-switchover'),
  cmd(S, 'migrate', { uri: '$DST_URI' }),
  wait(S, 'pre-switchover', 'finish-migrate'),
  cmd(S, 'migrate_cancel'),
  wait(S, 'cancelled', runstate),
  waitExit(D),
];

/** A precopy held in `active` by a 10 B/s bandwidth limit. */
const slowActive: Step[] = [caps(S, 'events'), caps(D, 'events'), params(S, { 'max-bandwidth': 10 }), PACE_10, cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'active', 'running'), wait(D, 'active', 'inmigrate')];
const unthrottle = (extra: Partial<QmpStep> = {}) => params(S, { 'max-bandwidth': 1_000_000_000, 'max-postcopy-bandwidth': 0 }, extra);

/** x-colo on both sides, no replication set-up: both reach colo after the first migration (7.2). */
const coloBoth: Step[] = [caps(S, 'events', 'x-colo'), caps(D, 'events', 'x-colo'), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'colo'), wait(D, 'colo')];
/**
 * The same on 10.0: the source completes like any precopy (migration_completion starts COLO only from
 * active, and migration_switchover_prepare has set device by then), and the destination enters COLO
 * alone: colo, running (colo_process_incoming_thread).
 */
const coloBoth10: Step[] = [caps(S, 'events', 'x-colo'), caps(D, 'events', 'x-colo'), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'completed', 'postmigrate'), wait(D, 'colo', 'running')];

const WHY_COLO_72 = "10.0's source never enters COLO (migration_completion starts it from active only; the status is device by then): the source completes and the destination enters colo alone (the -10.0 variant)";
const WHY_10 = 'what it checks is what 10.0 does instead of 7.2 (the scenario without -10.0)';

/** A precopy with postcopy-ram on both sides (and `srcCaps` on the source), held in active (10 B/s). */
const postcopyHeld = (...srcCaps: string[]): Step[] => [
  caps(S, 'events', 'postcopy-ram', ...srcCaps),
  caps(D, 'events', 'postcopy-ram'),
  params(S, { 'max-bandwidth': 10, 'max-postcopy-bandwidth': 10 }),
  PACE_10,
  cmd(S, 'migrate', { uri: '$DST_URI' }),
  wait(S, 'active', 'running'),
  wait(D, 'active', 'inmigrate'),
];
const postcopyHeldActive = postcopyHeld();
/** From postcopyHeldActive: migrate-start-postcopy (refused on the destination), postcopy-active on both sides. */
const startPostcopy = (dstRun: 'running' | 'paused'): Step[] => [
  cmd(D, 'migrate-start-postcopy'),
  cmd(S, 'migrate-start-postcopy'),
  wait(S, 'postcopy-active', 'finish-migrate'),
  wait(D, 'postcopy-active', dstRun),
];
/** Postcopy held in postcopy-active (background transfer at 10 B/s). */
const postcopyActive = (dstRun: 'running' | 'paused'): Step[] => [...postcopyHeldActive, ...startPostcopy(dstRun)];

/**
 * libvirt's postcopy: pause-before-switchover on, so migrate-start-postcopy stops the VM and holds the
 * source in pre-switchover until migrate-continue (postcopy_start -> migration_maybe_pause /
 * migration_switchover_prepare).
 */
const postcopyPreSwitchover: Step[] = [
  ...postcopyHeld('pause-before-switchover'),
  cmd(S, 'migrate-start-postcopy'),
  wait(S, 'pre-switchover', 'finish-migrate'),
];

/** From postcopy-active (destination paused): migrate-pause on the source pauses both sides. */
const pauseBoth: Step[] = [cmd(S, 'migrate-pause'), wait(S, 'postcopy-paused', 'finish-migrate'), wait(D, 'postcopy-paused', 'paused')];

/** From postcopy-paused on both sides: recover, resume, finish. */
const recoverAndFinish = (recoverUri = '$RECOVER_URI'): Step[] => [
  cmd(D, 'migrate-recover', { uri: recoverUri }),
  cmd(S, 'migrate', { uri: recoverUri, resume: true }),
  ...finishPostcopy(),
];

/** From postcopy-active on both sides (destination paused): lift the limit, complete, run the destination. */
function finishPostcopy(): Step[] {
  return [
    wait(S, 'postcopy-active', 'finish-migrate'),
    wait(D, 'postcopy-active', 'paused'),
    unthrottle({ racy: true }),
    wait(S, 'completed', 'postmigrate', 30_000),
    wait(D, 'completed', 'paused'),
    cmd(D, 'cont'),
    wait(D, 'completed', 'running'),
  ];
}

// ---- the scenarios -------------------------------------------------------------------------------

export const SCENARIOS: Scenario[] = [
  {
    name: 'precopy-defer-complete',
    description: 'Destination -incoming defer: probes before and after migrate-incoming, an unthrottled precopy to completed, probes in completed on both sides.',
    incoming: 'defer',
    steps: [
      ...dstProbes([...DST_ANY, 'pause', 'recover', 'migrate']),
      cmd(D, 'stop'),
      cmd(D, 'cont'),
      ...srcProbes('none', [...SRC_IDLE, 'cont']),
      cmd(D, 'migrate-incoming', { uri: '$DST_URI' }),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover', 'migrate']),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
      ...srcProbes('completed', [...SRC_IDLE, 'migrate', 'stop']),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover']),
      cmd(D, 'stop'),
      cmd(D, 'cont'),
      cmd(S, 'cont'),
      ...srcProbes('completed', ['migrate-no-uri', 'continue-here', 'caps-events']),
    ],
  },
  {
    name: 'precopy-paused-destination',
    description: 'Destination started with -S (autostart off; -incoming tcp:): completed leaves it paused; cont runs it. A completed source continued migrates again (to a refused port: failed).',
    destinationPaused: true,
    steps: [
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover', 'migrate']),
      ...srcProbes('none', [...ALWAYS, 'caps-events', 'incoming', 'cancel', 'start-postcopy']),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'paused'),
      ...dstProbes(['queries', 'caps-events', 'stop']),
      cmd(D, 'cont'),
      cmd(S, 'cont'),
      cmd(S, 'migrate', { uri: '$REFUSED_URI' }),
      wait(S, 'failed', 'running'),
      ...srcProbes('failed', SRC_IDLE),
    ],
  },
  {
    name: 'prelaunch-source',
    description: 'A source started with -S migrates from prelaunch: it ends postmigrate; the destination (autostart on) takes the run state the source had (QEMU 7.2 global state: prelaunch).',
    sourcePaused: true,
    steps: [
      ...srcProbes('none', [...ALWAYS, 'caps-events', 'stop']),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed'),
      cmd(S, 'cont'),
    ],
  },
  {
    name: 'stopped-source-completes',
    description: 'The source is stopped during active, then the limit is lifted: the source ends postmigrate; the destination (autostart on) takes the source\'s run state (paused), not running.',
    steps: [...slowActive, cmd(S, 'stop'), unthrottle(), wait(S, 'completed', 'postmigrate'), wait(D, 'completed'), cmd(S, 'cont'), cmd(D, 'cont')],
  },
  {
    name: 'precopy-active-probes-complete',
    description: 'Precopy held in active (10 B/s): probes on both sides, stop/cont on both, then the limit is lifted: completed.',
    steps: [
      ...slowActive,
      ...srcProbes('active', SRC_RUNNING),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover', 'migrate']),
      cmd(D, 'stop'),
      cmd(D, 'cont'),
      cmd(S, 'stop'),
      ...srcProbes('active', ['queries', 'caps-events', 'stop']),
      cmd(S, 'cont'),
      unthrottle(),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
      cmd(S, 'cont'),
    ],
  },
  {
    name: 'precopy-cancel-active',
    description: 'migrate_cancel in active: cancelling then cancelled, the destination exits (load failed); probes in cancelled; migrate again to a refused port: failed.',
    steps: [
      ...slowActive,
      cmd(S, 'migrate_cancel'),
      wait(S, 'cancelled', 'running'),
      waitExit(D),
      ...srcProbes('cancelled', [...SRC_IDLE, 'stop']),
      cmd(S, 'cont'),
      cmd(S, 'migrate', { uri: '$REFUSED_URI' }),
      wait(S, 'failed', 'running'),
    ],
  },
  {
    name: 'setup-stalled-cancel',
    description: 'migrate to a UNIX listener whose queue is full: held in setup; migrate_cancel: held in cancelling; the listener goes away: cancelled.',
    only: { profiles: ONLY_72, why: "10.0 cancels a migration that has not connected yet at once (migration_cancel: setup without to_dst_file goes cancelling, cancelled before the reply), so it is never held in cancelling (setup-stalled-cancel-10.0)" },
    steps: [
      ...stalledSetupCancel(),
      wait(S, 'cancelling', 'running'),
      ...srcProbes('cancelling', [...SRC_RUNNING, 'cancel']),
      { fault: 'release-stalled' },
      wait(S, 'cancelled', 'running'),
      ...srcProbes('cancelled', ['queries', 'caps-events', 'continue-here']),
    ],
  },
  {
    name: 'setup-stalled-cancel-10.0',
    description:
      'migrate to a UNIX listener whose queue is full: held in setup; migrate_cancel: cancelling and cancelled before its reply (10.0 cancels a migration that has not connected at once), the VM running on; probes in cancelled while the connect still waits; the listener goes away: still cancelled.',
    only: { profiles: ONLY_10, why: WHY_10 },
    steps: [
      ...stalledSetupCancel(),
      wait(S, 'cancelled', 'running'),
      // Not `migrate`: while the connect waits, the yank instance is still registered and 10.0 refuses
      // it ("duplicate yank instance") after migrate_init set setup, which query-migrate then reports.
      // The model leaves a source's status as it was there (a destination's refused migrate is
      // modelled: Reject.outgoing): a source in setup with no connect under way is not a state it has.
      ...srcProbes('cancelled', [...SRC_RUNNING.filter((n) => n !== 'migrate'), 'cancel']),
      { fault: 'release-stalled' },
      { sleep: 300 },
      ...srcProbes('cancelled', ['queries', 'caps-events', 'continue-here']),
    ],
  },
  {
    name: 'setup-stalled-fail',
    description: 'Held in setup with the source stopped; the listener goes away: failed, and the source stays paused.',
    steps: [
      cmd(S, 'migrate', { uri: '$STALLED_URI' }),
      wait(S, 'setup', 'running'),
      cmd(S, 'stop'),
      { fault: 'release-stalled' },
      wait(S, 'failed', 'paused'),
      ...srcProbes('failed', SRC_IDLE),
      cmd(S, 'cont'),
    ],
  },
  {
    name: 'pre-switchover-continue',
    description: 'pause-before-switchover: held in pre-switchover (finish-migrate); probes on both sides; migrate-continue: device, completed.',
    steps: [
      caps(S, 'events', 'pause-before-switchover'),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'pre-switchover', 'finish-migrate'),
      wait(D, 'active', 'inmigrate'),
      ...srcProbes('pre-switchover', [...ALWAYS, 'caps-events', 'pause', 'recover', 'resume', 'incoming', 'start-postcopy', 'migrate', 'cont', 'stop']),
      cmd(S, 'migrate-continue', { state: 'active' }),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover', 'migrate', 'stop', 'cont']),
      cmd(S, 'migrate-continue', { state: 'pre-switchover' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
    ],
  },
  {
    name: 'device-pipelined',
    description: 'migrate-continue in pre-switchover with query-migrate pipelined behind it, to see device (it lasts ~3 ms); retried until seen.',
    retryUntil: { vm: 'source', status: 'device', attempts: 30 },
    steps: [
      caps(S, 'pause-before-switchover'),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'pre-switchover', 'finish-migrate'),
      cmd(S, 'migrate-continue', { state: 'pre-switchover' }, { pipelineQuery: 8 }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
    ],
  },
  {
    name: 'pre-switchover-cancel',
    description: 'migrate_cancel in pre-switchover: cancelled, the source runs again; the destination exits.',
    steps: [
      caps(S, 'events', 'pause-before-switchover'),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'pre-switchover', 'finish-migrate'),
      cmd(S, 'migrate_cancel'),
      wait(S, 'cancelled', 'running'),
      waitExit(D),
    ],
  },
  {
    name: 'postcopy-complete',
    description: 'Postcopy with a running destination: probes in active (postcopy-ram on), in postcopy-active on both sides; the limit lifted: completed.',
    steps: [
      ...postcopyHeldActive,
      ...srcProbes('active', SRC_RUNNING),
      ...startPostcopy('running'),
      ...srcProbes('postcopy-active', [...ALWAYS, 'caps-events', 'recover', 'resume', 'incoming', 'start-postcopy', 'migrate', 'continue-here', 'cont', 'stop']),
      ...dstProbes([...DST_ANY, 'incoming', 'recover', 'cont']),
      cmd(D, 'stop'),
      wait(D, 'postcopy-active', 'paused'),
      cmd(D, 'cont'),
      unthrottle({ racy: true }),
      wait(S, 'completed', 'postmigrate', 30_000),
      wait(D, 'completed', 'running'),
      ...srcProbes('completed', SRC_IDLE),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover']),
    ],
  },
  {
    // libvirt turns pause-before-switchover on for every migration, postcopy included (#13).
    name: 'postcopy-pre-switchover-continue',
    description:
      "Postcopy with pause-before-switchover, as libvirt runs it: migrate-start-postcopy stops the VM and waits in pre-switchover; probes there; migrate-continue: postcopy-active on both sides (10.0 passes through device); the limit lifted: completed.",
    steps: [
      ...postcopyPreSwitchover,
      ...srcProbes('pre-switchover', [...ALWAYS, 'pause', 'start-postcopy', 'cont']),
      cmd(S, 'migrate-continue', { state: 'pre-switchover' }),
      wait(S, 'postcopy-active', 'finish-migrate'),
      wait(D, 'postcopy-active', 'running'),
      unthrottle({ racy: true }),
      wait(S, 'completed', 'postmigrate', 30_000),
      wait(D, 'completed', 'running'),
    ],
  },
  {
    name: 'postcopy-pre-switchover-cancel',
    description:
      'Postcopy with pause-before-switchover: migrate_cancel in its pre-switchover (not yet in postcopy, so 10.0 accepts it too): cancelled; the destination exits. 7.2 leaves the VM in postmigrate (vm_was_running is not set by postcopy_start), 10.0 restarts it (vm_old_state).',
    steps: [
      ...postcopyPreSwitchover,
      cmd(S, 'migrate_cancel'),
      wait(S, 'cancelled', undefined),
      waitExit(D),
      cmd(S, 'query-status'),
    ],
  },
  {
    name: 'postcopy-pre-switchover-break',
    description:
      'Postcopy with pause-before-switchover: the destination is killed while the source waits in pre-switchover; migrate-continue: the postcopy start fails on the broken stream (docs/findings.md F13).',
    steps: [
      ...postcopyPreSwitchover,
      { fault: 'kill-destination' },
      cmd(S, 'migrate-continue', { state: 'pre-switchover' }),
      cmd(S, 'query-migrate'),
      cmd(S, 'query-status'),
    ],
  },
  {
    name: 'postcopy-pause-recover',
    description:
      'Postcopy (destination -S): migrate-pause on the source pauses both sides; probes in postcopy-paused; migrate resume before migrate-recover: its connect fails and the source stays postcopy-paused, also once the destination listens (no retry); migrate resume again: postcopy-active; completed.',
    destinationPaused: true,
    steps: [
      ...postcopyActive('paused'),
      ...pauseBoth,
      ...srcProbes('postcopy-paused', [...ALWAYS, 'caps-events', 'pause', 'recover', 'incoming', 'start-postcopy', 'migrate', 'continue-here', 'cont', 'stop']),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'stop']),
      // 7.2: migrate_fd_connect(error_in) for a resume only reports the error; nothing retries.
      cmd(S, 'migrate', { uri: '$RECOVER_URI', resume: true }),
      { sleep: 500 },
      cmd(D, 'migrate-recover', { uri: '$RECOVER_URI' }),
      { sleep: 1000 },
      wait(S, 'postcopy-paused', 'finish-migrate'),
      wait(D, 'postcopy-paused', 'paused'),
      ...recoverAndFinish().slice(1),
    ],
  },
  {
    name: 'postcopy-pause-destination',
    description: 'migrate-pause on the destination (postcopy-active, -S): both sides pause; then recovery.',
    destinationPaused: true,
    steps: [
      ...postcopyActive('paused'),
      cmd(D, 'migrate-pause'),
      wait(D, 'postcopy-paused', 'paused'),
      wait(S, 'postcopy-paused', 'finish-migrate'),
      ...recoverAndFinish(),
    ],
  },
  {
    name: 'postcopy-recover-silent-source',
    description: 'From postcopy-paused, migrate resume to a server that accepts and never talks: the source holds in postcopy-recover (closing that server does not end it in 7.2); migrate_cancel: cancelling.',
    only: { profiles: ONLY_72, why: "10.0 refuses migrate_cancel in postcopy-recover (qmp_migrate_cancel: migration_in_postcopy) and accepts migrate-pause there, which the probes send (postcopy-recover-silent-source-10.0)" },
    destinationPaused: true,
    steps: [
      ...silentRecover(),
      ...srcProbes('postcopy-recover', [...ALWAYS, 'caps-events', 'pause', 'recover', 'resume', 'incoming', 'start-postcopy', 'migrate', 'continue-here', 'cont', 'stop']),
      cmd(S, 'migrate_cancel'),
      wait(S, 'cancelling', 'finish-migrate'),
    ],
  },
  {
    name: 'postcopy-recover-silent-source-10.0',
    description:
      "From postcopy-paused, migrate resume to a server that accepts and never talks: postcopy-recover-setup, then postcopy-recover once connected, held there; probes; migrate_cancel is refused (postcopy) and the source stays in postcopy-recover; migrate-pause, 10.0's way out of a recovery that hangs: postcopy-paused; a recovery then finishes the migration.",
    only: { profiles: ONLY_10, why: WHY_10 },
    destinationPaused: true,
    steps: [
      ...silentRecover(),
      ...srcProbes('postcopy-recover', [...ALWAYS, 'caps-events', 'recover', 'resume', 'incoming', 'start-postcopy', 'migrate', 'continue-here', 'cont', 'stop']),
      cmd(S, 'migrate_cancel'),
      { sleep: 500 },
      cmd(S, 'migrate-pause'),
      wait(S, 'postcopy-paused', 'finish-migrate'),
      ...recoverAndFinish(),
    ],
  },
  {
    name: 'postcopy-recover-silent-destination',
    description: 'Destination postcopy-paused, migrate-recover, a client connects and never talks: the destination holds in postcopy-recover; probes there.',
    destinationPaused: true,
    steps: [
      ...postcopyActive('paused'),
      ...pauseBoth,
      cmd(D, 'migrate-recover', { uri: '$RECOVER_URI' }),
      ...dstProbes(['queries']),
      { fault: 'silent-client-connect' },
      wait(D, 'postcopy-recover', 'paused'),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover', 'stop']),
    ],
  },
  {
    name: 'postcopy-cancel-active',
    description: 'migrate_cancel in postcopy-active: the source ends cancelled; the destination pauses.',
    only: { profiles: ONLY_72, why: "10.0 refuses migrate_cancel in postcopy (qmp_migrate_cancel: \"Postcopy migration in progress, cannot cancel.\"; postcopy-cancel-active-10.0)" },
    destinationPaused: true,
    steps: [...postcopyActive('paused'), cmd(S, 'migrate_cancel'), wait(D, 'postcopy-paused', 'paused'), wait(S, 'cancelled')],
  },
  {
    name: 'postcopy-cancel-active-10.0',
    description: 'migrate_cancel in postcopy-active is refused (10.0: qmp_migrate_cancel, migration_in_postcopy) and nothing moves: both sides stay in postcopy-active; the limit lifted: completed.',
    only: { profiles: ONLY_10, why: WHY_10 },
    destinationPaused: true,
    steps: [
      ...postcopyActive('paused'),
      cmd(S, 'migrate_cancel'),
      { sleep: 500 },
      ...finishPostcopy(),
    ],
  },
  {
    name: 'postcopy-paused-cancel',
    description: 'migrate_cancel in postcopy-paused: the source holds in cancelling.',
    only: { profiles: ONLY_72, why: "10.0 refuses migrate_cancel in postcopy, postcopy-paused included (postcopy-paused-cancel-10.0)" },
    destinationPaused: true,
    steps: [
      ...postcopyActive('paused'),
      ...pauseBoth,
      cmd(S, 'migrate_cancel'),
      wait(S, 'cancelling', 'finish-migrate'),
      ...srcProbes('cancelling', [...ALWAYS, 'caps-events', 'pause', 'recover', 'resume', 'incoming', 'start-postcopy', 'migrate', 'cancel', 'continue-here', 'cont']),
    ],
  },
  {
    name: 'postcopy-paused-cancel-10.0',
    description: 'migrate_cancel in postcopy-paused is refused (10.0): the source stays postcopy-paused; probes there (the cancel again among them); recovery then finishes the migration.',
    only: { profiles: ONLY_10, why: WHY_10 },
    destinationPaused: true,
    steps: [
      ...postcopyActive('paused'),
      ...pauseBoth,
      cmd(S, 'migrate_cancel'),
      { sleep: 500 },
      wait(S, 'postcopy-paused', 'finish-migrate'),
      // Not `resume`: on 10.0 it starts a recovery (postcopy-recover-setup), see postcopy-pause-recover.
      ...srcProbes('postcopy-paused', [...ALWAYS, 'caps-events', 'pause', 'recover', 'incoming', 'start-postcopy', 'migrate', 'cancel', 'continue-here', 'cont']),
      ...recoverAndFinish(),
    ],
  },
  {
    name: 'failed-refused',
    description: 'migrate to a port nobody listens on: failed at once; probes in failed; migrate again.',
    steps: [
      caps(S, 'events'),
      cmd(S, 'migrate', { uri: '$REFUSED_URI' }),
      wait(S, 'failed', 'running'),
      ...srcProbes('failed', [...SRC_IDLE, 'stop']),
      cmd(S, 'migrate', { uri: '$REFUSED_URI' }),
      wait(S, 'failed', 'paused'),
      cmd(S, 'cont'),
    ],
  },
  // TLS with pre-shared keys (tls-creds-psk): no certificates to make, and the same handshake path
  // as x509 (migration/tls.c). Each way the session can go, on both binaries (machines/pair.ts:
  // connect, tls-handshake-failed, tls-refused-by-source, tls-refused-by-destination).
  {
    name: 'tls-psk-precopy',
    description: 'TLS on both sides with matching pre-shared keys (tests/qtest/migration/tls-tests.c: psk/match): the precopy completes as a plain one does.',
    steps: [...tlsPsk(S, '$TLS_PSK_DIR'), ...tlsPsk(D, '$TLS_PSK_DIR'), cmd(S, 'query-migrate-parameters'), ...precopyWithEvents()],
  },
  {
    name: 'tls-psk-mismatch',
    description: 'TLS on both sides, keys that do not match (psk/mismatch): the handshake fails, the source fails from setup (never active), the destination reports it and keeps listening.',
    steps: [
      ...tlsPsk(S, '$TLS_PSK_DIR'),
      ...tlsPsk(D, '$TLS_PSK_OTHER_DIR'),
      ...refusedSourceFails(),
    ],
  },
  {
    name: 'tls-to-plain-destination',
    description: 'TLS on the source only: the source fails in its handshake; the destination reads the ClientHello as a stream ("Not a migration stream") and exits.',
    steps: [...tlsPsk(S, '$TLS_PSK_DIR'), caps(S, 'events'), caps(D, 'events'), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'failed', 'running'), waitExit(D)],
  },
  {
    name: 'plain-to-tls-destination',
    description: 'TLS on the destination only: the plain source goes active and fails when the destination, whose handshake read garbage, drops the connection; the destination keeps listening.',
    steps: [
      ...tlsPsk(D, '$TLS_PSK_DIR'),
      ...refusedSourceFails({ hold: true }),
    ],
  },
  // The same outcomes with certificates (tls-creds-x509 from a test CA made per run), as tls-tests.c
  // makes them: the session's fate comes from the certificates, the hostname and verify-peer.
  {
    name: 'tls-x509-precopy',
    description: 'x509 credentials, the server certificate for 127.0.0.1 (tls-tests.c: x509/default-host): completes.',
    steps: [...tlsX509(S, '$TLS_X509_CLIENT_DIR'), ...tlsX509(D, '$TLS_X509_SERVER_DIR'), ...precopyWithEvents()],
  },
  {
    name: 'tls-x509-mismatch-host',
    description: 'tls-hostname qemu.org, which the server certificate does not name (x509/mismatch-host): the source refuses the session after the handshake and fails from setup; the destination, whose handshake completed, reads no stream and exits.',
    steps: [
      ...tlsX509(S, '$TLS_X509_CLIENT_DIR'),
      params(S, { 'tls-hostname': 'qemu.org' }),
      ...tlsX509(D, '$TLS_X509_SERVER_DIR'),
      caps(S, 'events'),
      caps(D, 'events'),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'failed', 'running'),
      waitExit(D),
    ],
  },
  {
    name: 'tls-x509-reject-anon-client',
    description: 'A client with no certificate, a server that verifies its peer (x509/reject-anon-client): the source goes active and fails; the destination refuses the session and keeps listening.',
    steps: [
      ...tlsX509(S, '$TLS_X509_ANON_DIR'),
      ...tlsX509(D, '$TLS_X509_SERVER_DIR'),
      ...refusedSourceFails({ hold: true }),
    ],
  },
  {
    name: 'tls-x509-allow-anon-client',
    description: 'A client with no certificate, a server with verify-peer off (x509/allow-anon-client): completes.',
    steps: [...tlsX509(S, '$TLS_X509_ANON_DIR'), ...tlsX509(D, '$TLS_X509_SERVER_DIR', { 'verify-peer': false }), ...precopyWithEvents()],
  },
  {
    name: 'tls-x509-multifd-mismatch-host',
    description: 'x509/mismatch-host with multifd (tls-tests.c: multifd/tcp/tls/x509/mismatch-host): the source fails from setup; the destination, whose main channel came in, waits for the multifd channels (7.2), or reads the closed channel as a stream and exits (seen on 10.0, not always): no step asks it, both are the model\'s.',
    steps: [
      ...tlsX509(S, '$TLS_X509_CLIENT_DIR'),
      params(S, { 'tls-hostname': 'qemu.org' }),
      ...tlsX509(D, '$TLS_X509_SERVER_DIR'),
      caps(S, 'events', 'multifd'),
      caps(D, 'events', 'multifd'),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'failed', 'running'),
      { sleep: 500 },
    ],
  },
  {
    name: 'tls-psk-postcopy-pause-recover',
    description: 'Postcopy over TLS (tls-tests.c: postcopy/tls/psk, postcopy/recovery/tls/psk; destination -S): postcopy-active, migrate-pause on the source pauses both, migrate-recover and migrate resume make a new TLS session, completed.',
    destinationPaused: true,
    steps: [...tlsPsk(S, '$TLS_PSK_DIR'), ...tlsPsk(D, '$TLS_PSK_DIR'), ...postcopyActive('paused'), ...pauseBoth, ...recoverAndFinish()],
  },
  // Capabilities the qtests turn on for a plain precopy; the flow is the precopy's, each checked on the binaries.
  {
    name: 'precopy-xbzrle',
    description: 'xbzrle on both sides (compression-tests.c: precopy/unix/xbzrle): completes.',
    steps: [caps(S, 'xbzrle'), caps(D, 'xbzrle'), params(S, { 'xbzrle-cache-size': 33554432 }), ...precopyWithEvents()],
  },
  {
    name: 'precopy-ignore-shared',
    description: 'x-ignore-shared on both sides (misc-tests.c: ignore-shared), RAM not shared here: completes like a plain precopy.',
    steps: [caps(S, 'x-ignore-shared'), caps(D, 'x-ignore-shared'), ...precopyWithEvents()],
  },
  {
    name: 'precopy-switchover-ack',
    description: 'return-path and switchover-ack on both sides (precopy-tests.c: precopy/tcp/plain/switchover-ack): no device needs the ack, the destination sends it at once; completes.',
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'switchover-ack is QEMU >= 8.1' },
    steps: [caps(S, 'return-path', 'switchover-ack'), caps(D, 'return-path', 'switchover-ack'), ...precopyWithEvents()],
  },
  {
    name: 'multifd-channels',
    description: 'multifd over a channels list on both sides instead of a URI (precopy-tests.c: multifd/tcp/channels/plain/none): completes.',
    incoming: 'defer',
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'migrate-incoming channels is QEMU >= 9.1' },
    steps: [
      caps(S, 'events', 'multifd'),
      caps(D, 'events', 'multifd'),
      cmd(D, 'migrate-incoming', { channels: '$DST_CHANNELS' }),
      cmd(S, 'migrate', { channels: '$DST_CHANNELS' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
    ],
  },
  // compression-tests.c: multifd/tcp/plain/zlib and zstd (Debian builds both in, 7.2 and 10.0).
  ...(['zlib', 'zstd'] as const).map((method): Scenario => ({
    name: `multifd-${method}`,
    description: `multifd with multifd-compression ${method} on both sides, 4 channels (compression-tests.c: multifd/tcp/plain/${method}): completes.`,
    incoming: 'defer',
    steps: [
      caps(S, 'events', 'multifd'),
      caps(D, 'events', 'multifd'),
      params(S, { 'multifd-channels': 4, 'multifd-compression': method }),
      params(D, { 'multifd-channels': 4, 'multifd-compression': method }),
      cmd(D, 'migrate-incoming', { uri: '$DST_URI' }),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
    ],
  })),
  {
    name: 'postcopy-preempt-pause-recover',
    description: 'Postcopy with postcopy-preempt on both sides (postcopy-tests.c: postcopy/preempt/plain, preempt/recovery/plain; destination -S): the preempt channel is QEMU\'s own, QMP shows the same statuses: postcopy-active, migrate-pause pauses both, recovery re-creates both channels, completed.',
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: PREEMPT_72 },
    destinationPaused: true,
    incoming: 'defer',
    steps: preemptPauseRecover(),
  },
  {
    name: 'tls-psk-postcopy-preempt-pause-recover',
    description: 'The same over TLS (tls-tests.c: postcopy/preempt/tls/psk, preempt/recovery/tls/psk): the preempt channel is a TLS session too.',
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: PREEMPT_72 },
    destinationPaused: true,
    incoming: 'defer',
    steps: [
      ...tlsPsk(S, '$TLS_PSK_DIR'),
      ...tlsPsk(D, '$TLS_PSK_DIR'),
      ...preemptPauseRecover(),
    ],
  },
  // validate-uuid (tests/qtest/migration/misc-tests.c: the validate_uuid cases): -uuid on the command lines.
  {
    name: 'uuid-validated',
    description: 'The same -uuid on both, validate-uuid on the source (validate_uuid): completes.',
    uuids: { source: UUID_A, destination: UUID_A },
    steps: [caps(S, 'events', 'validate-uuid'), caps(D, 'events'), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'completed', 'postmigrate'), wait(D, 'completed', 'running')],
  },
  {
    name: 'uuid-mismatch',
    description: 'Different -uuid, validate-uuid on the source (validate_uuid_error): the destination\'s load fails on the UUID and it exits; the source goes active and fails.',
    uuids: { source: UUID_A, destination: UUID_B },
    steps: [caps(S, 'events', 'validate-uuid'), caps(D, 'events'), ...HOLD_ACTIVE, cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'failed', 'running'), waitExit(D)],
  },
  {
    name: 'uuid-destination-not-set',
    description: 'A -uuid on the source only, validate-uuid on (validate_uuid_dst_not_set): the destination warns and completes.',
    uuids: { source: UUID_A },
    steps: [caps(S, 'events', 'validate-uuid'), caps(D, 'events'), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'completed', 'postmigrate'), wait(D, 'completed', 'running')],
  },
  // A suspended guest (tests/qtest/migration: precopy/unix/suspend/live and notlive, postcopy/suspend).
  // 7.2 wakes the guest as it stops it (the destination runs, system_wakeup is refused there); 10.0
  // migrates it suspended (the destination is suspended until system_wakeup). One scenario for both:
  // the model answers each step per profile.
  {
    name: 'suspend-live',
    description: 'The source\'s guest suspends (ACPI S3), then a precopy (suspend/live): the destination is suspended (10.0) or running (7.2, which woke the guest); system_wakeup on the destination.',
    steps: [caps(S, 'events'), caps(D, 'events'), SUSPEND_SOURCE, wait(S, undefined, 'suspended'), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'completed', 'postmigrate'), wait(D, 'completed'), cmd(D, 'system_wakeup'), wait(D, undefined, 'running')],
  },
  {
    name: 'suspend-notlive',
    description: 'The guest suspends, stop (10.0: paused, remembered as suspended; 7.2: nothing), a precopy (suspend/notlive), cont on the destination (10.0: suspended again), system_wakeup.',
    steps: [
      caps(S, 'events'), caps(D, 'events'), SUSPEND_SOURCE, wait(S, undefined, 'suspended'), cmd(S, 'stop'), cmd(S, 'query-status'),
      cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'completed', 'postmigrate'), wait(D, 'completed'), cmd(D, 'cont'), cmd(D, 'system_wakeup'), wait(D, undefined, 'running'),
    ],
  },
  {
    name: 'suspend-postcopy',
    description: 'The guest suspends, then a postcopy held in active and started (postcopy/suspend): 7.2 wakes the guest at the start, 10.0 keeps it suspended on the destination; system_wakeup there.',
    steps: [
      caps(S, 'events', 'postcopy-ram'), caps(D, 'events', 'postcopy-ram'), SUSPEND_SOURCE, wait(S, undefined, 'suspended'),
      params(S, { 'max-bandwidth': 10, 'max-postcopy-bandwidth': 10 }), PACE_10,
      cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'active', 'suspended'), wait(D, 'active', 'inmigrate'),
      cmd(S, 'migrate-start-postcopy'), wait(S, 'postcopy-active', 'finish-migrate'), wait(D, 'postcopy-active'),
      unthrottle({ racy: true }), wait(S, 'completed', 'postmigrate', 30_000), wait(D, 'completed'), cmd(D, 'system_wakeup'), wait(D, undefined, 'running'),
    ],
  },
  {
    name: 'kill-destination-active',
    description: 'The destination is killed while the source is in active: the source fails.',
    steps: [...slowActive, { fault: 'kill-destination' }, wait(S, 'failed', 'running', 20_000)],
  },
  {
    name: 'kill-source-active',
    description: 'The source is killed while the destination loads (active): the destination exits.',
    steps: [...slowActive, { fault: 'kill-source' }, waitExit(D)],
  },
  {
    name: 'yank-source-active',
    description: 'yank (exec-oob) on the source in active: failed; the destination exits.',
    steps: [...slowActive, { fault: 'yank-source' }, wait(S, 'failed', 'running'), waitExit(D)],
  },
  {
    name: 'yank-destination-active',
    description: 'yank (exec-oob) on the destination in active: the destination exits; the source fails.',
    steps: [...slowActive, { fault: 'yank-destination' }, waitExit(D), wait(S, 'failed', 'running', 20_000)],
  },
  {
    name: 'postcopy-yank-source',
    description: 'yank on the source in postcopy-active: both sides pause; recovery finishes it.',
    destinationPaused: true,
    steps: [...postcopyActive('paused'), { fault: 'yank-source' }, wait(S, 'postcopy-paused', 'finish-migrate'), wait(D, 'postcopy-paused', 'paused'), ...recoverAndFinish()],
  },
  {
    name: 'postcopy-kill-source',
    description: 'The source is killed in postcopy-active: the destination pauses (and stays alive).',
    destinationPaused: true,
    steps: [...postcopyActive('paused'), { fault: 'kill-source' }, wait(D, 'postcopy-paused', 'paused'), ...dstProbes([...DST_ANY, 'incoming', 'pause', 'stop'])],
  },
  {
    name: 'postcopy-destination-migrate',
    description: 'migrate on a destination in postcopy-active (QEMU 7.2: "duplicate yank instance", and the outgoing status is left at setup).',
    destinationPaused: true,
    steps: [...postcopyActive('paused'), cmd(D, 'migrate', { uri: '$REFUSED_URI' })],
  },
  {
    name: 'completed-destination-migrate',
    description: 'migrate on a destination that completed an incoming migration (it migrates on, here to a refused port).',
    steps: [cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'completed', 'postmigrate'), wait(D, 'completed', 'running'), cmd(D, 'migrate', { uri: '$REFUSED_URI' }), { sleep: 300 }],
  },
  {
    // Issue: a port in use is an environment outcome (Rule.env), and the retry on a free port works:
    // the `once` flag is set only once the listener is up.
    name: 'incoming-port-in-use-retry',
    description: 'Destination -incoming defer: migrate-incoming to a port another process holds (error, MIGRATION setup all the same), retried on a free port; a precopy to completed.',
    incoming: 'defer',
    only: { profiles: ONLY_72, why: "10.0 leaves the status setup after the failed bind, so the retry is refused (incoming-port-in-use-retry-10.0)" },
    steps: [...portInUse(), cmd(D, 'migrate-incoming', { uri: '$DST_URI' }), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'completed', 'postmigrate'), wait(D, 'completed', 'running')],
  },
  {
    // A refusal that leaves the status changed (Reject.status): setup, nothing listening, `once` unused.
    name: 'incoming-port-in-use-retry-10.0',
    description: 'Destination -incoming defer: migrate-incoming to a port another process holds: the error, and the status is left setup; the retry on a free port is refused ("Illegal migration incoming state: setup"), so a migrate to it fails.',
    incoming: 'defer',
    only: { profiles: ONLY_10, why: WHY_10 },
    steps: [...portInUse(), cmd(D, 'migrate-incoming', { uri: '$DST_URI' }), cmd(D, 'query-migrate'), cmd(S, 'migrate', { uri: '$DST_URI' }), wait(S, 'failed', 'running'), cmd(D, 'query-migrate')],
  },
  {
    // A source after completion is an ordinary stopped VM: cont runs it again and it may migrate again
    // (here to a port nobody listens on: setup, then failed, the VM running on).
    name: 'cont-after-completion-migrate-again',
    description: 'A precopy to completed, then cont on the source (postmigrate -> running) and a second migrate from it.',
    steps: [
      ...precopyWithEvents(),
      cmd(S, 'cont'),
      wait(S, 'completed', 'running'),
      cmd(S, 'migrate', { uri: '$REFUSED_URI' }),
      wait(S, 'failed', 'running'),
      cmd(S, 'query-migrate'),
    ],
  },
  {
    // The normal life of a VM: A→B, then B→C. B is a destination that completed; it migrates on as
    // a source (docs/findings.md F3, rule migrate.start.dst), with its own MIGRATION events.
    name: 'three-processes-a-b-c',
    description: 'A→B→C: a precopy source→destination, then a third process C (-incoming tcp:) and the completed destination migrating on to it; events on in all three.',
    steps: [
      ...precopyWithEvents(),
      { launch: { vm: C, incoming: 'uri' } },
      caps(C, 'events'),
      cmd(D, 'migrate', { uri: '$URI:C' }),
      wait(D, 'completed', 'postmigrate'),
      wait(C, 'completed', 'running'),
      cmd(D, 'query-migrate'),
      cmd(C, 'query-migrate'),
      cmd(D, 'migrate-incoming', { uri: '$REFUSED_URI' }),
    ],
  },
  {
    // A save and a restore: the source migrates to a file and ends; then, in the same trace, a
    // destination is started with -incoming defer and loads the file (virsh save / restore).
    name: 'save-then-restore',
    description: 'The source saves to a file (migrate exec:cat > file) and is killed; a destination started afterwards with -incoming defer restores it (migrate-incoming exec:cat file).',
    destinationLater: true,
    steps: [
      caps(S, 'events'),
      cmd(S, 'migrate', { uri: '$SAVE_URI' }),
      wait(S, 'completed', 'postmigrate'),
      { fault: 'kill-source' },
      { launch: { vm: D, incoming: 'defer' } },
      caps(D, 'events'),
      cmd(D, 'query-migrate'),
      cmd(D, 'migrate-incoming', { uri: '$LOAD_URI' }),
      wait(D, 'completed', 'running'),
      cmd(D, 'query-migrate'),
    ],
  },
  // file: (QEMU >= 8.1; tests/qtest/migration/file-tests.c): a save into a file with no destination
  // process (pair.ts file-open, file-complete), and a destination started later loading it (file-load).
  {
    name: 'file-save-then-restore',
    description: 'Non-live save into a file (file-tests.c: precopy/file): the source is stopped, migrate file: completes with no destination; a destination started later with -incoming defer loads it (migrate-incoming file:) and stays paused, as the saved VM was; cont runs it.',
    destinationLater: true,
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'file: is QEMU >= 8.1' },
    steps: [...saveThenRestore({ uri: '$FILE_URI', stopped: true }), cmd(D, 'query-migrate')],
  },
  {
    name: 'file-cpr-reboot-save-then-restore',
    description: 'mode cpr-reboot and x-ignore-shared on both sides, the source stopped, saved into a file (cpr-tests.c: mode/reboot): migrate answers with the VM already in finish-migrate (migration_connect stops it, in setup); a destination started later loads it and stays paused; cont runs it. (The qtest shares guest RAM in a memory file; here RAM is private and copied whole: the statuses are the same.)',
    destinationLater: true,
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'mode is QEMU >= 8.2, file: >= 8.1' },
    steps: saveThenRestore({ uri: '$FILE_URI', stopped: true, caps: ['x-ignore-shared'], params: { mode: 'cpr-reboot' } }),
  },
  {
    name: 'file-offset-save-then-restore',
    description: 'Live save into a file at offset 0x1000 (file-tests.c: precopy/file/offset): completes; the later destination loads from the same offset and runs.',
    destinationLater: true,
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'file: is QEMU >= 8.1' },
    steps: saveThenRestore({ uri: '$FILE_OFFSET_URI' }),
  },
  {
    name: 'file-mapped-ram-save-then-restore',
    description: 'Live save with mapped-ram and multifd into a file (file-tests.c: multifd/file/mapped-ram/live): completes; the later destination, with the same capabilities, loads it and runs.',
    destinationLater: true,
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'mapped-ram is QEMU >= 9.0' },
    steps: saveThenRestore({ uri: '$FILE_URI', caps: ['multifd', 'mapped-ram'] }),
  },
  {
    name: 'file-mapped-ram-dio-save-then-restore',
    description: 'The same with direct-io on both sides (file-tests.c: multifd/file/mapped-ram/dio): the file is opened O_DIRECT for the multifd channels.',
    destinationLater: true,
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'direct-io is QEMU >= 9.1' },
    steps: saveThenRestore({ uri: '$FILE_URI', caps: ['multifd', 'mapped-ram'], params: { 'direct-io': true } }),
  },
  {
    name: 'auto-converge-throttle',
    description:
      "migration-test's auto_converge on a guest that dirties 576 KiB a round (qemu/guest-firmware.ts): auto-converge, cpu-throttle-initial 5, increment 25, max 95, pause-before-switchover, 200 kB/s; query-migrate until cpu-throttle-percentage shows (each reply within the model's bounds); the limit lifted: pre-switchover, where the percentage is still within them; migrate-continue: completed, the destination running.",
    firmware: 'dirty-loop',
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: "7.2's first pass at a rate slow enough not to converge takes over 20 s on the 64 MiB guest before any throttling" },
    steps: [
      caps(S, 'events', 'auto-converge', 'pause-before-switchover'),
      caps(D, 'events'),
      params(S, { 'cpu-throttle-initial': 5, 'cpu-throttle-increment': 25, 'max-cpu-throttle': 95, 'max-bandwidth': 200_000 }),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'active', 'running'),
      { wait: { vm: S, throttle: true, timeoutMs: 30_000 } },
      params(S, { 'max-bandwidth': 0 }),
      wait(S, 'pre-switchover', 'finish-migrate', 30_000),
      cmd(S, 'query-migrate'),
      cmd(S, 'migrate-continue', { state: 'pre-switchover' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
    ],
  },
  {
    name: 'dirty-rate',
    description:
      'calc-dirty-rate on a running source under TCG: out-of-range calc-time and sample-pages refused, a page-sampling measurement taken, a second one (after it ended) too; set-vcpu-dirty-limit refused (no KVM dirty ring), cancel-vcpu-dirty-limit taken; on 10.0 mode dirty-ring refused and dirty-bitmap taken; then a precopy completes as ever.',
    steps: [
      caps(S, 'events'),
      caps(D, 'events'),
      cmd(S, 'calc-dirty-rate', { 'calc-time': 0 }),
      cmd(S, 'calc-dirty-rate', { 'calc-time': 1, 'sample-pages': 100 }),
      cmd(S, 'calc-dirty-rate', { 'calc-time': 1 }),
      cmd(S, 'query-dirty-rate'),
      { sleep: 1500 },
      cmd(S, 'calc-dirty-rate', { 'calc-time': 1, mode: 'page-sampling', 'sample-pages': 128 }),
      { sleep: 1500 },
      cmd(S, 'calc-dirty-rate', { 'calc-time': 1, mode: 'dirty-ring' }, { only: ['qemu-10.0', 'qemu-master'] }),
      cmd(S, 'calc-dirty-rate', { 'calc-time': 1, mode: 'dirty-bitmap', 'sample-pages': 512 }, { only: ['qemu-10.0', 'qemu-master'] }),
      cmd(S, 'calc-dirty-rate', { 'calc-time': 1, mode: 'dirty-bitmap' }, { only: ['qemu-10.0', 'qemu-master'] }),
      cmd(S, 'set-vcpu-dirty-limit', { 'dirty-rate': 100 }),
      cmd(S, 'cancel-vcpu-dirty-limit'),
      cmd(S, 'query-vcpu-dirty-limit'),
      { sleep: 1500 },
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'completed', 'postmigrate'),
      wait(D, 'completed', 'running'),
    ],
  },
  {
    name: 'dirty-rate-bitmap-crash-7.2',
    description: "calc-dirty-rate mode dirty-bitmap under TCG: QEMU 7.2 dies (kvm_dirty_ring_enabled reads the NULL kvm_state), with no reply; the destination stays as it was.",
    only: { profiles: ['qemu-7.2'], why: '10.0 tests kvm_state first: dirty-bitmap is taken (dirty-rate)' },
    steps: [
      cmd(S, 'calc-dirty-rate', { 'calc-time': 1, mode: 'dirty-bitmap' }),
      waitExit(S),
      cmd(D, 'query-migrate'),
    ],
  },
  {
    name: 'fdset-missing',
    description:
      "The fd set commands and a file: URI naming a set the monitor lacks (file-tests.c's fdset cases, the errors): add-fd with no fd passed, remove-fd of no set, query-fdsets empty; migrate-incoming file:/dev/fdset/3 leaves the destination in setup and migrate to it fails, each with \"Failed to find fdset\".",
    incoming: 'defer',
    only: { profiles: ['qemu-10.0', 'qemu-master'], why: 'file: is QEMU >= 8.1, and add-fd is modelled where a file: URI can name a set' },
    steps: [
      caps(S, 'events'),
      caps(D, 'events'),
      cmd(S, 'query-fdsets'),
      cmd(S, 'add-fd', { 'fdset-id': 1 }),
      cmd(S, 'remove-fd', { 'fdset-id': 1 }),
      cmd(S, 'remove-fd', { 'fdset-id': 1, fd: 3 }),
      cmd(D, 'add-fd', {}),
      cmd(D, 'query-fdsets'),
      cmd(D, 'migrate-incoming', { uri: 'file:/dev/fdset/3,offset=4096' }),
      cmd(D, 'query-migrate'),
      cmd(S, 'migrate', { uri: 'file:/dev/fdset/3,offset=4096' }),
      wait(S, 'failed', 'running'),
      cmd(S, 'query-fdsets'),
    ],
  },
  {
    name: 'colo',
    description: 'x-colo on both sides without any replication setup: both sides reach colo; probes; x-colo-lost-heartbeat on the source.',
    only: { profiles: ONLY_72, why: WHY_COLO_72 },
    steps: [
      ...coloBoth,
      ...srcProbes('colo', [...ALWAYS, 'caps-events', 'pause', 'recover', 'resume', 'incoming', 'start-postcopy', 'continue-here', 'cancel']),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover']),
      cmd(S, 'x-colo-lost-heartbeat', undefined, { racy: true }),
      wait(S, 'completed'),
    ],
  },
  {
    name: 'colo-10.0',
    description:
      "x-colo on both sides without any replication setup, on 10.0: the source completes like any precopy (its COLO never starts), the destination enters colo alone and runs; probes on both; x-colo-lost-heartbeat on the source is refused (not in COLO mode), and the destination stays in colo.",
    only: { profiles: ONLY_10, why: WHY_10 },
    steps: [
      ...coloBoth10,
      ...srcProbes('completed', SRC_IDLE),
      ...dstProbes([...DST_ANY, 'incoming', 'pause', 'recover']),
      cmd(S, 'x-colo-lost-heartbeat'),
      { sleep: 500 },
      wait(D, 'colo', 'running'),
    ],
  },
  {
    name: 'prelaunch-cont',
    description: 'A source started with -S: probes in prelaunch, cont runs it; migrate to a refused port: failed.',
    sourcePaused: true,
    steps: [...srcProbes('none', [...SRC_IDLE, 'stop']), cmd(S, 'cont'), cmd(S, 'migrate', { uri: '$REFUSED_URI' }), wait(S, 'failed', 'running')],
  },
  {
    name: 'postcopy-stopped-source',
    description: 'Postcopy started while the source is stopped: paused -> finish-migrate; completes; the source ends postmigrate.',
    destinationPaused: true,
    steps: [
      ...postcopyHeldActive,
      cmd(S, 'stop'),
      ...startPostcopy('paused'),
      unthrottle({ racy: true }),
      wait(S, 'completed', 'postmigrate', 30_000),
      wait(D, 'completed', 'paused'),
    ],
  },
  {
    name: 'pre-switchover-stopped-cancel',
    description: 'A stopped source reaches pre-switchover; migrate_cancel: cancelled, and the source stays stopped (postmigrate).',
    only: { profiles: ONLY_72, why: '10.0 puts back the run state the VM had before the migration (migration_iteration_finish: vm_old_state), so the source ends paused, not postmigrate (pre-switchover-stopped-cancel-10.0)' },
    steps: [...stoppedPreSwitchoverCancel('postmigrate'), cmd(S, 'cont')],
  },
  {
    name: 'pre-switchover-stopped-cancel-10.0',
    description: 'A stopped source reaches pre-switchover; migrate_cancel: cancelled, and the source is paused again, the run state it had (10.0: vm_old_state); the destination exits; cont runs it.',
    only: { profiles: ONLY_10, why: WHY_10 },
    steps: [...stoppedPreSwitchoverCancel('paused'), cmd(S, 'cont'), wait(S, 'cancelled', 'running')],
  },
  {
    name: 'colo-destination-failover',
    description: 'COLO on both sides; x-colo-lost-heartbeat on the destination (secondary failover): it completes and runs.',
    only: { profiles: ONLY_72, why: WHY_COLO_72 },
    steps: [
      ...coloBoth,
      cmd(D, 'x-colo-lost-heartbeat', undefined, { racy: true }),
      wait(D, 'completed', 'running'),
    ],
  },
  {
    name: 'colo-destination-failover-10.0',
    description: 'x-colo on both sides, on 10.0: the source completes, the destination enters colo alone; x-colo-lost-heartbeat on the destination (secondary failover): it completes and runs.',
    only: { profiles: ONLY_10, why: WHY_10 },
    steps: [...coloBoth10, cmd(D, 'x-colo-lost-heartbeat'), wait(D, 'completed', 'running')],
  },

];

/**
 * Scenarios that need KVM (qemu/vm.ts: kvmUsable), run only where it is usable. COLO checkpoints:
 * under TCG 7.2's primary deadlocks after its first checkpoint (docs/findings.md F7), with KVM the
 * checkpoints run. `x-checkpoint-delay` 100 ms makes one come every 100 ms. During a checkpoint each
 * side's VM is stopped in run state `colo` while the state goes across, with the BQL released at
 * times (migration/colo.c: colo_do_checkpoint_transaction, colo_incoming_process_checkpoint). So
 * polling each side until it reads `colo`, then `running`, catches a checkpoint in progress and
 * its end.
 */
export const KVM_SCENARIOS: Scenario[] = [
  {
    name: 'colo-checkpoint-kvm',
    description: 'KVM: COLO with a checkpoint every 100 ms; each side caught in a checkpoint (run state colo) and out of it; x-colo-lost-heartbeat on the source.',
    accel: 'kvm',
    steps: [
      caps(S, 'events', 'x-colo'),
      caps(D, 'events', 'x-colo'),
      params(S, { 'x-checkpoint-delay': 100 }),
      cmd(S, 'migrate', { uri: '$DST_URI' }),
      wait(S, 'colo'),
      wait(D, 'colo'),
      wait(S, 'colo', 'colo'),
      wait(S, 'colo', 'running'),
      wait(D, 'colo', 'colo'),
      wait(D, 'colo', 'running'),
      cmd(S, 'x-colo-lost-heartbeat', undefined, { racy: true }),
      wait(S, 'completed', 'running'),
    ],
  },
];

export function scenarioNames(): string[] {
  return [...SCENARIOS, ...KVM_SCENARIOS].map((s) => s.name);
}
