// The identity of a side's state: the one list of SideState fields that make it, read by side.ts
// `stateKey` (xstate snapshots) and fast-step.ts `contextKey` (plain data) alike. The context
// mirrors every region of the side machine (chart.ts MIRROR is total over REGIONS, and the
// mirror-matches-chart invariant checks it in every reachable state), so the data alone is the key.
import { MIRROR, REGIONS } from './chart.ts';
import type { SideState } from './profile.ts';

/** The fields the rules and transitions read besides the charts, in key order. */
const DATA_FIELDS = [
  'side', 'caps', 'params', 'listening', 'incomingStarted', 'autostart', 'startPostcopy', 'resumeRequested', 'vmOldState', 'exitOnError',
  'blocked', 'lastMode', 'yankRegistered', 'coloEnabled', 'pausePosted', 'cancelRequested', 'postcopyStarted', 'parked', 'globalState',
  'outgoing', 'fds', 'fdsets', 'transport', 'uuid', 'wasSuspended', 'cprLoading',
] as const satisfies readonly (keyof SideState)[];

/** Fixed when the process starts (how -incoming was given): no step changes it. The role does change (Accept.becomes). */
const FIXED_FIELDS = ['incoming'] as const satisfies readonly (keyof SideState)[];

/** The fields that make a state's key: the region mirrors (chart configuration), then the data. */
export const STATE_KEY_FIELDS: readonly (keyof SideState)[] = [...REGIONS.map((r) => MIRROR[r]), ...DATA_FIELDS];

// Every SideState field is in the key or fixed: a new field that is in neither does not compile
// (it would make two different states share a key).
type Unlisted = Exclude<keyof SideState, (typeof MIRROR)[keyof typeof MIRROR] | (typeof DATA_FIELDS)[number] | (typeof FIXED_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

const keyCache = new WeakMap<SideState, string>();
/** A key that identifies a side's state. Contexts are never mutated (every change makes a new object), so it is cached. */
export function contextKey(c: SideState): string {
  let k = keyCache.get(c);
  if (k === undefined) keyCache.set(c, (k = JSON.stringify(STATE_KEY_FIELDS.map((f) => (f === 'params' ? paramsKey(c.params) : c[f])))));
  return k;
}

/**
 * The parameters' part of a key. A parameter's value is whatever a client set (a trace may set a
 * 10 MB tls-creds): a long string stands in the key as its number in a table of such strings, so no
 * key copies it (hundreds of hypotheses, each a key: gigabytes). V8 keeps a string's hash, so the
 * same string is looked up once.
 */
function paramsKey(params: SideState['params']): string {
  let k = paramsKeyCache.get(params);
  if (k === undefined) {
    let long = false;
    for (const v of Object.values(params)) if (typeof v === 'string' && v.length > LONG) long = true;
    k = long ? JSON.stringify(params, (_k, v: unknown) => (typeof v === 'string' && v.length > LONG ? '\u0000#' + longId(v) : v)) : JSON.stringify(params);
    paramsKeyCache.set(params, k);
  }
  return k;
}
const LONG = 256;
const paramsKeyCache = new WeakMap<SideState['params'], string>();
const longIds = new Map<string, number>();
function longId(v: string): number {
  let id = longIds.get(v);
  if (id === undefined) longIds.set(v, (id = longIds.size));
  return id;
}
