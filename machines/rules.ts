// The rule engine: a profile's command table decides, for a side's state and a QMP command, whether
// QEMU accepts it (with the reply and the change) or rejects it (with QEMU's exact error). Pure.
import type { Cond, CheckName, Environment, Profile, Rule, SideState, ParamValue, ParamSpec, ReplyName } from './profile.ts';
import { applyEffects, capsAfter, cprModeOn, fdUriName, fileUriPath, freeFdsetId } from './effects.ts';
import type { QmpArguments, QmpError, MigrationStatus, RunState } from './vocabulary.ts';

export type Bindings = Record<string, string>;

export type Decision =
  | {
      allowed: true;
      rule: Rule;
      reply: unknown;
      /** The side's data after the command (charts move by rule.accept.status/runstate). */
      next: SideState;
    }
  | {
      allowed: false;
      rule: Rule | null;
      error: QmpError;
      /** The side's data after the refusal, where the row says QEMU leaves it changed (Reject.status, Reject.outgoing). */
      next?: SideState;
    };

/** The row whose chart edge a command took: an accepting row, or a refusing one that leaves the state changed (Reject.status). */
export function movingRule(d: Decision | null | undefined): string | null {
  return d && (d.allowed || d.next) ? d.rule!.id : null;
}

/** A URI's scheme: what comes before its first colon ('' when there is none). */
export function uriScheme(uri: string): string {
  return uri.slice(0, Math.max(0, uri.indexOf(':')));
}

/**
 * The status query-migrate reports: a destination's outgoing status once a refused `migrate` set it
 * (migration/migration.c: qmp_query_migrate, fill_source_migration_info after the destination's),
 * else the side's own.
 */
export function reportedStatus(s: SideState): MigrationStatus {
  return s.outgoing !== 'none' ? s.outgoing : s.status;
}

/** QEMU's answer to a command it does not have (qapi/qmp-dispatch.c: qmp_dispatch). */
export function commandNotFound(command: string): QmpError {
  return { class: 'CommandNotFound', desc: `The command ${command} has not been found` };
}

type Check = (s: SideState, args: QmpArguments, p: Profile) => Bindings | false;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether the incoming side counts as started for CapConflict.newlyWhileIncoming. */
function incomingStarted(s: SideState, how: true | 'transport'): boolean {
  if (how === true) return s.listening;
  // migration/options.c: migrate_incoming_started() is mis->transport_data != NULL: set once the
  // listener is up, cleared by migration_incoming_state_destroy, which also unregisters the yank
  // instance. A failure that skips it (master's migration_channel_process_incoming) keeps both.
  return s.side === 'destination' && s.incomingStarted && s.yankRegistered;
}

// ---- migrate-set-parameters: the QAPI visitor, then migrate_params_check ----------------------------

const U64 = 2n ** 64n;
/** qobject_input_type_uint64: a negative integer (int64) is taken as its two's complement. */
function unsigned(v: number): bigint {
  const b = BigInt(v);
  return b < 0n ? b + U64 : b;
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** qobject_input_check: the first member the struct's type does not have (QEMU walks its dict; the model takes the first given). */
function unexpectedMember(path: string, v: Record<string, unknown>, members: readonly string[]): string | null {
  const extra = Object.keys(v).find((k) => !members.includes(k));
  return extra === undefined ? null : `Parameter '${path}.${extra}' is unexpected`;
}

function stringMember(path: string, v: Record<string, unknown>, m: string, optional = false): string | null {
  if (v[m] === undefined) return optional ? null : `Parameter '${path}.${m}' is missing`;
  return typeof v[m] === 'string' ? null : `Invalid parameter type for '${path}.${m}', expected: string`;
}

/** qapi/migration.json BitmapMigrationNodeAlias list, as visit_type_BitmapMigrationNodeAliasList reads it (member order, then the struct's own check). */
function bitmapMappingTypeError(name: string, v: unknown): string | null {
  if (!Array.isArray(v)) return `Invalid parameter type for '${name}', expected: array`;
  for (let i = 0; i < v.length; i++) {
    const p = `${name}[${i}]`;
    const node = v[i];
    if (!isObject(node)) return `Invalid parameter type for '${p}', expected: object`;
    const e = stringMember(p, node, 'node-name') ?? stringMember(p, node, 'alias');
    if (e) return e;
    if (node.bitmaps === undefined) return `Parameter '${p}.bitmaps' is missing`;
    if (!Array.isArray(node.bitmaps)) return `Invalid parameter type for '${p}.bitmaps', expected: array`;
    for (let j = 0; j < node.bitmaps.length; j++) {
      const q = `${p}.bitmaps[${j}]`;
      const b = node.bitmaps[j] as unknown;
      if (!isObject(b)) return `Invalid parameter type for '${q}', expected: object`;
      const be = stringMember(q, b, 'name') ?? stringMember(q, b, 'alias');
      if (be) return be;
      if (b.transform !== undefined) {
        const t = b.transform;
        if (!isObject(t)) return `Invalid parameter type for '${q}.transform', expected: object`;
        if (t.persistent !== undefined && typeof t.persistent !== 'boolean') return `Invalid parameter type for '${q}.transform.persistent', expected: boolean`;
        const te = unexpectedMember(`${q}.transform`, t, ['persistent']);
        if (te) return te;
      }
      const bx = unexpectedMember(q, b, ['name', 'alias', 'transform']);
      if (bx) return bx;
    }
    const nx = unexpectedMember(p, node, ['node-name', 'alias', 'bitmaps']);
    if (nx) return nx;
  }
  return null;
}

/** The QAPI input visitor's answer to one member (qapi/qobject-input-visitor.c), or null if it reads. */
function paramTypeError(spec: ParamSpec, v: unknown): string | null {
  const n = spec.name;
  switch (spec.type) {
    case 'uint8':
    case 'uint32':
    case 'uint64':
    case 'size': {
      // qobject_input_type_uint64 (type_size reads the same over QMP): an integer QNum that fits
      // int64 or uint64; a JSON number with a fraction or exponent is a double, and is refused too
      // (1.0 reads as 1 in JavaScript: the model cannot tell). 2^64-1 reads as 2^64 in JavaScript.
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 63) || v >= 2 ** 64) return `Parameter '${n}' expects uint64`;
      const u = unsigned(v);
      // visit_type_uintN
      if (spec.type === 'uint8' && u > 0xffn) return `Parameter '${n}' expects uint8_t`;
      if (spec.type === 'uint32' && u > 0xffffffffn) return `Parameter '${n}' expects uint32_t`;
      return null;
    }
    case 'bool':
      return typeof v === 'boolean' ? null : `Invalid parameter type for '${n}', expected: boolean`;
    case 'enum':
      if (typeof v !== 'string') return `Invalid parameter type for '${n}', expected: string`;
      return (spec.values ?? []).includes(v) ? null : `Parameter '${n}' does not accept value '${v}'`;
    case 'StrOrNull':
      return typeof v === 'string' || v === null ? null : `Invalid parameter type for '${n}', expected: StrOrNull`;
    case 'str-list':
      if (!Array.isArray(v)) return `Invalid parameter type for '${n}', expected: array`;
      for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return `Invalid parameter type for '${n}[${i}]', expected: string`;
      return null;
    case 'BitmapMigrationNodeAlias-list':
      return bitmapMappingTypeError(n, v);
  }
}

/** The first type error in the schema's order of members (the order the visitor reads them in), whatever order the arguments come in. */
function firstTypeError(args: QmpArguments, p: Profile): string | null {
  for (const spec of p.parameters) {
    if (!(spec.name in args)) continue;
    const e = paramTypeError(spec, args[spec.name]);
    if (e) return e;
  }
  return null;
}

/** migration/block-dirty-bitmap.c: check_dirty_bitmap_mig_alias_map (construct_alias_map both ways). */
function aliasMapError(v: unknown): string | null {
  const nodes = (Array.isArray(v) ? v : []) as { 'node-name': string; alias: string; bitmaps: { name: string; alias: string }[] }[];
  for (const nameToAlias of [true, false]) {
    const seen = new Set<string>();
    for (const n of nodes) {
      // util/id.c: id_wellformed
      if (!/^[A-Za-z][A-Za-z0-9\-._]*$/.test(n.alias)) return `The node alias '${n.alias}' is not well-formed`;
      if (utf8Length(n.alias) > 255) return `The node alias '${n.alias}' is longer than 255 bytes`;
      if (utf8Length(n['node-name']) > 31) return `The node name '${n['node-name']}' is longer than 31 bytes`;
      const from = nameToAlias ? n['node-name'] : n.alias;
      if (seen.has(from)) return nameToAlias ? `The node name '${from}' is mapped twice` : `The node alias '${from}' is used twice`;
      seen.add(from);
      const bseen = new Set<string>();
      for (const b of n.bitmaps) {
        if (utf8Length(b.alias) > 255) return `The bitmap alias '${b.alias}' is longer than 255 bytes`;
        if (utf8Length(b.name) > 1023) return `The bitmap name '${b.name}' is longer than 1023 bytes`;
        const bfrom = nameToAlias ? b.name : b.alias;
        if (bseen.has(bfrom)) return nameToAlias ? `The bitmap '${n['node-name']}'/'${b.name}' is mapped twice` : `The bitmap alias '${n.alias}'/'${b.alias}' is used twice`;
        bseen.add(bfrom);
      }
    }
  }
  return null;
}

/** The parameters as stored (defaults overlaid with what was set). */
function storedParams(s: SideState, p: Profile): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const spec of p.parameters) out[spec.name] = spec.name in s.params ? s.params[spec.name] : spec.default;
  return out;
}

function asBig(v: ParamValue | undefined): bigint {
  return typeof v === 'number' && Number.isInteger(v) ? unsigned(v) : 0n;
}

/** migrate_params_check over migrate_params_test_apply's copy: the first of the profile's tests that fails. */
function paramsCheckError(s: SideState, args: QmpArguments, p: Profile): string | null {
  const current = storedParams(s, p);
  // The copy the change would leave: the effect that stores the parameters (effects.ts setParams).
  const after = storedParams(applyEffects(s, ['setParams'], args), p);
  // Integers exactly (2^64-1, which -1 stands for, is no JavaScript number): from the arguments as given.
  const big = (name: string): bigint => {
    const v = args[name];
    return typeof v === 'number' && Number.isInteger(v) ? unsigned(v) : asBig(after[name]);
  };
  for (const c of p.paramChecks) {
    switch (c.kind) {
      case 'range': {
        const v = big(c.param);
        const min = c.min === undefined ? undefined : typeof c.min === 'number' ? BigInt(c.min) : big(c.min.param);
        if ((min !== undefined && v < min) || (c.max !== undefined && v > BigInt(c.max))) return c.desc;
        break;
      }
      case 'power-of-two': {
        const v = big(c.param);
        if (v < BigInt(c.min) || (v & (v - 1n)) !== 0n || (c.max !== undefined && v > BigInt(c.max))) return c.desc;
        break;
      }
      case 'alias-map': {
        if (!(c.param in args)) break;
        const e = aliasMapError(after[c.param]);
        if (e) return c.desc + e;
        break;
      }
      case 'conflict': {
        if (!c.caps.every((x) => s.caps.includes(x))) break;
        const vals = c.reads === 'new' ? after : current;
        if (Object.entries(c.differs).some(([k, v]) => JSON.stringify(vals[k]) !== JSON.stringify(v))) return c.desc;
        break;
      }
    }
  }
  return null;
}

/** qemu_isdigit(name[0]): QEMU reads such a name as an fd number, never as a getfd name. */
const isFdNumber = (name: string) => /^[0-9]/.test(name);

const checks: Record<CheckName, Check> = {
  // qapi/qobject-input-visitor.c: the argument list is visited before the handler runs.
  capsArgMalformed(_s, args) {
    const caps = args.capabilities;
    if (caps === undefined) return { message: "Parameter 'capabilities' is missing" };
    if (!Array.isArray(caps)) return { message: "Invalid parameter type for 'capabilities', expected: array" };
    for (let i = 0; i < caps.length; i++) {
      const c = caps[i];
      if (!isObject(c)) return { message: `Invalid parameter type for 'capabilities[${i}]', expected: object` };
      if (c.capability === undefined) return { message: `Parameter 'capabilities[${i}].capability' is missing` };
      if (typeof c.capability !== 'string')
        return { message: `Invalid parameter type for 'capabilities[${i}].capability', expected: string` };
      if (c.state === undefined) return { message: `Parameter 'capabilities[${i}].state' is missing` };
      if (typeof c.state !== 'boolean')
        return { message: `Invalid parameter type for 'capabilities[${i}].state', expected: boolean` };
    }
    return false;
  },
  capsArgUnknown(_s, args, p) {
    const caps = args.capabilities as { capability: string }[];
    for (let i = 0; i < caps.length; i++) {
      if (!p.capabilities.includes(caps[i].capability))
        // The QAPI visitor names the member without its list path (seen on QEMU 7.2).
        return { message: `Parameter 'capability' does not accept value '${caps[i].capability}'` };
    }
    return false;
  },
  capsConflict(s, args, p) {
    const after = new Set(capsAfter(s, args));
    for (const c of p.capConflicts) {
      if (!c.all.every((x) => after.has(x)) || (c.unless ?? []).some((x) => after.has(x))) continue;
      if (c.newlyWhileIncoming && !(incomingStarted(s, c.newlyWhileIncoming) && c.all.some((x) => !s.caps.includes(x)))) continue;
      return { message: c.desc };
    }
    return false;
  },
  // qapi/qobject-input-visitor.c: every member is read first (a type error answers, in the schema's
  // order), then qobject_input_check refuses a member the schema lacks.
  paramsArgUnknown(_s, args, p) {
    if (firstTypeError(args, p) !== null) return false;
    for (const name of Object.keys(args)) {
      if (!p.parameters.some((x) => x.name === name)) return { message: `Parameter '${name}' is unexpected` };
    }
    return false;
  },
  // The visitor's type errors, then migrate_params_check (the profile's paramChecks, in its order).
  paramsArgInvalid(s, args, p) {
    const message = firstTypeError(args, p) ?? paramsCheckError(s, args, p);
    return message === null ? false : { message };
  },
  paramsFrozenWhileRunning(_s, args, p) {
    for (const name of Object.keys(args)) {
      const spec = p.parameters.find((x) => x.name === name);
      if (spec && !spec.mutableWhileRunning) return { param: name };
    }
    return false;
  },
  capsFrozenWhileIncoming(s) {
    return s.side === 'destination' && s.listening ? {} : false;
  },
  continueStateMismatch(s, args) {
    return args.state !== s.status ? { status: s.status } : false;
  },
  // qmp_getfd (monitor_add_fd in 8.1+): a name must not start with a digit (a number is an fd).
  fdNameDigit(_s, args) {
    return typeof args.fdname === 'string' && isFdNumber(args.fdname) ? {} : false;
  },
  // qmp_closefd: no fd of that name on the monitor.
  fdNotHeld(s, args) {
    return s.fds.includes(String(args.fdname)) ? false : { fdname: String(args.fdname) };
  },
  // monitor_get_fd (outgoing fd:NAME): the name is looked up, numbers included.
  fdNameUnknown(s, args) {
    const name = fdUriName(args.uri);
    return name === null || s.fds.includes(name) ? false : { fdname: name };
  },
  // monitor_fd_param (incoming fd:NAME): a name starting with a digit is an fd number, which the model
  // cannot judge (the environment); any other name is looked up.
  fdParamUnknown(s, args) {
    const name = fdUriName(args.uri);
    return name === null || isFdNumber(name) || s.fds.includes(name) ? false : { fdname: name };
  },
  // migration/file.c: file_parse_offset: a file: URI's `,offset=` is read by qemu_strtosz (decimal,
  // with a fraction only before a unit suffix B K M G T P E; or 0x hex without suffix), else EINVAL;
  // past 2^64-1, ERANGE.
  fileOffsetInvalid(_s, args) {
    const uri = args.uri;
    if (typeof uri !== 'string' || !uri.startsWith('file:')) return false;
    const at = uri.indexOf(',offset=');
    if (at < 0) return false;
    const v = uri.slice(at + ',offset='.length);
    const bad = (why: string) => ({ message: `file URI has bad offset ${v}: ${why}` });
    // strtoull skips leading white space.
    const hex = /^\s*0x([0-9a-f]+)$/i.exec(v);
    const dec = /^\s*([0-9]+)(\.[0-9]+)?([bkmgtpe])?$/i.exec(v);
    if (!hex && !dec) return bad('Invalid argument');
    if (dec && dec[2] && (!dec[3] || /b/i.test(dec[3]))) return bad('Invalid argument');
    const unit = dec ? 1024 ** 'bkmgtpe'.indexOf((dec[3] ?? 'b').toLowerCase()) : 1;
    const n = hex ? Number(BigInt('0x' + hex[1])) : Number(dec![1] + (dec![2] ?? '')) * unit;
    return n >= 2 ** 64 ? bad('Numerical result out of range') : false;
  },
  // qmp_migrate / qemu_start_incoming_migration (QEMU >= 9.0): `if (!uri == !channels)`: neither, or both.
  uriNotExactlyOne(_s, args) {
    return (args.uri === undefined) === (args.channels === undefined) ? {} : false;
  },
  // The capabilities need a transport the URI's scheme is not (Profile.transportChecks, in order).
  transportIncompatible(s, args, p) {
    const uri = args.uri;
    if (typeof uri !== 'string') return false;
    const scheme = uriScheme(uri);
    const stored = p.transportChecks.some((c) => c.params) ? storedParams(s, p) : {};
    for (const c of p.transportChecks) {
      if (c.caps && !c.caps.some((x) => s.caps.includes(x))) continue;
      if (c.params && !Object.entries(c.params).every(([k, v]) => stored[k] === v)) continue;
      const withCap = c.schemesWith?.[scheme];
      const allowed = c.schemes ? c.schemes.includes(scheme) || (withCap !== undefined && s.caps.includes(withCap)) : !(c.refuses ?? []).includes(scheme);
      if (!allowed) return { message: c.desc };
    }
    return false;
  },
  // migration/migration.c: migrate_mode_is_cpr: the mode parameter is not normal (cpr-reboot,
  // cpr-transfer, cpr-exec).
  cprMode(s) {
    return cprModeOn(s) ? {} : false;
  },
  // qmp_migrate: mode cpr-transfer needs a channel of type cpr in `channels` (the old QEMU sends its
  // cpr state there first: cpr_state_save).
  cprChannelMissing(s, args) {
    if (s.params.mode !== 'cpr-transfer') return false;
    const channels = Array.isArray(args.channels) ? (args.channels as { 'channel-type'?: unknown }[]) : [];
    return channels.some((c) => c?.['channel-type'] === 'cpr') ? false : {};
  },
  // migration/dirtyrate.c: qmp_calc_dirty_rate. 7.2: calc-time in seconds, 1 to 60
  // (is_sample_period_valid); from 8.2 with calc-time-unit (second or millisecond), 50 ms to 60 s
  // (is_calc_time_valid). The profile's QAPI tells which (commandArgs: calc-time-unit).
  dirtyCalcTimeOutOfRange(_s, args, p) {
    const t = args['calc-time'];
    if (typeof t !== 'number') return false;
    if (!(p.commandArgs['calc-dirty-rate'] ?? []).includes('calc-time-unit')) return t < 1 || t > 60 ? {} : false;
    const ms = args['calc-time-unit'] === 'millisecond' ? t : t * 1000;
    return ms < 50 || ms > 60000 ? {} : false;
  },
  // qmp_calc_dirty_rate: sample-pages only with the (default) page-sampling mode.
  dirtySamplePagesNotSampling(_s, args) {
    return 'sample-pages' in args && (args.mode ?? 'page-sampling') !== 'page-sampling' ? {} : false;
  },
  // qmp_calc_dirty_rate -> is_sample_pages_valid: 128 to 16384 pages per GiB.
  dirtySamplePagesOutOfRange(_s, args) {
    const n = args['sample-pages'];
    return typeof n === 'number' && (n < 128 || n > 16384) ? {} : false;
  },
  // monitor_fdset_add_fd: an fdset-id given must not be negative.
  fdsetIdNegative(_s, args) {
    const id = args['fdset-id'];
    return typeof id === 'number' && id < 0 ? {} : false;
  },
  // qmp_remove_fd: no set of that id. With `fd`, the fd must be in it: its number is the client's,
  // so only a set the model knows is empty of added fds (none) can tell.
  fdsetNotHeld(s, args) {
    const id = args['fdset-id'];
    if (s.fdsets.some((x) => x.id === id)) return false;
    return { fdset: 'fd' in args ? `fdset-id:${String(id)}, fd:${String(args.fd)}` : `fdset-id:${String(id)}` };
  },
  // util/osdep.c: qemu_open_internal -> monitor_fdset_dup_fd_add: a file: URI's /dev/fdset/N path
  // names a set the monitor does not have (migration/file.c: file_start_outgoing_migration and
  // file_start_incoming_migration open it through qio_channel_file_new_path).
  fdsetUnknown(s, args) {
    const path = fileUriPath(args);
    if (path === null || !path.startsWith('/dev/fdset/')) return false;
    const id = path.slice('/dev/fdset/'.length);
    return /^[0-9]+$/.test(id) && s.fdsets.some((x) => x.id === Number(id)) ? false : { path };
  },
  // The URI's scheme is not one the profile's QEMU dispatches on (Profile.uriSchemes).
  uriInvalid(_s, args, p) {
    const uri = args.uri;
    if (typeof uri !== 'string') return false;
    const scheme = uriScheme(uri);
    return scheme !== '' && p.uriSchemes.includes(scheme) ? false : { uri };
  },
  // qapi: yank's `instances` is a list of YankInstance unions ({type: block-node|chardev|migration}).
  yankInstancesMalformed(_s, args) {
    const v = args.instances;
    if (v === undefined) return { message: "Parameter 'instances' is missing" };
    if (!Array.isArray(v)) return { message: "Invalid parameter type for 'instances', expected: array" };
    for (let i = 0; i < v.length; i++) {
      if (!isObject(v[i]) || typeof (v[i] as Record<string, unknown>).type !== 'string') return { message: `Parameter 'instances[${i}].type' is missing` };
      const t = (v[i] as Record<string, unknown>).type as string;
      if (!['block-node', 'chardev', 'migration'].includes(t)) return { message: `Parameter 'instances[${i}].type' does not accept value '${t}'` };
    }
    return false;
  },
  /** util/yank.c: qmp_yank checks every instance before running any function. */
  yankUnknownInstance(s, args) {
    const v = args.instances as { type: string }[];
    return v.some((x) => x.type !== 'migration' || !s.yankRegistered) ? {} : false;
  },
  /** Always holds; binds {status} for error texts that print the current status. */
  statusName(s) {
    return { status: s.status };
  },
  hasPostcopy(s) {
    // migration/options.c: migrate_postcopy() is postcopy-ram or dirty-bitmaps.
    return s.caps.includes('postcopy-ram') || s.caps.includes('dirty-bitmaps') ? {} : false;
  },
};

function argMatches(v: unknown, t: NonNullable<Cond['args']>[string]): boolean {
  if (t === 'present') return v !== undefined;
  if (t === 'absent') return v === undefined;
  if ('equals' in t) return v === t.equals;
  return v !== t.notEquals;
}

/** Evaluates a condition; returns the bindings its check produced, or false. */
export function evalCond(c: Cond | undefined, s: SideState, args: QmpArguments, p: Profile): Bindings | false {
  if (!c) return {};
  if (c.status && !c.status.includes(s.status)) return false;
  if (c.notStatus && c.notStatus.includes(s.status)) return false;
  if (c.runstate && !c.runstate.includes(s.runstate)) return false;
  if (c.notRunstate && c.notRunstate.includes(s.runstate)) return false;
  if (c.caps) for (const [cap, on] of Object.entries(c.caps)) if (s.caps.includes(cap) !== on) return false;
  if (c.ctx) for (const [k, v] of Object.entries(c.ctx)) if ((s as unknown as Record<string, unknown>)[k] !== v) return false;
  if (c.args) for (const [k, t] of Object.entries(c.args)) if (!argMatches(args[k], t)) return false;
  if (c.blocked !== undefined && !s.blocked.includes(c.blocked)) return false;
  if (c.colo && !c.colo.some((x) => s.colo === x || s.colo.startsWith(x + '.'))) return false;
  if (c.failover && !c.failover.includes(s.failover)) return false;
  if (c.rp && !c.rp.includes(s.rp)) return false;
  let b: Bindings = {};
  if (c.anyOf) {
    const hit = c.anyOf.map((x) => evalCond(x, s, args, p)).find((x) => x !== false);
    if (!hit) return false;
    b = { ...b, ...hit };
  }
  if (c.not && evalCond(c.not, s, args, p) !== false) return false;
  if (c.check) {
    const r = checks[c.check](s, args, p);
    if (r === false) return false;
    b = { ...b, ...r };
  }
  return b;
}

function fill(template: string, b: Bindings): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => (k in b ? b[k] : `{${k}}`));
}

/** The rows of a profile that apply to a side, in table order (built once per profile). */
const rowsCache = new WeakMap<Profile, Map<string, Rule[]>>();
export function rulesFor(p: Profile, side: SideState['side'], command: string): Rule[] {
  let m = rowsCache.get(p);
  if (!m) {
    m = new Map();
    for (const r of p.rules) {
      for (const sd of r.side === 'both' ? (['source', 'destination'] as const) : [r.side]) {
        const k = `${sd}\u0000${r.command}`;
        if (!m.has(k)) m.set(k, []);
        m.get(k)!.push(r);
      }
    }
    rowsCache.set(p, m);
  }
  return m.get(`${side}\u0000${command}`) ?? [];
}

/** Every command a profile answers: modelled ones and the ones its QEMU lacks. */
export function knownCommands(p: Profile): readonly string[] {
  return [...p.commands, ...p.absentCommands];
}

/** The reply of an accepted command, from the state after it (`s`); `args` and `before` for the replies that name what the command chose. */
export function buildReply(r: ReplyName, s: SideState, p: Profile, args: QmpArguments = {}, before: SideState = s): unknown {
  switch (r) {
    case 'empty':
      return {};
    case 'query-migrate':
      // migration/migration.c: fill_source_migration_info / fill_destination_migration_info
      // leave out `status` while the state is none.
      return reportedStatus(s) === 'none' ? {} : { status: reportedStatus(s) };
    case 'query-migrate-capabilities':
      return p.capabilities.map((c) => ({ capability: c, state: s.caps.includes(c) }));
    case 'query-migrate-parameters': {
      // migration/options.c: qmp_query_migrate_parameters: every member, block-bitmap-mapping only once set.
      const out: Record<string, ParamValue> = {};
      for (const spec of p.parameters) {
        if (spec.reported === 'once-set' && !(spec.name in s.params)) continue;
        out[spec.name] = spec.name in s.params && spec.applied !== false ? s.params[spec.name] : spec.default;
      }
      return out;
    }
    case 'query-colo-status': {
      // migration/colo.c: qmp_query_colo_status. The mode comes from the migration status
      // (get_colo_mode); the reason from the failover status.
      const mode = s.status === 'colo' ? (s.side === 'source' ? 'primary' : 'secondary') : 'none';
      const reason = s.failover === 'none' ? 'none' : s.failover === 'completed' ? 'request' : s.side === 'source' && s.status === 'colo' ? 'processing' : 'error';
      return { mode, 'last-mode': s.lastMode, reason };
    }
    case 'add-fd':
      // monitor/fds.c: monitor_fdset_add_fd answers the set's id and the fd's number, which is the
      // process's own (left out here). The set is the one named, or the first free id.
      return { 'fdset-id': typeof args['fdset-id'] === 'number' ? args['fdset-id'] : freeFdsetId(before) };
    case 'query-fdsets':
      // monitor/fds.c: qmp_query_fdsets prepends each set, so the highest id comes first. An fd's
      // number is the process's own: each fd stands as an empty object.
      return [...s.fdsets].reverse().map((x) => ({ 'fdset-id': x.id, fds: Array.from({ length: x.fds }, () => ({})) }));
    case 'query-status':
      // qapi/run-state.json: StatusInfo; `running` is runstate_is_running().
      return { status: s.runstate, running: s.runstate === 'running' };
  }
}

/**
 * What the model says of a reply's content beyond what buildReply fills in: for a value it cannot
 * know (the environment's), the bounds QEMU keeps it in. null when `got` is within them, else why not.
 *
 * query-migrate's cpu-throttle-percentage (migration/migration.c: populate_ram_info, while
 * cpu_throttle_active): the auto-converge throttle. migration/ram.c: mig_throttle_guest_down starts
 * it at cpu-throttle-initial and raises it by cpu-throttle-increment up to max-cpu-throttle
 * (migrate_params_check keeps initial <= max), and only migration_trigger_throttle with
 * migrate_auto_converge() calls it. How fast it rises is the guest's dirty rate: the environment.
 */
export function replyViolation(p: Profile, s: SideState, command: string, got: unknown): string | null {
  if (command !== 'query-migrate' || typeof got !== 'object' || got === null) return null;
  const v = (got as Record<string, unknown>)['cpu-throttle-percentage'];
  if (v === undefined) return null;
  if (!s.caps.includes('auto-converge')) return `cpu-throttle-percentage ${String(v)} without the auto-converge capability`;
  const params = storedParams(s, p);
  const lo = Number(params['cpu-throttle-initial']);
  const hi = Number(params['max-cpu-throttle']);
  if (typeof v !== 'number' || v < lo || v > hi) return `cpu-throttle-percentage ${String(v)} outside cpu-throttle-initial ${lo} .. max-cpu-throttle ${hi}`;
  return null;
}

/**
 * QEMU's answer to `command` in state `s`: the first row of the profile's table that matches.
 * Throws if no row matches: every command must be handled in every state (a test enumerates them).
 */
/**
 * QEMU's answer to a command in a state. `env`: the environment is so (Rule.env rows of that name
 * apply too); without it, the nominal environment (no environment rows).
 */
export function decide(p: Profile, s: SideState, command: string, args: QmpArguments = {}, env?: Environment): Decision {
  if (p.absentCommands.includes(command)) return { allowed: false, rule: null, error: commandNotFound(command) };
  // qapi/qobject-input-visitor.c: qobject_input_check rejects arguments the schema lacks.
  const allowedArgs = p.commandArgs[command];
  if (allowedArgs && command !== 'migrate-set-parameters') {
    const extra = Object.keys(args).find((k) => !allowedArgs.includes(k));
    if (extra !== undefined) return { allowed: false, rule: null, error: { class: 'GenericError', desc: `Parameter '${extra}' is unexpected` } };
  }
  const rows = rulesFor(p, s.side, command);
  if (rows.length === 0) throw new Error(`profile ${p.name}: no rule for command '${command}' on the ${s.side}`);
  for (const rule of rows) {
    if (rule.env !== undefined && rule.env !== env) continue;
    const b = evalCond(rule.when, s, args, p);
    if (b === false) continue;
    if (rule.reject) {
      const error = { class: rule.reject.class, desc: fill(rule.reject.desc, b) };
      const { status, outgoing } = rule.reject;
      if (!status && !outgoing) return { allowed: false, rule, error };
      return { allowed: false, rule, error, next: { ...s, ...(status ? { status } : {}), ...(outgoing ? { outgoing } : {}) } };
    }
    const a = rule.accept!;
    let next = applyEffects(s, a.effects, args);
    // The other role: the charts of the new role take over (side.ts stepSide); nothing of the old role's runs on.
    if (a.becomes) next = { ...next, side: a.becomes, listening: false, rp: 'closed', colo: 'none', outgoing: 'none' };
    if (a.status) next = { ...next, status: a.status as MigrationStatus };
    if (a.runstate) next = { ...next, runstate: a.runstate as RunState };
    return { allowed: true, rule, reply: buildReply(a.reply, next, p, args, s), next };
  }
  throw new Error(`profile ${p.name}: no rule matched '${command}' on the ${s.side} in status ${s.status}, run state ${s.runstate}`);
}

const envCache = new WeakMap<Profile, Map<string, Environment[]>>();
/** The environments the profile has outcomes for, for one command (Rule.env). */
function envsOf(p: Profile, command: string): Environment[] {
  let m = envCache.get(p);
  if (!m) envCache.set(p, (m = new Map()));
  let e = m.get(command);
  if (!e) m.set(command, (e = [...new Set(p.rules.filter((r) => r.command === command && r.env !== undefined).map((r) => r.env!))]));
  return e;
}

/**
 * Every answer QEMU may give: the nominal one first, then each environment outcome (Rule.env: a
 * port in use) that answers differently. Trace inclusion and the conformance runner take them all.
 */
export function decideAll(p: Profile, s: SideState, command: string, args: QmpArguments = {}): Decision[] {
  const out = [decide(p, s, command, args)];
  for (const env of envsOf(p, command)) {
    const d = decide(p, s, command, args, env);
    if (d.rule !== out[0].rule) out.push(d);
  }
  return out;
}
