// The rule engine: a profile's command table decides, for a side's state and a QMP command, whether
// QEMU accepts it (with the reply and the change) or rejects it (with QEMU's exact error). Pure.
import type { Cond, CheckName, Environment, Profile, Rule, SideState, ParamValue, ReplyName } from './profile.ts';
import { applyEffects, capsAfter } from './effects.ts';
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
  | { allowed: false; rule: Rule | null; error: QmpError };

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
  // listener is up, cleared by migration_incoming_state_destroy (completed, failed).
  return s.side === 'destination' && s.incomingStarted && s.status !== 'completed' && s.status !== 'failed';
}

function paramType(kind: string): string {
  return kind === 'bool' ? 'boolean' : kind === 'str' ? 'string' : kind === 'int' || kind === 'percent' ? 'integer' : 'size';
}

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
  paramsArgUnknown(_s, args, p) {
    for (const name of Object.keys(args)) {
      if (!p.parameters.some((x) => x.name === name)) return { message: `Parameter '${name}' is unexpected` };
    }
    return false;
  },
  paramsArgInvalid(_s, args, p) {
    for (const [name, v] of Object.entries(args)) {
      const spec = p.parameters.find((x) => x.name === name)!;
      const want = paramType(spec.kind);
      const ok =
        spec.kind === 'bool' ? typeof v === 'boolean' : spec.kind === 'str' ? typeof v === 'string' || v === null : typeof v === 'number' && Number.isInteger(v);
      if (!ok) return { message: `Invalid parameter type for '${name}', expected: ${want}` };
      if (typeof v === 'number') {
        if (spec.kind !== 'int' && spec.kind !== 'percent' && v < 0) return { message: `Invalid parameter type for '${name}', expected: ${want}` };
        if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max))
          return { message: spec.rangeError ?? `Parameter '${name}' is out of range` };
      }
    }
    return false;
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
  uriMissing(_s, args) {
    return args.uri === undefined && args.channels === undefined ? {} : false;
  },
  uriInvalid(_s, args) {
    const uri = args.uri;
    if (typeof uri !== 'string') return false;
    return /^(tcp|unix|exec|fd|rdma|file|vsock):/.test(uri) ? false : { uri };
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

export function buildReply(r: ReplyName, s: SideState, p: Profile): unknown {
  switch (r) {
    case 'empty':
      return {};
    case 'query-migrate':
      // migration/migration.c: fill_source_migration_info / fill_destination_migration_info
      // leave out `status` while the state is none.
      return s.status === 'none' ? {} : { status: s.status };
    case 'query-migrate-capabilities':
      return p.capabilities.map((c) => ({ capability: c, state: s.caps.includes(c) }));
    case 'query-migrate-parameters': {
      const out: Record<string, ParamValue> = {};
      for (const spec of p.parameters) out[spec.name] = spec.name in s.params ? s.params[spec.name] : spec.default;
      return out;
    }
    case 'query-colo-status': {
      // migration/colo.c: qmp_query_colo_status. The mode comes from the migration status
      // (get_colo_mode); the reason from the failover status.
      const mode = s.status === 'colo' ? (s.side === 'source' ? 'primary' : 'secondary') : 'none';
      const reason = s.failover === 'none' ? 'none' : s.failover === 'completed' ? 'request' : s.side === 'source' && s.status === 'colo' ? 'processing' : 'error';
      return { mode, 'last-mode': s.lastMode, reason };
    }
    case 'query-status':
      // qapi/run-state.json: StatusInfo; `running` is runstate_is_running().
      return { status: s.runstate, running: s.runstate === 'running' };
  }
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
    if (rule.reject) return { allowed: false, rule, error: { class: rule.reject.class, desc: fill(rule.reject.desc, b) } };
    const a = rule.accept!;
    let next = applyEffects(s, a.effects, args);
    // The other role: the charts of the new role take over (side.ts stepSide); nothing of the old role's runs on.
    if (a.becomes) next = { ...next, side: a.becomes, listening: false, rp: 'closed', colo: 'none' };
    if (a.status) next = { ...next, status: a.status as MigrationStatus };
    if (a.runstate) next = { ...next, runstate: a.runstate as RunState };
    return { allowed: true, rule, reply: buildReply(a.reply, next, p), next };
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
