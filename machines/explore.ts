// Breadth-first exploration of one side machine, and the queries built on it: "in the state this
// description names (reached by its shortest path), what does QEMU answer to this command?".
// Pure: snapshots are stepped with xstate's `transition`.
import type { ChartTransition, Profile, SideState } from './profile.ts';
import { decide, evalCond, type Decision } from './rules.ts';
import { transitionApplies, MIRROR, CHART_REGION } from './chart.ts';
import { startSide, stepSide, stateKey, type SideInput, type SideSnapshot } from './side.ts';
export { stateKey };
import { INTERNAL_EVENTS, type IncomingMode, type MigrationStatus, type QmpArguments, type RunState, type Side, type SideEvent } from './vocabulary.ts';

/** A QMP command with the arguments used to probe it, as the matrix and the explorer send it. */
export interface Probe {
  label: string;
  command: string;
  arguments?: QmpArguments;
}

export const MIGRATION_URI = 'tcp:127.0.0.1:4444';

/** The commands the explorer may send to move a side (state-changing ones, canonical arguments). */
export function movingProbes(p: Profile, side: Side): Probe[] {
  const out: Probe[] = [
    { label: 'migrate', command: 'migrate', arguments: { uri: MIGRATION_URI } },
    { label: 'migrate resume', command: 'migrate', arguments: { uri: MIGRATION_URI, resume: true } },
    { label: 'migrate-incoming', command: 'migrate-incoming', arguments: { uri: MIGRATION_URI } },
    { label: 'migrate-recover', command: 'migrate-recover', arguments: { uri: MIGRATION_URI } },
    { label: 'migrate_cancel', command: 'migrate_cancel' },
    { label: 'migrate-continue', command: 'migrate-continue', arguments: { state: 'pre-switchover' } },
    { label: 'migrate-pause', command: 'migrate-pause' },
    { label: 'migrate-start-postcopy', command: 'migrate-start-postcopy' },
    { label: 'cont', command: 'cont' },
    { label: 'stop', command: 'stop' },
    { label: 'x-colo-lost-heartbeat', command: 'x-colo-lost-heartbeat' },
  ];
  if (side === 'destination' && (p.commandArgs['migrate-incoming'] ?? []).includes('exit-on-error'))
    out.push({ label: 'migrate-incoming exit-on-error=false', command: 'migrate-incoming', arguments: { uri: MIGRATION_URI, 'exit-on-error': false } });
  return out.filter((x) => p.commands.includes(x.command));
}

/** The columns of the permission matrix: every modelled command, with representative arguments. */
export function matrixProbes(p: Profile): Probe[] {
  const args: Record<string, QmpArguments | undefined> = {
    migrate: { uri: MIGRATION_URI },
    'migrate-incoming': { uri: MIGRATION_URI },
    'migrate-recover': { uri: MIGRATION_URI },
    'migrate-continue': { state: 'pre-switchover' },
    'migrate-set-capabilities': { capabilities: [{ capability: 'events', state: true }] },
    'migrate-set-parameters': { 'max-bandwidth': 1000000 },
    yank: { instances: [{ type: 'migration' }] },
  };
  const out: Probe[] = [];
  for (const c of p.commands) {
    if (p.rules.some((r) => r.command === c && r.id.startsWith('opaque.'))) continue; // not migration: no column
    out.push({ label: c, command: c, arguments: args[c] });
    if (c === 'migrate') out.push({ label: 'migrate resume', command: c, arguments: { uri: MIGRATION_URI, resume: true } });
    if (c === 'migrate-set-parameters') {
      out.push({ label: 'migrate-set-parameters multifd-channels', command: c, arguments: { 'multifd-channels': 4 } });
      out.push({ label: 'migrate-set-parameters x-checkpoint-delay', command: c, arguments: { 'x-checkpoint-delay': 2000 } });
    }
  }
  for (const c of p.absentCommands) out.push({ label: c, command: c });
  return out;
}

export function probeEvent(x: Probe): SideEvent {
  return x.arguments ? { type: 'qmp', command: x.command, arguments: x.arguments } : { type: 'qmp', command: x.command };
}

export interface Reached {
  snapshot: SideSnapshot;
  /** Events from the start, shortest first. */
  path: SideEvent[];
  /** How the process was started. */
  start: SideInput;
}

const internalIndex = new WeakMap<Profile, Map<string, ChartTransition[]>>();
/**
 * Whether an event can change a side at all: lets the search skip most (state, event) pairs without
 * asking xstate (a QMP command that is refused or changes nothing; an internal event with no
 * enabled transition from the current states).
 */
export function mayMove(p: Profile, c: SideState, e: SideEvent): boolean {
  if (e.type === 'qmp') {
    const d = decide(p, c, e.command, e.arguments ?? {});
    if (!d.allowed) return false;
    const a = d.rule.accept!;
    return !!a.status || !!a.runstate || !!a.failover || (a.effects?.length ?? 0) > 0;
  }
  let idx = internalIndex.get(p);
  if (!idx) {
    internalIndex.set(p, (idx = new Map()));
    for (const t of p.transitions) {
      if (!idx.has(t.event)) idx.set(t.event, []);
      idx.get(t.event)!.push(t);
    }
  }
  return (idx.get(e.type) ?? []).some((t) => {
    const region = CHART_REGION[t.chart];
    return transitionApplies(t, t.chart, c.side, c[MIRROR[region]] as string) && (t.chart !== 'source-status' || c.side === 'source') &&
      (t.chart !== 'destination-status' || c.side === 'destination') && evalCond(t.when, c, {}, p) !== false;
  });
}


/**
 * Every state of a side reachable with capabilities `caps` set before anything else, in
 * breadth-first order (so the first state matching a description is reached by a shortest path).
 * Starts: a plain start first, then `-S` (source: prelaunch; destination: autostart off).
 */
export function exploreSide(p: Profile, side: Side, caps: readonly string[], incoming: IncomingMode = 'defer', maxStates = 20000): Reached[] {
  const starts: SideInput[] = side === 'source' ? [{ side }, { side, paused: true }] : [{ side, incoming }, { side, incoming, paused: true }];
  const alphabet: SideEvent[] = [
    ...movingProbes(p, side).map(probeEvent),
    ...INTERNAL_EVENTS.map((type) => ({ type }) as SideEvent),
  ];
  const setCaps: SideEvent = { type: 'qmp', command: 'migrate-set-capabilities', arguments: { capabilities: caps.map((capability) => ({ capability, state: true })) } };
  const seen = new Set<string>();
  const out: Reached[] = [];
  const queue: Reached[] = [];
  for (const start of starts) {
    let snap = startSide(p, start);
    const path: SideEvent[] = [];
    if (caps.length) {
      const r = stepSide(p, snap, setCaps);
      if (!r.decision?.allowed) continue; // this combination is refused by migrate_caps_check
      snap = r.snapshot;
      path.push(setCaps);
    }
    const k = stateKey(snap);
    if (seen.has(k)) continue;
    seen.add(k);
    queue.push({ snapshot: snap, path, start });
  }
  while (queue.length && out.length < maxStates) {
    const cur = queue.shift()!;
    out.push(cur);
    for (const e of alphabet) {
      if (!mayMove(p, cur.snapshot.context, e)) continue;
      const r = stepSide(p, cur.snapshot, e);
      if (!r.changed) continue;
      const k = stateKey(r.snapshot);
      if (seen.has(k)) continue;
      seen.add(k);
      queue.push({ snapshot: r.snapshot, path: [...cur.path, e], start: cur.start });
    }
  }
  return out;
}

/** A description of an observable state, as `migstate permitted` reads it. */
export interface StateQuery {
  side: Side;
  status: string;
  caps?: readonly string[];
  runstate?: string;
  incoming?: IncomingMode;
  listening?: boolean;
  /** COLO failover status (FailoverStatus). */
  failover?: string;
}

const exploreCache = new WeakMap<Profile, Map<string, Reached[]>>();
function cachedExplore(p: Profile, side: Side, caps: readonly string[], incoming: IncomingMode): Reached[] {
  let m = exploreCache.get(p);
  if (!m) exploreCache.set(p, (m = new Map()));
  const key = `${side}|${incoming}|${[...caps].sort().join(',')}`;
  let r = m.get(key);
  if (!r) m.set(key, (r = exploreSide(p, side, [...caps].sort(), incoming)));
  return r;
}

function matches(c: SideState, q: StateQuery, caps: readonly string[]): boolean {
  if (c.status !== q.status) return false;
  if (q.runstate !== undefined && c.runstate !== q.runstate) return false;
  if (q.listening !== undefined && c.listening !== q.listening) return false;
  if (q.failover !== undefined && c.failover !== q.failover) return false;
  return c.caps.length === caps.length && caps.every((x) => c.caps.includes(x));
}

export type Located = { found: Reached } | { invalid: string };

/** The state a query describes, reached by its shortest path; or why there is none. */
export function locate(p: Profile, q: StateQuery): Located {
  const caps = [...new Set(q.caps ?? [])].sort();
  if (!p.statuses[q.side].includes(q.status as MigrationStatus) && q.status !== 'none')
    return { invalid: `status '${q.status}' does not exist on the ${q.side} in profile ${p.name} (it has: ${p.statuses[q.side].join(', ')})` };
  const unknownCap = caps.find((c) => !p.capabilities.includes(c));
  if (unknownCap) return { invalid: `unknown capability '${unknownCap}' in profile ${p.name}` };
  if (q.side === 'source' && (q.incoming !== undefined || q.listening !== undefined))
    return { invalid: "'incoming' and 'listening' describe a destination only" };
  const reached = cachedExplore(p, q.side, caps, q.incoming ?? 'defer');
  if (caps.length && reached.length === 0) {
    const d = decide(p, startSide(p, { side: q.side, incoming: q.incoming }).context, 'migrate-set-capabilities', {
      capabilities: caps.map((capability) => ({ capability, state: true })),
    });
    return { invalid: `capabilities [${caps.join(', ')}] cannot be set together: ${d.allowed ? 'refused' : d.error.desc}` };
  }
  const hit = reached.find((r) => matches(r.snapshot.context, q, caps));
  if (!hit) {
    const parts = [`status ${q.status}`, q.runstate && `run state ${q.runstate}`, q.listening !== undefined && `listening ${q.listening}`, q.failover && `failover ${q.failover}`, `caps [${caps.join(', ')}]`].filter(Boolean);
    return { invalid: `unreachable in profile ${p.name}: no ${q.side} state with ${parts.join(', ')}` };
  }
  return { found: hit };
}

/** QEMU's answer to a command in a reached state. */
export function answer(p: Profile, r: Reached, command: string, args: QmpArguments = {}): Decision {
  return decide(p, r.snapshot.context, command, args);
}

export type { RunState };
