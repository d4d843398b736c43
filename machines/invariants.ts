// Named invariants over the composed pair (source, destination, channel). Each says why it must hold
// and which QEMU code it comes from. Some hold only where QEMU enforces them (`scoped`): which
// profiles claim those, and which violations are known findings, is profile data
// (Profile.invariants), so a new QEMU version needs its profile file and nothing here. `holdsIn`
// says where an invariant is claimed. The explorer (explore-pair.ts) checks every claimed invariant
// in every reachable state; the property tests check them after every step. Pure: no I/O.
import type { KnownViolation, Profile, SideState } from './profile.ts';
import type { PairState } from './pair.ts';
import { stepPair } from './pair.ts';
import type { SideSnapshot } from './side.ts';
import { decide } from './rules.ts';
import { within } from './chart.ts';
import type { MigrationStatus, Side } from './vocabulary.ts';

export interface Invariant {
  name: string;
  /** One sentence: why QEMU guarantees it. */
  why: string;
  /** The QEMU code it comes from. */
  ref: string;
  /**
   * Held only where QEMU enforces it: claimed in the profiles that list it (Profile.invariants.claims).
   * Otherwise claimed in every profile.
   */
  scoped?: boolean;
  /** Where it does not hold, and why that is QEMU's behaviour rather than a model error. */
  scopeNote?: string;
  holds(s: PairState, p: Profile): boolean;
}

const MC = 'migration/migration.c';
const CO = 'migration/colo.c';

/** Outgoing statuses in which migration_is_running() is true (any profile's superset, without colo). */
const SRC_RUNNING: readonly MigrationStatus[] = [
  'setup', 'wait-unplug', 'active', 'pre-switchover', 'device', 'postcopy-device', 'postcopy-active', 'postcopy-paused',
  'postcopy-recover-setup', 'postcopy-recover', 'cancelling', 'failing',
];
const POSTCOPY: readonly MigrationStatus[] = ['postcopy-device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover-setup', 'postcopy-recover'];

/**
 * Whether a migration is in progress on a side, as QEMU's bookkeeping sees it: from `migrate`
 * (source) or `migrate-incoming` / `-incoming URI` (destination) until migration cleanup
 * (migrate_fd_cleanup / migration_incoming_state_destroy). COLO keeps the migration alive.
 */
export function migrationInProgress(c: SideState): boolean {
  if (c.side === 'source') return !['none', 'completed', 'cancelled', 'failed'].includes(c.status);
  return c.incomingStarted && !['completed', 'failed'].includes(c.status);
}

/**
 * Whether the `migration` yank instance is registered: from `migrate` / `migrate-incoming` until
 * migration cleanup. On the source the completed status is set before migrate_fd_cleanup
 * (migration_cleanup) runs, while the VM is still in finish-migrate.
 */
export function yankExpected(c: SideState): boolean {
  // completed, and (7.2) failed in finish-migrate: migration_completion set it, migrate_fd_cleanup has not run yet (F8, F10)
  return migrationInProgress(c) || (c.side === 'source' && (c.status === 'completed' || c.status === 'failed') && c.runstate === 'finish-migrate');
}

/** A capability change that nothing but the migration state can refuse: toggle `events`. */
export function capabilityToggle(c: SideState): { capabilities: { capability: string; state: boolean }[] } {
  return { capabilities: [{ capability: 'events', state: !c.caps.includes('events') }] };
}

// Side-only checks are cached per (profile, context object): contexts are immutable and shared.
function memoSide(f: (c: SideState, p: Profile) => boolean): (c: SideState, p: Profile) => boolean {
  const cache = new WeakMap<Profile, WeakMap<SideState, boolean>>();
  return (c, p) => {
    let m = cache.get(p);
    if (!m) cache.set(p, (m = new WeakMap()));
    let v = m.get(c);
    if (v === undefined) m.set(c, (v = f(c, p)));
    return v;
  };
}

const ctxOf = (s: PairState, vm: Side): SideState | null => s[vm]?.context ?? null;
/** Holds on each live side. */
const eachSide = (f: (c: SideState, p: Profile) => boolean) => (s: PairState, p: Profile) =>
  (!s.source || f(s.source.context, p)) && (!s.destination || f(s.destination.context, p));

const mirrorCache = new WeakMap<SideSnapshot, boolean>();
/** The chart configuration and the context mirror agree (cached per snapshot: snapshots are immutable). */
function mirrorHolds(snap: SideSnapshot): boolean {
  let v = mirrorCache.get(snap);
  if (v === undefined) {
    const val = snap.value as Record<string, unknown>;
    const c = snap.context;
    const coloValue = c.colo.split('.').reduceRight<unknown>((acc, k) => (acc === null ? k : { [k]: acc }), null);
    v = val.status === c.status && val.run === c.runstate && val.failover === c.failover && val.rp === c.rp && snap.matches({ colo: coloValue } as never);
    mirrorCache.set(snap, v);
  }
  return v;
}

const capChangeRefused = memoSide((c, p) => !decide(p, c, 'migrate-set-capabilities', capabilityToggle(c)).allowed);

/** COLO checkpoint states that can face each other while both COLO threads run (colo.c message order). */
const LOCKSTEP: readonly (readonly [string, string])[] = [
  ['primary.waiting-ready', 'secondary.starting'],
  ['primary.running', 'secondary.running'],
  ['primary.checkpoint.request-sent', 'secondary.checkpoint.stopped'],
  ['primary.checkpoint.stopped', 'secondary.checkpoint.replied'],
  ['primary.checkpoint.sending-ram', 'secondary.checkpoint.loading-ram'],
  ['primary.checkpoint.sending-device', 'secondary.checkpoint.receiving-device'],
  ['primary.checkpoint.waiting-loaded', 'secondary.checkpoint.loading-device'],
];

export const INVARIANTS: readonly Invariant[] = [
  {
    name: 'mirror-matches-chart',
    why: 'The data the rules read (status, run state, COLO, failover, return path) is the configuration of the charts, so the rule table and the charts can never disagree about where a process is.',
    ref: `${MC}: MigrationState.state / runstate.c: current_run_state (one variable each; the model mirrors them)`,
    holds: (s) => (!s.source || mirrorHolds(s.source)) && (!s.destination || mirrorHolds(s.destination)),
  },
  {
    name: 'exited-takes-no-commands',
    why: 'A QEMU process that exited has no monitor: nothing it is sent is answered and nothing changes.',
    ref: 'monitor/qmp.c (the monitor lives in the process; exit(EXIT_FAILURE) in process_incoming_migration_co ends it)',
    holds: (s, p) =>
      (['source', 'destination'] as const).every((vm) => {
        if (s[vm]) return true;
        const r = stepPair(p, s, { type: 'qmp', vm, command: 'query-status' });
        return !r.changed && r.state === s && !!r.reply && 'exited' in r.reply;
      }),
  },
  {
    name: 'channel-needs-both-processes',
    why: 'A connected migration socket has a live process at each end; when one dies the other sees EOF and the channel is broken.',
    ref: 'io/channel-socket.c: qio_channel_socket_readv (EOF / EPIPE after the peer exits)',
    holds: (s) => s.channel.value !== 'connected' || (!!s.source && !!s.destination),
  },
  {
    name: 'rp-thread-only-while-migrating',
    why: 'The source return-path thread is started when the outgoing channel connects and joined at completion or cleanup, so it only runs while an outgoing migration runs.',
    ref: `${MC}: open_return_path_on_source / await_return_path_close_on_source / migrate_fd_cleanup`,
    holds: (s) => ctxOf(s, 'source')?.rp !== 'running' || SRC_RUNNING.includes(s.source!.context.status),
  },
  {
    name: 'rp-thread-needs-capability',
    why: 'The return-path thread is only opened when postcopy-ram or return-path is enabled.',
    ref: `${MC}: migrate_fd_connect (if migrate_postcopy_ram() || migrate_return_path()) -> open_return_path_on_source`,
    holds: (s) => {
      const c = ctxOf(s, 'source');
      return c?.rp !== 'running' || c.caps.includes('return-path') || c.caps.includes('postcopy-ram');
    },
  },
  {
    name: 'dst-rp-open-only-while-loading',
    why: 'The destination opens to_src_file on MIG_CMD_OPEN_RETURN_PATH during the load and closes it in migration_incoming_state_destroy, so it is open only while an incoming migration (or COLO) runs.',
    ref: `migration/savevm.c: loadvm_process_command (MIG_CMD_OPEN_RETURN_PATH); ${MC}: migration_incoming_state_destroy`,
    holds: (s) => {
      const c = ctxOf(s, 'destination');
      return c?.rp !== 'open' || ['active', 'colo', ...POSTCOPY].includes(c.status);
    },
  },
  {
    name: 'source-colo-iff-primary',
    why: 'The source status is colo exactly while the COLO primary runs (or its thread exited on an error and waits for a failover): query-colo-status derives the mode from the status.',
    ref: `${CO}: migrate_start_colo_process / colo_process_checkpoint; get_colo_mode`,
    scopeNote: 'QEMU >= 8.0 takes migrate_cancel in colo (migration_is_running counts it): the COLO thread leaves its loop and waits in colo_process_checkpoint (qemu_event_wait colo_exit_event) with the status cancelling, for good (docs/findings.md F11); so an exited COLO thread may face the status cancelling.',
    holds: (s) => {
      const c = ctxOf(s, 'source');
      return !c || (c.status === 'colo') === (within(c.colo, 'primary') || (c.colo === 'exited' && c.status !== 'cancelling'));
    },
  },
  {
    name: 'destination-colo-iff-secondary',
    why: 'The destination status is colo exactly while the COLO secondary runs (or its thread exited and waits for a failover).',
    ref: `${CO}: colo_process_incoming_thread; get_colo_mode`,
    holds: (s) => {
      const c = ctxOf(s, 'destination');
      return !c || (c.status === 'colo') === (within(c.colo, 'secondary') || c.colo === 'exited');
    },
  },
  {
    name: 'failover-completed-colo-none',
    why: 'A completed failover ends COLO on that side: the VM runs on its own and query-colo-status reports mode none.',
    ref: `${CO}: primary_vm_do_failover / secondary_vm_do_failover (COLO_EXIT)`,
    holds: eachSide((c) => c.failover !== 'completed' || c.colo === 'none'),
  },
  {
    name: 'failover-completed-remembers-mode',
    why: 'colo_do_failover records the mode COLO had in last_colo_mode before it ends, and nothing resets it.',
    ref: `${CO}: colo_do_failover (last_colo_mode = get_colo_mode())`,
    holds: eachSide((c) => c.failover !== 'completed' || c.lastMode === (c.side === 'source' ? 'primary' : 'secondary')),
  },
  {
    name: 'failover-in-progress-only-in-colo',
    why: 'A failover can only be requested in COLO (x-colo-lost-heartbeat checks the COLO mode) and is finished before the status leaves colo.',
    ref: `${CO}: qmp_x_colo_lost_heartbeat; migration/colo-failover.c: failover_request_active`,
    scopeNote: 'QEMU >= 8.0 takes migrate_cancel in colo: a failover requested before it finds no COLO mode in colo_do_failover (get_colo_mode: the state is cancelling), so primary_vm_do_failover never runs and the failover stays require/active with the status cancelling, for good (docs/findings.md F11).',
    holds: eachSide((c) => !['require', 'active', 'relaunch'].includes(c.failover) || c.status === 'colo' || (c.side === 'source' && c.status === 'cancelling' && c.parked)),
  },
  {
    name: 'destination-inmigrate-until-loaded',
    why: 'The destination VM stays in run state inmigrate until the load finishes: only process_incoming_migration_bh (or postcopy run / COLO) moves it.',
    ref: `${MC}: process_incoming_migration_bh; migration/savevm.c: loadvm_postcopy_handle_run_bh`,
    holds: (s) => {
      const c = ctxOf(s, 'destination');
      return !c || !['none', 'setup', 'active'].includes(c.status) || c.runstate === 'inmigrate';
    },
  },
  {
    name: 'listening-implies-started',
    why: 'A destination listens only through migrate-incoming / -incoming (which set the once flag) or migrate-recover after such a start.',
    ref: `${MC}: qmp_migrate_incoming (once) / qmp_migrate_recover`,
    holds: (s) => {
      const c = ctxOf(s, 'destination');
      return !c || !c.listening || c.incomingStarted;
    },
  },
  {
    name: 'source-caps-frozen-while-migrating',
    why: 'qmp_migrate_set_capabilities refuses any change while migration_is_running() on the outgoing side.',
    ref: 'migration/options.c (7.2: migration/migration.c): qmp_migrate_set_capabilities -> migration_is_running',
    holds: (s, p) => {
      const c = ctxOf(s, 'source');
      return !c || !SRC_RUNNING.includes(c.status) || capChangeRefused(c, p);
    },
  },
  {
    name: 'source-caps-frozen-in-colo',
    why: 'Changing capabilities under a running COLO primary would change the checkpoint protocol mid-stream; QEMU >= 8.0 refuses it (migration_in_colo_state).',
    ref: 'migration/options.c: qmp_migrate_set_capabilities (migration_is_running || migration_in_colo_state)',
    scoped: true,
    scopeNote: 'QEMU 7.2 migration_is_running() leaves out MIGRATION_STATUS_COLO, so 7.2 accepts capability changes on a COLO primary.',
    holds: (s, p) => {
      const c = ctxOf(s, 'source');
      return !c || c.status !== 'colo' || capChangeRefused(c, p);
    },
  },
  {
    name: 'destination-caps-frozen-while-incoming',
    why: 'The proposed design blocks capability changes from migrate-incoming until the incoming migration ends, on the destination too.',
    ref: 'thread 000 (Thread-ify precopy vmstate load): migration_is_running covering the incoming side',
    scoped: true,
    scopeNote: 'Released QEMU only looks at the outgoing state: a destination accepts capability changes during an incoming migration.',
    holds: (s, p) => {
      const c = ctxOf(s, 'destination');
      return !c || !migrationInProgress(c) || capChangeRefused(c, p);
    },
  },
  {
    name: 'yank-iff-migration',
    why: 'The migration yank instance is registered by migrate / migrate-incoming and unregistered by migration cleanup, so it exists exactly while a migration (or COLO) is in progress on that side, and on a completed (7.2: or failed in finish-migrate) source until its cleanup.',
    ref: `${MC}: qmp_migrate / qmp_migrate_incoming (yank_register_instance); migrate_fd_cleanup / migration_incoming_state_destroy (yank_unregister_instance)`,
    holds: eachSide((c) => c.yankRegistered === yankExpected(c)),
  },
  {
    name: 'blocked-iff-migration',
    why: 'In the proposed design the configuration operations are blocked from migrate / migrate-incoming until the migration ends on that side, and never otherwise.',
    ref: 'thread 000 (Thread-ify precopy vmstate load): blocked operations',
    scoped: true,
    scopeNote: 'Released QEMU has no block list (it tests the status instead); the list stays empty there.',
    holds: eachSide((c) => c.blocked.length > 0 === migrationInProgress(c)),
  },
  {
    name: 'colo-needs-x-colo',
    why: 'COLO starts only when x-colo is set on the source (migrate_colo) and the destination learned it (MIG_CMD_ENABLE_COLO in 7.2, its own x-colo later).',
    ref: `${MC}: migration_iteration_finish (migrate_colo()); ${CO}: migration_incoming_enable_colo`,
    holds: (s) => {
      const src = ctxOf(s, 'source');
      const dst = ctxOf(s, 'destination');
      return (!src || src.status !== 'colo' || src.caps.includes('x-colo')) && (!dst || dst.status !== 'colo' || dst.coloEnabled);
    },
  },
  {
    name: 'postcopy-needs-capability',
    why: 'Postcopy can only be started with postcopy enabled (qmp_migrate_start_postcopy), and the destination only listens for postcopy with postcopy-ram.',
    ref: `${MC}: qmp_migrate_start_postcopy (migrate_postcopy()); migration/savevm.c: loadvm_postcopy_handle_listen`,
    holds: (s) => {
      const src = ctxOf(s, 'source');
      const dst = ctxOf(s, 'destination');
      return (!src || !POSTCOPY.includes(src.status) || src.caps.includes('postcopy-ram') || src.caps.includes('dirty-bitmaps')) &&
        (!dst || !POSTCOPY.includes(dst.status) || dst.caps.includes('postcopy-ram'));
    },
  },
  {
    name: 'postcopy-status-implies-started',
    why: 'The source enters a postcopy status only through postcopy_start, which records that the destination may already run (a cancel cannot restart the source VM).',
    ref: `${MC}: postcopy_start`,
    holds: (s) => {
      const c = ctxOf(s, 'source');
      return !c || !POSTCOPY.includes(c.status) || c.postcopyStarted;
    },
  },
  {
    name: 'finish-migrate-only-while-migrating',
    why: 'The source VM is stopped into finish-migrate by the migration thread at completion (or postcopy start) and leaves it at cleanup, never before a migration started.',
    ref: `${MC}: migration_completion / postcopy_start (vm_stop_force_state(RUN_STATE_FINISH_MIGRATE)); migration_iteration_finish`,
    scopeNote: 'QEMU without the failing status (7.2) sets failed in migration_completion (fail:) and restarts the VM only afterwards in migration_iteration_finish, so failed/finish-migrate is seen until that cleanup (the 7.2 path runs saw it: docs/findings.md F10); with failing (>= 9.x) failed comes at cleanup.',
    holds: (s, p) => {
      const c = ctxOf(s, 'source');
      const ended = p.statuses.source.includes('failing') ? ['none', 'setup', 'wait-unplug', 'cancelled', 'failed'] : ['none', 'setup', 'wait-unplug', 'cancelled'];
      return !c || c.runstate !== 'finish-migrate' || !ended.includes(c.status);
    },
  },
  {
    name: 'source-colo-has-partner',
    why: 'The primary enters COLO only after the stream reached the secondary, which enters COLO from the same stream; while the channel is up both are in COLO.',
    ref: `${CO}: migrate_start_colo_process / colo_process_incoming_thread`,
    holds: (s) => ctxOf(s, 'source')?.status !== 'colo' || s.channel.value !== 'connected' || ctxOf(s, 'destination')?.status === 'colo',
  },
  {
    name: 'colo-checkpoint-lockstep',
    why: 'Every COLOMessage leaves one side and is awaited by the other, so while both COLO threads run their checkpoint states face each other in a fixed order.',
    ref: `${CO}: colo_do_checkpoint_transaction / colo_incoming_process_checkpoint (colo_send_message, colo_receive_check_message)`,
    holds: (s) => {
      const a = ctxOf(s, 'source')?.colo;
      const b = ctxOf(s, 'destination')?.colo;
      if (s.channel.value !== 'connected' || !a || !b || !within(a, 'primary') || !within(b, 'secondary')) return true;
      return LOCKSTEP.some(([x, y]) => x === a && y === b);
    },
  },
];

const checkedClaims = new WeakSet<Profile>();
/** A profile's claims and known violations name invariants that exist and can be claimed there; throws otherwise. */
export function checkClaims(p: Profile): void {
  if (checkedClaims.has(p)) return;
  for (const n of p.invariants.claims) {
    const inv = INVARIANTS.find((i) => i.name === n);
    if (!inv) throw new Error(`profile ${p.name}: claims unknown invariant '${n}'`);
    if (!inv.scoped) throw new Error(`profile ${p.name}: claims '${n}', which every profile claims (it is not scoped)`);
  }
  for (const k of p.invariants.knownViolations) {
    const inv = INVARIANTS.find((i) => i.name === k.invariant);
    if (!inv || !holdsIn(inv, p)) throw new Error(`profile ${p.name}: known violation of '${k.invariant}', which it does not claim`);
  }
  checkedClaims.add(p);
}

/** Whether an invariant is claimed in a profile. */
export function holdsIn(inv: Invariant, p: Profile): boolean {
  return !inv.scoped || p.invariants.claims.includes(inv.name);
}

export function invariantsFor(p: Profile): Invariant[] {
  checkClaims(p);
  return INVARIANTS.filter((i) => holdsIn(i, p));
}

/** The names of the claimed invariants that fail in a state. */
export function violated(s: PairState, p: Profile, list: readonly Invariant[] = invariantsFor(p)): string[] {
  return list.filter((i) => !i.holds(s, p)).map((i) => i.name);
}

/**
 * Claimed invariants the exploration finds violated in a profile, with what the counterexample
 * shows (Profile.invariants.knownViolations). The tests demand exactly these and fail when one is
 * fixed (remove it from the profile).
 */
export function knownViolations(p: Profile): readonly KnownViolation[] {
  checkClaims(p);
  return p.invariants.knownViolations;
}
