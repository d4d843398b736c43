// The profile registry: qemu-7.2 is written out; the others are deltas, each on the one before it
// (qemu-7.2 -> qemu-10.0 -> qemu-master -> proposed), applied here once.
import { applyDelta, type Profile } from '../profile.ts';
import { RUN_STATES_OF } from '../run-state.ts';
import { SIDES } from '../vocabulary.ts';
import { qemu72 } from './qemu-7.2.ts';
// deltas.ts, or deltas-lazy.ts in a browser bundle (package.json "imports").
import { DELTAS } from '#profile-deltas';

/** Checks that a profile's data is consistent; throws naming the row that is not. */
export function validateProfile(p: Profile): Profile {
  const ids = new Set<string>();
  for (const r of p.rules) {
    if (ids.has(r.id)) throw new Error(`profile ${p.name}: duplicate rule id '${r.id}'`);
    ids.add(r.id);
    if (!!r.accept === !!r.reject) throw new Error(`profile ${p.name}: rule '${r.id}' must either accept or reject`);
    if (!r.ref.includes(':')) throw new Error(`profile ${p.name}: rule '${r.id}' must cite 'file: function'`);
    if (r.accept?.status && r.accept.runstate) throw new Error(`profile ${p.name}: rule '${r.id}' moves two charts at once`);
    // An environment outcome is an answer QEMU may give instead of the nominal one: an error that changes nothing.
    if (r.env !== undefined && !r.reject) throw new Error(`profile ${p.name}: environment row '${r.id}' must reject`);
    for (const side of SIDES) {
      if (r.side !== 'both' && r.side !== side) continue;
      if (r.accept?.status && !p.statuses[r.accept.becomes ?? side].includes(r.accept.status))
        throw new Error(`profile ${p.name}: rule '${r.id}' moves the ${side} to '${r.accept.status}', which it does not have`);
      if (r.reject?.status && !p.statuses[side].includes(r.reject.status))
        throw new Error(`profile ${p.name}: rule '${r.id}' leaves the ${side} in '${r.reject.status}', which it does not have`);
      if (r.accept?.runstate && !RUN_STATES_OF[side].includes(r.accept.runstate))
        throw new Error(`profile ${p.name}: rule '${r.id}' moves the ${side} to run state '${r.accept.runstate}', which it does not have`);
    }
    // A refused migrate on a destination leaves its outgoing status (SideState.outgoing): a destination's row only.
    if (r.reject?.outgoing && r.side !== 'destination') throw new Error(`profile ${p.name}: rule '${r.id}': an outgoing status is left by destination rows only`);
    if (!p.commands.includes(r.command)) throw new Error(`profile ${p.name}: rule '${r.id}' is for unlisted command '${r.command}'`);
  }
  const tids = new Set<string>();
  for (const t of p.transitions) {
    if (tids.has(t.id)) throw new Error(`profile ${p.name}: duplicate transition id '${t.id}'`);
    tids.add(t.id);
    if (!t.ref.includes(':')) throw new Error(`profile ${p.name}: transition '${t.id}' must cite 'file: function'`);
    const perSide = t.chart !== 'source-status' && t.chart !== 'destination-status';
    if (perSide !== (t.side !== undefined)) throw new Error(`profile ${p.name}: transition '${t.id}': a side is given for the per-side charts (run state, COLO, failover, return path), and only for them`);
  }
  // Parameters: each cites its source; each migrate_params_check test reads parameters the profile has.
  const pnames = new Set(p.parameters.map((x) => x.name));
  for (const x of p.parameters) {
    if (!x.ref.includes(':')) throw new Error(`profile ${p.name}: parameter '${x.name}' must cite 'file: function'`);
    if ((x.type === 'enum') !== (x.values !== undefined)) throw new Error(`profile ${p.name}: parameter '${x.name}': values are given for an enum, and only for one`);
  }
  for (const c of p.paramChecks) {
    const reads = c.kind === 'conflict' ? Object.keys(c.differs) : [c.param, ...(c.kind === 'range' && typeof c.min === 'object' ? [c.min.param] : [])];
    for (const r of reads) if (!pnames.has(r)) throw new Error(`profile ${p.name}: parameter check '${c.id}' reads unknown parameter '${r}'`);
    if (!c.ref.includes(':')) throw new Error(`profile ${p.name}: parameter check '${c.id}' must cite 'file: function'`);
  }
  return p;
}

/** The chain, oldest first: qemu-7.2 written out, then each delta on the one before it. */
const NAMES = [qemu72.name, ...DELTAS.map((d) => d.name)];
/** The deltas at hand: all of them with deltas.ts; in a browser, those loadProfile fetched. */
const deltas = DELTAS.map((d) => d.delta);
const built: Profile[] = [];

/** The chain's i-th profile, built (and checked) the first time it is asked for, with those before
 * it: the viewer's first render needs one profile, not four (applying and checking the three
 * deltas is ~15 ms of a page load). */
function upTo(i: number): Profile {
  while (built.length <= i) {
    const k = built.length;
    const delta = k === 0 ? undefined : deltas[k - 1];
    if (k > 0 && !delta) throw new Error(`profile '${NAMES[i]}' is not loaded yet: its delta '${NAMES[k]}' comes from loadProfile('${NAMES[i]}')`);
    built.push(validateProfile(k === 0 ? qemu72 : applyDelta(built[k - 1], delta!)));
  }
  return built[i];
}

/**
 * The profile called `name`, once the deltas it is built from are at hand (at once, except in a
 * browser bundle, which fetches them here); getProfile answers for it from then on.
 */
export async function loadProfile(name: string): Promise<Profile> {
  const i = NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown profile '${name}' (known: ${profileNames().join(', ')})`);
  await Promise.all(
    DELTAS.slice(0, i).map(async (src, k) => {
      if (deltas[k]) return;
      const d = await src.load();
      if (d.name !== src.name) throw new Error(`profile delta '${src.name}' loaded as '${d.name}'`);
      deltas[k] = d;
    }),
  );
  return upTo(i);
}

/** Every profile, oldest first. Pure: a bundle that never reads it (the viewer's page) builds the
 * profiles one by one as getProfile asks for them. With deltas-lazy.ts (a browser bundle) they
 * are not all at hand when this module runs: there any use of it throws, naming loadProfile. */
export const PROFILES: readonly Profile[] = /* @__PURE__ */ allProfiles();

function allProfiles(): readonly Profile[] {
  if (deltas.every(Boolean)) return NAMES.map((_, i) => upTo(i));
  const fail = (): never => {
    throw new Error('PROFILES is not available where the later profiles are fetched on first use (a browser bundle): use loadProfile(name)');
  };
  return new Proxy([] as Profile[], { get: fail, has: fail, ownKeys: fail });
}

export function profileNames(): string[] {
  return [...NAMES];
}

/** The profile called `name`; throws with the list of known ones otherwise. */
export function getProfile(name: string): Profile {
  const i = NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown profile '${name}' (known: ${profileNames().join(', ')})`);
  return upTo(i);
}
