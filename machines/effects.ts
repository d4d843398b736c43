// Every named change to a side's data, whoever makes it: an accepted QMP command (a rule's
// `accept.effects`, profile.ts EffectName) or one of QEMU's own threads (a chart transition's
// `effects`, TransitionEffect). One table, so a change both make (autostartOn: qmp_cont and the
// COLO secondary's failover) is written once and cannot drift apart. Each entry is pure: it returns
// a new SideState and never mutates its input (contexts are shared and cached by identity).
import { CONFIG_OPS, type EffectName, type ParamValue, type SideState, type TransitionEffect, type Transport } from './profile.ts';
import type { QmpArguments } from './vocabulary.ts';

/** The NAME of an `fd:NAME` URI (null for another scheme or no URI). */
export function fdUriName(uri: unknown): string | null {
  return typeof uri === 'string' && uri.startsWith('fd:') ? uri.slice(3) : null;
}

/**
 * The file a file: URI (or the main channel's file address) names, without its `,offset=`: the
 * path migration/file.c opens (file_parse_offset cuts the offset off first). null for other schemes.
 */
export function fileUriPath(args: QmpArguments): string | null {
  if (typeof args.uri === 'string') {
    if (!args.uri.startsWith('file:')) return null;
    const path = args.uri.slice('file:'.length);
    const at = path.indexOf(',offset=');
    return at < 0 ? path : path.slice(0, at);
  }
  const channels = Array.isArray(args.channels) ? (args.channels as { 'channel-type'?: string; addr?: { transport?: string; filename?: unknown } }[]) : [];
  const main = channels.find((c) => c?.['channel-type'] === 'main') ?? channels[0];
  return main?.addr?.transport === 'file' && typeof main.addr.filename === 'string' ? main.addr.filename : null;
}

/**
 * Where a migrate / migrate-incoming / migrate-recover stream goes, from its `uri` or the main
 * channel of `channels` (migration/migration.c: migrate_uri_parse; file: and exec: have no QEMU at
 * the other end: migration/file.c, migration/exec.c).
 */
export function transportOf(args: QmpArguments): Transport {
  const uri = typeof args.uri === 'string' ? args.uri : undefined;
  if (uri !== undefined) return /^(file|exec):/.test(uri) ? 'file' : 'peer';
  const channels = Array.isArray(args.channels) ? (args.channels as { 'channel-type'?: string; addr?: { transport?: string } }[]) : [];
  const main = channels.find((c) => c?.['channel-type'] === 'main') ?? channels[0];
  const t = main?.addr?.transport;
  return t === 'file' || t === 'exec' ? 'file' : 'peer';
}

/**
 * migration/migration.c: migrate_mode_is_cpr: the mode parameter is set and not normal (cpr-reboot,
 * cpr-transfer, cpr-exec; profiles without it refuse to set it, so it stays absent there).
 */
export function cprModeOn(s: SideState): boolean {
  return typeof s.params.mode === 'string' && s.params.mode !== 'normal';
}

/** The name of any effect, command or transition. */
export type Effect = EffectName | TransitionEffect;

/** An effect: the side's data after it, given the command's arguments (`{}` for a transition). */
export type EffectFn = (s: SideState, args: QmpArguments) => SideState;

/** Capabilities after applying a migrate-set-capabilities argument list (assumed well-formed). */
export function capsAfter(s: SideState, args: QmpArguments): string[] {
  const set = new Set(s.caps);
  for (const c of (args.capabilities as { capability: string; state: boolean }[]) ?? []) {
    if (c.state) set.add(c.capability);
    else set.delete(c.capability);
  }
  return [...set].sort();
}

// `satisfies` over the union keeps the table total: a new effect name without an entry does not compile.
export const EFFECTS = {
  // --- made by commands ---
  // qmp_migrate_set_capabilities: the checks ran in the rule's conditions; this stores the result.
  setCaps: (s, args) => ({ ...s, caps: capsAfter(s, args) }),
  // migrate_params_apply: only the parameters given change.
  setParams: (s, args) => {
    const params: Record<string, ParamValue> = { ...s.params };
    // Stored as query-migrate-parameters reports it: every integer parameter is unsigned (a negative
    // integer is its two's complement, qobject_input_type_uint64), and a StrOrNull null is ""
    // (qmp_migrate_set_parameters rewrites it before migrate_params_apply).
    for (const [k, v] of Object.entries(args)) params[k] = typeof v === 'number' && Number.isInteger(v) && v < 0 ? Number(BigInt(v) + 2n ** 64n) : v === null ? '' : (v as ParamValue);
    return { ...s, params };
  },
  // qemu_start_incoming_migration opens the listener; exit-on-error (QEMU >= 9.1) defaults to true.
  listen: (s, args) => ({ ...s, listening: true, exitOnError: args['exit-on-error'] === false ? false : true, transport: transportOf(args) }),
  // qmp_migrate_incoming: its static `once` flag refuses a second call.
  markIncomingStarted: (s) => ({ ...s, incomingStarted: true }),
  // qmp_cont in inmigrate (and the COLO secondary's failover): start the VM when the load completes.
  autostartOn: (s) => ({ ...s, autostart: true }),
  // qmp_stop in inmigrate: stay paused after the load.
  autostartOff: (s) => ({ ...s, autostart: false }),
  // qmp_migrate_start_postcopy sets MigrationState.start_postcopy; the thread acts on it later.
  requestPostcopy: (s) => ({ ...s, startPostcopy: true }),
  // qmp_migrate with resume=true: the resume waits for its channel.
  requestResume: (s) => ({ ...s, resumeRequested: true }),
  // migrate_init resets the per-migration state of the previous run.
  startMigration: (s, args) => ({ ...s, startPostcopy: false, resumeRequested: false, pausePosted: false, cancelRequested: false, postcopyStarted: false, parked: false, transport: transportOf(args) }),
  // Proposed design (thread 000): configuration is blocked from migrate / migrate-incoming on.
  blockConfig: (s) => ({ ...s, blocked: [...CONFIG_OPS] }),
  // qmp_migrate / qmp_migrate_incoming: yank_register_instance(MIGRATION_YANK_INSTANCE).
  registerYank: (s) => ({ ...s, yankRegistered: true }),
  // qmp_migrate_continue / migrate_fd_cancel: qemu_sem_post(pause_sem).
  postPause: (s) => ({ ...s, pausePosted: true }),
  // migrate_fd_cancel (7.2): the cmpxchg to cancelling is still to land.
  requestCancel: (s) => ({ ...s, cancelRequested: true }),
  // The migration thread sleeps where nothing will wake it (postcopy_pause, colo_process_checkpoint).
  parkThread: (s) => ({ ...s, parked: true }),
  // qmp_getfd: the fd passed with the command under a name (one of that name is replaced).
  addFd: (s, args) => ({ ...s, fds: [...new Set([...s.fds, String(args.fdname)])].sort() }),
  // qmp_closefd: the named fd is closed.
  closeFd: (s, args) => ({ ...s, fds: s.fds.filter((x) => x !== args.fdname) }),
  // monitor_fdset_add_fd: the fd joins set `fdset-id`, or without one the lowest id no set has.
  addFdset: (s, args) => {
    const id = typeof args['fdset-id'] === 'number' ? args['fdset-id'] : freeFdsetId(s);
    const old = s.fdsets.find((x) => x.id === id);
    const rest = s.fdsets.filter((x) => x.id !== id);
    return { ...s, fdsets: [...rest, { id, fds: (old?.fds ?? 0) + 1 }].sort((a, b) => a.id - b.id) };
  },
  // qmp_remove_fd (QEMU >= 9.1): the fd (or, without `fd`, every fd) is closed at once, and the set
  // freed once empty (monitor_fdset_free_if_empty). A set a running migration still dups from stays
  // listed, empty, until that migration closes its fd (seen on the 10.0 binary): not modelled, as
  // the model does not keep which set a URI opened.
  removeFdset: (s, args) => {
    const id = args['fdset-id'];
    const left = (x: { id: number; fds: number }) => ('fd' in args ? x.fds - 1 : 0);
    return { ...s, fdsets: s.fdsets.flatMap((x) => (x.id !== id ? [x] : left(x) > 0 ? [{ id: x.id, fds: left(x) }] : [])) };
  },
  // monitor_get_fd (an fd:NAME URI): the fd is taken out of the monitor's list, so a second use fails.
  takeFd: (s, args) => {
    const name = fdUriName(args.uri);
    return name !== null && s.fds.includes(name) ? { ...s, fds: s.fds.filter((x) => x !== name) } : s;
  },

  // --- made by QEMU's threads ---
  // vm_stop_force_state (migration_completion / postcopy_start) records vm_old_state first.
  rememberRunState: (s) => ({ ...s, vmOldState: s.runstate }),
  // The postcopy / resume requests are used up or dropped (the migration failed, paused or resumed).
  clearMigrationRequests: (s) => ({ ...s, startPostcopy: false, resumeRequested: false }),
  // postcopy_pause_incoming closes the listener; migrate-recover opens a new one.
  stopListening: (s) => ({ ...s, listening: false }),
  // Proposed design: migration_cleanup / migration_incoming_state_destroy lift the blocks.
  unblockConfig: (s) => ({ ...s, blocked: [] }),
  // migrate_fd_cleanup / migration_incoming_state_destroy: yank_unregister_instance.
  unregisterYank: (s) => ({ ...s, yankRegistered: false }),
  // colo_do_failover: last_colo_mode = get_colo_mode() (never reset afterwards).
  setLastMode: (s) => ({ ...s, lastMode: s.side === 'source' ? 'primary' : 'secondary' }),
  // 7.2: migration_incoming_enable_colo (MIG_CMD_ENABLE_COLO); later: process_incoming_migration_co (migrate_colo).
  enableColo: (s) => ({ ...s, coloEnabled: true }),
  // migration_maybe_pause: qemu_sem_wait(pause_sem) takes the posted token.
  consumePause: (s) => ({ ...s, pausePosted: false }),
  // migrate_fd_cancel (7.2): the cmpxchg to cancelling landed.
  consumeCancel: (s) => ({ ...s, cancelRequested: false }),
  // postcopy_start: the destination may run from here on, so a cancel cannot restart the source VM.
  enterPostcopy: (s) => ({ ...s, postcopyStarted: true }),
  // global_state_post_load: the source's run state as sent in the globalstate section.
  globalStatePaused: (s) => ({ ...s, globalState: 'paused' }),
  globalStatePrelaunch: (s) => ({ ...s, globalState: 'prelaunch' }),
  // global_state_post_load (QEMU >= 9.0): vm_set_suspended(vm_was_suspended || state == SUSPENDED).
  globalStateSuspended: (s) => ({ ...s, wasSuspended: true }),
  // 7.2 migration_completion / postcopy_start: qemu_system_wakeup_request sets running before
  // vm_old_state is read, so a suspended guest is remembered (and later restarted) as running.
  wakeRememberRunState: (s) => ({ ...s, vmOldState: 'running' }),
  // do_vm_stop from suspended (QEMU >= 9.0): vm_was_suspended = true.
  markSuspended: (s) => ({ ...s, wasSuspended: true }),
  // cpr_state_load returned (-incoming cpr): qemu_init goes on and the monitor comes up.
  cprLoaded: (s) => ({ ...s, cprLoading: false }),
  // qemu_init -> qmp_migrate_incoming for -incoming URI, once the cpr state is loaded: as the command
  // (migrate-incoming.start) does: it listens, `once` is set, the yank instance registered.
  cprStartIncoming: (s) => ({ ...s, listening: true, incomingStarted: true, yankRegistered: true, transport: 'peer' }),
  // vm_prepare_start (QEMU >= 9.0): the VM started again (suspended or running); vm_was_suspended = false.
  clearSuspended: (s) => ({ ...s, wasSuspended: false }),
} satisfies Record<Effect, EffectFn> as Readonly<Record<Effect, EffectFn>>;

/** monitor_fdset_add_fd without an fdset-id: the first id after the run of ids from 0 the sets have. */
export function freeFdsetId(s: SideState): number {
  let id = 0;
  for (const x of s.fdsets) {
    if (x.id !== id) break;
    id++;
  }
  return id;
}

/** Applies effects in order (a row's or transition's list); `args` are the command's, `{}` for a transition. */
export function applyEffects(s: SideState, effects: readonly Effect[] | undefined, args: QmpArguments = {}): SideState {
  let out = s;
  for (const e of effects ?? []) out = EFFECTS[e](out, args);
  return out;
}
