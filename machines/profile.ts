// A profile is data: the statuses a QEMU version has, its command rules (in the order QEMU checks
// them), its capabilities and parameters, and the transitions its threads take. `qemu-master` and
// `proposed` are written as deltas on another profile, so a diff between profiles is computed.
import type { ColoMode, IncomingMode, MigrationStatus, RunState, Side, InternalEventType } from './vocabulary.ts';

export type ChartName = 'source-status' | 'destination-status' | 'run-state' | 'colo' | 'failover' | 'return-path';

/** Plain data view of one QEMU process as far as the rules look at it. */
export interface SideState {
  side: Side;
  status: MigrationStatus;
  runstate: RunState;
  /** Enabled capabilities, sorted. */
  caps: readonly string[];
  /** Parameters changed from their defaults (name -> value as set). */
  params: Readonly<Record<string, ParamValue>>;
  /** Destination: how -incoming was given; source: null. */
  incoming: IncomingMode | null;
  /** Destination: a listener is open (migrate-incoming, -incoming URI, migrate-recover). */
  listening: boolean;
  /** Destination: qmp_migrate_incoming's `once` flag has been used. */
  incomingStarted: boolean;
  /** Destination: vm_start after the load (qmp_cont/qmp_stop in inmigrate flip it). */
  autostart: boolean;
  /** Source: migrate-start-postcopy was requested (MigrationState.start_postcopy). */
  startPostcopy: boolean;
  /** Source: `migrate` with resume=true was accepted and waits for its channel. */
  resumeRequested: boolean;
  /** Source: run state to restore when a migration fails or is cancelled (vm_old_state). */
  vmOldState: RunState;
  /** Destination: migrate-incoming's exit-on-error (QEMU >= 9.1; 7.2 always exits). */
  exitOnError: boolean;
  /**
   * Operations blocked from a point of the migration on (the "blocked operations" design of
   * thread 000). Empty in profiles of released QEMU, which use the status as a proxy instead.
   */
  blocked: readonly string[];
  /** Mirror of the COLO chart (leaf path, e.g. 'primary.checkpoint.stopped'). */
  colo: string;
  /** Mirror of the failover chart (FailoverStatus). */
  failover: string;
  /** Mirror of the return-path chart. */
  rp: string;
  /** Source: migrate-continue posted pause_sem (migration_maybe_pause takes it). */
  pausePosted: boolean;
  /**
   * Source (7.2): migrate_cancel in pre-switchover posted pause_sem and its cmpxchg to cancelling
   * has not landed yet: the migration thread may first move to device (a race inside the command).
   */
  cancelRequested: boolean;
  /** Source: postcopy_start ran for this migration (the VM cannot be resumed on cancel). */
  postcopyStarted: boolean;
  /**
   * Source: the migration thread sleeps and nothing will wake it, so no cleanup ever runs after a
   * migrate_cancel: in postcopy_pause or its resume handshake (7.2), or in colo_process_checkpoint
   * waiting for a failover that can no longer come (master, cancel in colo).
   */
  parked: boolean;
  /** Destination: the source's run state from the globalstate section (global_state.c). */
  globalState: RunState;
  /** colo.c: last_colo_mode, set by colo_do_failover and never reset. */
  lastMode: ColoMode;
  /** The `migration` yank instance is registered (qmp_migrate / qmp_migrate_incoming until cleanup). */
  yankRegistered: boolean;
  /** Destination, QEMU 7.2: MIG_CMD_ENABLE_COLO arrived in the stream (colo.c: migration_incoming_enable_colo). */
  coloEnabled: boolean;
  /**
   * Destination: the process's outgoing status, 'none' unless a refused `migrate` left it changed
   * (Reject.outgoing). migration/migration.c: qmp_query_migrate fills the destination's status,
   * then fill_source_migration_info overwrites it with any outgoing status but none.
   */
  outgoing: MigrationStatus;
  /**
   * The monitor's named fds (getfd; closefd and an `fd:NAME` URI take them back out), sorted. Each
   * process has one monitor here; QEMU keeps them per monitor (monitor/misc.c, monitor/fds.c).
   */
  fds: readonly string[];
  /**
   * The monitor's fd sets (add-fd, QEMU >= 8.1 in monitor/fds.c): each set's id and how many fds the
   * client added to it, sorted by id. A `file:/dev/fdset/N` URI dups an fd of set N
   * (monitor_fdset_dup_fd_add). Which fd numbers and access modes they are is the client's: beyond
   * the model. Empty in profiles that leave add-fd unmodelled.
   */
  fdsets: readonly Fdset[];
  /**
   * Where this process's stream goes (source) or comes from (destination), from the URI or channel
   * of its last migrate / migrate-incoming / migrate-recover: 'peer' (a socket, fd or rdma: another
   * QEMU at the other end), 'file' (file: or exec:, a file or a command: the stream is written
   * whole, or read whole, with no process at the other end: file_start_outgoing_migration,
   * exec_start_outgoing_migration), or 'none' before any.
   */
  transport: Transport;
  /**
   * The process's -uuid (null: none given). With validate-uuid on the source, the stream carries the
   * source's and the destination's load fails on another (migration/savevm.c: vmstate_uuid_needed,
   * vmstate_uuid_post_load).
   */
  uuid: string | null;
  /**
   * QEMU >= 9.0: vm_was_suspended (system/cpus.c). A VM stopped while suspended (do_vm_stop from
   * suspended), or loaded from a stream that says so (global_state_post_load), starts again
   * suspended (vm_prepare_start). Always false in 7.2, which has no such flag.
   */
  wasSuspended: boolean;
  /**
   * Destination started with `-incoming cpr,...` (cpr-transfer, QEMU >= 10.0): qemu_init waits in
   * cpr_state_load (migration/cpr.c) for the source's cpr state, before the monitor exists, so no
   * command reaches it until the source's migrate sends that state (the pair's cpr-transfer step).
   * The value is how -incoming gave the main channel, which is listened on only then: `incoming` is
   * fixed at the start and so not part of a state's key, and this is (state-key.ts). false once loaded.
   */
  cprLoading: false | 'defer' | 'uri';
}

export type Transport = 'none' | 'peer' | 'file';

/** One fd set on the monitor (monitor/fds.c: MonFdset): its id and the number of fds in it. */
export interface Fdset {
  id: number;
  fds: number;
}

/** A parameter's value as QMP carries it: numbers, strings, booleans; lists and objects (block-bitmap-mapping, cpr-exec-command). */
export type ParamValue = number | string | boolean | null | readonly ParamValue[] | { readonly [key: string]: ParamValue };

export type ArgTest =
  | 'present'
  | 'absent'
  | { equals: unknown }
  | { notEquals: unknown };

/** Names of predicates too rich for the plain fields of a Cond; implemented in rules.ts. */
export type CheckName =
  | 'capsArgMalformed'
  | 'capsArgUnknown'
  | 'capsConflict'
  | 'paramsArgUnknown'
  | 'paramsArgInvalid'
  | 'paramsFrozenWhileRunning'
  | 'capsFrozenWhileIncoming'
  | 'continueStateMismatch'
  | 'uriNotExactlyOne'
  | 'uriInvalid'
  | 'transportIncompatible'
  | 'hasPostcopy'
  | 'statusName'
  | 'yankInstancesMalformed'
  | 'yankUnknownInstance'
  | 'fdNameDigit'
  | 'fdNotHeld'
  | 'fdNameUnknown'
  | 'fdParamUnknown'
  | 'fileOffsetInvalid'
  | 'cprMode'
  | 'fdsetIdNegative'
  | 'fdsetNotHeld'
  | 'fdsetUnknown'
  | 'cprChannelMissing'
  | 'dirtyCalcTimeOutOfRange'
  | 'dirtySamplePagesNotSampling'
  | 'dirtySamplePagesOutOfRange';

/** A condition over a SideState and the command's arguments. All given fields must hold. */
export interface Cond {
  status?: readonly MigrationStatus[];
  notStatus?: readonly MigrationStatus[];
  runstate?: readonly RunState[];
  notRunstate?: readonly RunState[];
  /** Every listed capability has the given value. */
  caps?: Readonly<Record<string, boolean>>;
  ctx?: Partial<Pick<SideState, 'listening' | 'incoming' | 'incomingStarted' | 'autostart' | 'startPostcopy' | 'resumeRequested' | 'vmOldState' | 'exitOnError' | 'yankRegistered' | 'coloEnabled' | 'pausePosted' | 'cancelRequested' | 'postcopyStarted' | 'parked' | 'globalState' | 'wasSuspended' | 'cprLoading'>>;
  args?: Readonly<Record<string, ArgTest>>;
  check?: CheckName;
  /** The COLO / failover / return-path chart is in (or inside) one of these paths. */
  colo?: readonly string[];
  failover?: readonly string[];
  rp?: readonly string[];
  /** The operation is in SideState.blocked. */
  blocked?: string;
  anyOf?: readonly Cond[];
  not?: Cond;
}

/** Named changes an accepted command makes to the side's data (not to its charts). */
export type EffectName =
  | 'setCaps'
  | 'setParams'
  | 'listen'
  | 'markIncomingStarted'
  | 'autostartOn'
  | 'autostartOff'
  | 'requestPostcopy'
  | 'requestResume'
  | 'startMigration'
  | 'blockConfig'
  | 'registerYank'
  | 'postPause'
  | 'requestCancel'
  | 'parkThread'
  | 'addFd'
  | 'closeFd'
  | 'takeFd'
  | 'addFdset'
  | 'removeFdset'
  | 'markSuspended'
  | 'clearSuspended';

/** What an accepted command answers with: `{}` or a reply built from the state. */
export type ReplyName =
  | 'empty'
  | 'query-migrate'
  | 'query-migrate-capabilities'
  | 'query-migrate-parameters'
  | 'query-status'
  | 'query-colo-status'
  | 'add-fd'
  | 'query-fdsets';

export interface Reject {
  class: string;
  /** QEMU's exact text; `{name}` placeholders are filled by the rule's check. */
  desc: string;
  /**
   * The status QEMU leaves behind although it refuses: it changed the state before the check that
   * fails, and nothing puts it back (docs/findings.md F2). query-migrate then reports it.
   */
  status?: MigrationStatus;
  /**
   * A destination only: the outgoing status (MigrationState) such a refused `migrate` leaves. The
   * incoming migration goes on, and query-migrate reports the outgoing status, which QEMU fills in
   * after the incoming one (SideState.outgoing).
   */
  outgoing?: MigrationStatus;
}

export interface Accept {
  reply: ReplyName;
  /** The status this command moves the side to (a transition of the side's status chart). */
  status?: MigrationStatus;
  /** The run state this command moves the side to (a transition of the run-state chart). */
  runstate?: RunState;
  /** The failover status this command moves the side to (x-colo-lost-heartbeat). */
  failover?: string;
  /**
   * The process takes the other role: a destination whose incoming migration is over starts an
   * outgoing one (`status` is then the outgoing status it enters).
   */
  becomes?: Side;
  effects?: readonly EffectName[];
  /**
   * The command shuts the migration stream down (qemu_file_shutdown / qio_channel_shutdown), so its
   * effect reaches the channel and the other process: yank, migrate-pause, a cancel.
   */
  shutsChannel?: boolean;
  /** The status changes (its MIGRATION event is sent) before the VM stops or starts (STOP / RESUME). */
  statusFirst?: boolean;
}

/** One row of a profile's command table. Rows are checked in order; the first that matches decides. */
export interface Rule {
  id: string;
  side: Side | 'both';
  command: string;
  when?: Cond;
  reject?: Reject;
  accept?: Accept;
  /** The QEMU function (and file) whose check or action this row models. */
  ref: string;
  note?: string;
  /**
   * MIGRATION events the command sends before its reply whatever the `events` capability says
   * (QEMU 7.2: qemu_start_incoming_migration sends `setup` unconditionally, while query-migrate goes
   * on showing no status), accepted or not. Where the status change sends the same event, it is sent once.
   */
  alwaysSends?: readonly MigrationStatus[];
  /** The command sends MIGRATION for the unchanged status again (with the `events` capability): a migrate_set_state from a status to itself. */
  resendsStatus?: boolean;
  /**
   * An environment outcome: the row applies only where the machine is so (a port already in use).
   * The nominal answer (permitted, the matrix, the explorer) passes it over; trace inclusion takes
   * it as an answer QEMU may give.
   */
  env?: Environment;
  /**
   * QEMU dies handling this command (the pair removes the process). `afterReply`: the reply (or
   * error) of this row is sent first; otherwise the process dies before answering.
   */
  crash?: { afterReply: boolean; how: string };
}

/** What the machine QEMU runs on may be like, beyond the model: environment outcomes of commands (Rule.env). */
export const ENVIRONMENTS = ['port-in-use', 'no-fd-passed', 'dirty-rate-measuring'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A transition taken by QEMU's own threads (an internal event), as data. */
export interface ChartTransition {
  id: string;
  chart: ChartName;
  /** For run-state transitions: which role's run-state chart (both roles have one). */
  side?: Side;
  /** States of that chart the transition leaves from. */
  from: readonly string[];
  event: InternalEventType;
  to: string;
  when?: Cond;
  /** Data changes made along the way (e.g. remember vm_old_state). */
  effects?: readonly TransitionEffect[];
  /**
   * On a run-state transition: in the same step the status changes (its MIGRATION event is sent)
   * before the VM stops or starts (STOP / RESUME). By default the VM stops or starts first.
   */
  statusFirst?: boolean;
  ref: string;
  note?: string;
}

export type TransitionEffect =
  | 'rememberRunState'
  | 'clearMigrationRequests'
  | 'stopListening'
  | 'unblockConfig'
  | 'unregisterYank'
  | 'setLastMode'
  | 'enableColo'
  | 'autostartOn'
  | 'consumePause'
  | 'consumeCancel'
  | 'enterPostcopy'
  | 'globalStatePaused'
  | 'parkThread'
  | 'globalStatePrelaunch'
  | 'globalStateSuspended'
  | 'wakeRememberRunState'
  | 'markSuspended'
  | 'clearSuspended'
  | 'cprLoaded'
  | 'cprStartIncoming';

/** The operations `blockConfig` blocks (proposed profile). */
export const CONFIG_OPS = ['migrate-set-capabilities', 'migrate-set-parameters'] as const;

/**
 * A migration parameter's QAPI type: how qapi/qobject-input-visitor.c reads it, and so which type
 * error it answers. The unsigned integers take a negative JSON integer as its two's complement
 * (qobject_input_type_uint64: -1 is 2^64-1), then uint8/uint32 check their width
 * (visit_type_uintN: "expects uint8_t"). 'size' reads as 'uint64' over QMP.
 */
export type ParamType = 'uint8' | 'uint32' | 'uint64' | 'size' | 'bool' | 'enum' | 'StrOrNull' | 'str-list' | 'BitmapMigrationNodeAlias-list';

/** A command that changes what migration reads and is not modelled (Profile.unmodelledCommands). */
export interface UnmodelledCommand {
  /** The command's QMP name. */
  id: string;
  /** What it changes that a migration reads, in a few words. */
  changes: string;
  ref: string;
}

/** One member of MigrateSetParameters / MigrationParameters (qapi/migration.json), in the schema's order. */
export interface ParamSpec {
  name: string;
  type: ParamType;
  /** 'enum': the values the schema has (what the binary's query-qmp-schema lists). */
  values?: readonly string[];
  /**
   * query-migrate-parameters reports it always (the default), or only once it has been set
   * (block-bitmap-mapping: qmp_query_migrate_parameters leaves it out until then).
   */
  reported?: 'always' | 'once-set';
  /**
   * false: migrate-set-parameters accepts it but migrate_params_apply never stores it, so the query
   * goes on reporting the default (QEMU 7.2's multifd-zlib-level and multifd-zstd-level).
   */
  applied?: boolean;
  /** May be changed while a migration runs (where the profile checks this at all). */
  mutableWhileRunning: boolean;
  /** The value query-migrate-parameters reports before any change (tls-*: "", StrOrNull null reads as ""). */
  default: ParamValue;
  ref: string;
}

/**
 * One test of migrate_params_check, which runs after the QAPI visitor accepted every member, over the
 * values the change would leave (migrate_params_test_apply: stored values overlaid with the new ones).
 * The profile lists them in the function's order; the first that fails answers with `desc`.
 */
export type ParamCheck =
  | {
      id: string;
      kind: 'range';
      param: string;
      /** Fails below this: a number, or another parameter's value (max-cpu-throttle >= cpu-throttle-initial). */
      min?: number | { param: string };
      max?: number;
      desc: string;
      ref: string;
    }
  | {
      id: string;
      /** Fails unless the value is a power of two no less than `min` (xbzrle-cache-size: the target page size). */
      kind: 'power-of-two';
      param: string;
      min: number;
      max?: number;
      desc: string;
      ref: string;
    }
  | {
      id: string;
      /** block-bitmap-mapping: check_dirty_bitmap_mig_alias_map; `desc` is the prefix put before its message. */
      kind: 'alias-map';
      param: string;
      desc: string;
      ref: string;
    }
  | {
      id: string;
      /**
       * With every capability of `caps` enabled, fails when a parameter of `differs` is not at the
       * value given there. `reads`: the values after the change ('new', migrate_params_check's copy) or
       * the ones stored before it ('current': the test calls the migrate_*() helpers instead).
       */
      kind: 'conflict';
      caps: readonly string[];
      differs: Readonly<Record<string, ParamValue>>;
      reads: 'new' | 'current';
      desc: string;
      ref: string;
    };

export interface CapConflict {
  id: string;
  /** All of these enabled (after the change) trigger the error... */
  all: readonly string[];
  /** ...unless one of these is enabled too. */
  unless?: readonly string[];
  /**
   * Only when one of `all` is newly enabled after the destination started listening. `'transport'`:
   * while the incoming transport exists, as QEMU's migrate_incoming_started() reads it (from
   * migrate-incoming until migration_incoming_state_destroy: also in postcopy-paused, not after
   * completed or failed); `true`: while the destination listens (SideState.listening).
   */
  newlyWhileIncoming?: boolean | 'transport';
  desc: string;
  ref: string;
}

/** A claimed invariant the exploration finds violated in a profile, with what the counterexample shows. */
export interface KnownViolation {
  invariant: string;
  finding: string;
}

/**
 * Which invariants a profile claims (machines/invariants.ts defines them). Invariants not marked
 * `scoped` are claimed in every profile; a scoped one (it holds only where QEMU enforces it) is
 * claimed where a profile lists it.
 */
export interface InvariantClaims {
  /** The scoped invariants this profile's QEMU enforces. */
  claims: readonly string[];
  /**
   * Claimed invariants the exploration finds violated: each a model finding to fix in machines/ (or a
   * QEMU race to confirm), not a reason to weaken the invariant. The tests demand exactly these.
   */
  knownViolations: readonly KnownViolation[];
}

export interface Profile {
  name: string;
  title: string;
  qemuVersion: string;
  description: string;
  base: string | null;
  statuses: Readonly<Record<Side, readonly MigrationStatus[]>>;
  capabilities: readonly string[];
  parameters: readonly ParamSpec[];
  /** migrate_params_check's tests, in its order. */
  paramChecks: readonly ParamCheck[];
  capConflicts: readonly CapConflict[];
  /** The QMP commands the side machine models; others get CommandNotFound. */
  commands: readonly string[];
  /** Commands QEMU of this version does not have at all (CommandNotFound). */
  absentCommands: readonly string[];
  /**
   * Commands QEMU has that change what a migration later reads, which this model does not model
   * (add-fd feeds a /dev/fdset path, system_wakeup leaves `suspended`, quit ends the process). check-trace
   * reports each as unchecked instead of passing over it: past one, the trace is not shown to conform.
   */
  unmodelledCommands: readonly UnmodelledCommand[];
  /**
   * Commands whose QAPI schema says 'allow-oob': true: the only ones `exec-oob` may run (the trace
   * checker expects QEMU's "does not support OOB" for the others). Not limited to modelled commands.
   */
  oobCommands: readonly string[];
  /** The arguments each command's QAPI schema takes; others are 'unexpected'. */
  commandArgs: Readonly<Record<string, readonly string[]>>;
  /**
   * The URI schemes migrate, migrate-incoming and migrate-recover dispatch on (`tcp:`, `unix:`, ...):
   * any other is "unknown migration protocol" (the check `uriInvalid`).
   */
  uriSchemes: readonly string[];
  /** migration_channels_and_transport_compatible's tests, in its order (the first that fails answers). */
  transportChecks: readonly TransportCheck[];
  transitions: readonly ChartTransition[];
  rules: readonly Rule[];
  invariants: InvariantClaims;
}

/**
 * A transport the configuration needs (migration/migration.c: migration_channels_and_transport_compatible):
 * with any of `caps` on (or `params` set so, all of them), the URI's scheme must be one of `schemes`,
 * or one of `schemesWith` with the capability it names on too (`schemes` left out: any but `refuses`).
 */
export interface TransportCheck {
  id: string;
  caps?: readonly string[];
  params?: Readonly<Record<string, ParamValue>>;
  schemes?: readonly string[];
  schemesWith?: Readonly<Record<string, string>>;
  refuses?: readonly string[];
  desc: string;
  ref: string;
}

/** Add/replace/remove on an id-keyed ordered list. */
export interface ListDelta<T extends { id: string }> {
  remove?: readonly string[];
  replace?: readonly T[];
  /** Inserted before the row with id `before`, after `after`, or at the end. */
  add?: readonly { item: T; before?: string; after?: string }[];
}

export interface ProfileDelta {
  name: string;
  title: string;
  qemuVersion: string;
  description: string;
  base: string;
  statuses?: Partial<Record<Side, { add?: readonly MigrationStatus[]; remove?: readonly MigrationStatus[] }>>;
  capabilities?: { add?: readonly string[]; remove?: readonly string[] };
  /** `add`: inserted after the parameter `after` (the schema's order decides which type error answers first), or at the end. */
  parameters?: { add?: readonly { item: ParamSpec; after?: string }[]; replace?: readonly ParamSpec[]; remove?: readonly string[] };
  paramChecks?: ListDelta<ParamCheck>;
  capConflicts?: ListDelta<CapConflict>;
  commands?: { add?: readonly string[]; remove?: readonly string[] };
  absentCommands?: { add?: readonly string[]; remove?: readonly string[] };
  unmodelledCommands?: ListDelta<UnmodelledCommand>;
  oobCommands?: { add?: readonly string[]; remove?: readonly string[] };
  /** Replaces the argument list of the named commands. */
  commandArgs?: Readonly<Record<string, readonly string[]>>;
  uriSchemes?: { add?: readonly string[]; remove?: readonly string[] };
  transportChecks?: ListDelta<TransportCheck>;
  transitions?: ListDelta<ChartTransition>;
  /** Extra effects on transitions of the base (e.g. lifting blocks where a migration ends). */
  transitionEffects?: readonly { ids: readonly string[]; add: readonly TransitionEffect[] }[];
  rules?: ListDelta<Rule>;
  /**
   * Extra effects on accepting rows of the base (or of this delta), by id: the base's row is kept as
   * it is and only gains the effects (e.g. where a migration starts, block the configuration).
   * `note` replaces the row's note (say why the effect is there).
   */
  ruleEffects?: readonly { ids: readonly string[]; add: readonly EffectName[]; note?: string }[];
  /**
   * Scoped invariants claimed or no longer claimed; known violations are inherited from the base
   * (the rules are mostly the base's), `fixed` drops them by invariant name.
   */
  invariants?: {
    claim?: readonly string[];
    unclaim?: readonly string[];
    knownViolations?: { add?: readonly KnownViolation[]; fixed?: readonly string[] };
  };
}

function applyList<T extends { id: string }>(base: readonly T[], delta: ListDelta<T> | undefined, where: string): T[] {
  let out = [...base];
  if (!delta) return out;
  const has = (id: string) => out.some((x) => x.id === id);
  for (const id of delta.remove ?? []) {
    if (!has(id)) throw new Error(`${where}: cannot remove '${id}': no such row`);
    out = out.filter((x) => x.id !== id);
  }
  for (const item of delta.replace ?? []) {
    const i = out.findIndex((x) => x.id === item.id);
    if (i < 0) throw new Error(`${where}: cannot replace '${item.id}': no such row`);
    out[i] = item;
  }
  for (const { item, before, after } of delta.add ?? []) {
    if (has(item.id)) throw new Error(`${where}: cannot add '${item.id}': already there`);
    const anchor = before ?? after;
    if (anchor === undefined) {
      out.push(item);
      continue;
    }
    const i = out.findIndex((x) => x.id === anchor);
    if (i < 0) throw new Error(`${where}: cannot add '${item.id}' next to '${anchor}': no such row`);
    out.splice(before !== undefined ? i : i + 1, 0, item);
  }
  return out;
}

function applySet<T>(base: readonly T[], d: { add?: readonly T[]; remove?: readonly T[] } | undefined): T[] {
  if (!d) return [...base];
  const removed = new Set(d.remove ?? []);
  const out = base.filter((x) => !removed.has(x));
  for (const x of d.add ?? []) if (!out.includes(x)) out.push(x);
  return out;
}

/** Builds a full profile from its base and a delta. */
export function applyDelta(base: Profile, d: ProfileDelta): Profile {
  const where = `profile ${d.name}`;
  const params = base.parameters.filter((p) => !(d.parameters?.remove ?? []).includes(p.name)).map((p) => {
    const r = d.parameters?.replace?.find((x) => x.name === p.name);
    return r ?? p;
  });
  for (const x of d.transitionEffects ?? [])
    for (const id of x.ids) if (!base.transitions.some((t) => t.id === id) && !d.transitions?.add?.some((a) => a.item.id === id))
      throw new Error(`${where}: transitionEffects names unknown transition '${id}'`);
  for (const r of d.parameters?.replace ?? []) {
    if (!base.parameters.some((p) => p.name === r.name)) throw new Error(`${where}: cannot replace parameter '${r.name}'`);
  }
  for (const { item, after } of d.parameters?.add ?? []) {
    if (params.some((p) => p.name === item.name)) throw new Error(`${where}: cannot add parameter '${item.name}': already there`);
    const i = after === undefined ? params.length - 1 : params.findIndex((p) => p.name === after);
    if (i < 0 && after !== undefined) throw new Error(`${where}: cannot add parameter '${item.name}' after '${after}': no such parameter`);
    params.splice(i + 1, 0, item);
  }
  return {
    name: d.name,
    title: d.title,
    qemuVersion: d.qemuVersion,
    description: d.description,
    base: base.name,
    statuses: {
      source: applySet(base.statuses.source, d.statuses?.source),
      destination: applySet(base.statuses.destination, d.statuses?.destination),
    },
    capabilities: applySet(base.capabilities, d.capabilities),
    parameters: params,
    paramChecks: applyList(base.paramChecks, d.paramChecks, `${where} paramChecks`),
    capConflicts: applyList(base.capConflicts, d.capConflicts, `${where} capConflicts`),
    commands: applySet(base.commands, d.commands),
    absentCommands: applySet(base.absentCommands, d.absentCommands),
    unmodelledCommands: applyList(base.unmodelledCommands, d.unmodelledCommands, `${where} unmodelledCommands`),
    oobCommands: applySet(base.oobCommands, d.oobCommands),
    commandArgs: { ...base.commandArgs, ...(d.commandArgs ?? {}) },
    uriSchemes: applySet(base.uriSchemes, d.uriSchemes),
    transportChecks: applyList(base.transportChecks, d.transportChecks, `${where} transportChecks`),
    transitions: applyList(base.transitions, d.transitions, `${where} transitions`).map((t) => {
      const add = (d.transitionEffects ?? []).filter((x) => x.ids.includes(t.id)).flatMap((x) => x.add);
      return add.length ? { ...t, effects: [...(t.effects ?? []), ...add] } : t;
    }),
    rules: applyRuleEffects(applyList(base.rules, d.rules, `${where} rules`), d.ruleEffects, where),
    invariants: applyInvariants(base.invariants, d.invariants, where),
  };
}

function applyRuleEffects(rules: Rule[], extra: ProfileDelta['ruleEffects'], where: string): Rule[] {
  if (!extra?.length) return rules;
  for (const x of extra)
    for (const id of x.ids) {
      const r = rules.find((y) => y.id === id);
      if (!r) throw new Error(`${where}: ruleEffects names unknown rule '${id}'`);
      if (!r.accept) throw new Error(`${where}: ruleEffects names rule '${id}', which rejects (no effects to add to)`);
    }
  return rules.map((r) => {
    const xs = extra.filter((x) => x.ids.includes(r.id));
    if (!xs.length) return r;
    const notes = xs.flatMap((x) => (x.note === undefined ? [] : [x.note]));
    const accept = { ...r.accept!, effects: [...(r.accept!.effects ?? []), ...xs.flatMap((x) => x.add)] };
    return notes.length ? { ...r, accept, note: notes[notes.length - 1] } : { ...r, accept };
  });
}

function applyInvariants(base: InvariantClaims, d: ProfileDelta['invariants'], where: string): InvariantClaims {
  if (!d) return base;
  for (const n of d.unclaim ?? []) if (!base.claims.includes(n)) throw new Error(`${where}: cannot unclaim '${n}': the base does not claim it`);
  for (const n of d.knownViolations?.fixed ?? [])
    if (!base.knownViolations.some((k) => k.invariant === n)) throw new Error(`${where}: '${n}' is not a known violation of the base`);
  const claims = applySet(base.claims, { add: d.claim, remove: d.unclaim });
  // A violation of an invariant no longer claimed is no longer a finding.
  const dropped = new Set([...(d.knownViolations?.fixed ?? []), ...(d.unclaim ?? [])]);
  return { claims, knownViolations: [...base.knownViolations.filter((k) => !dropped.has(k.invariant)), ...(d.knownViolations?.add ?? [])] };
}
