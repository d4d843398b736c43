// The named invariants over the composed pair, checked in every state the explorer reaches, per
// profile (every capability variant). Claimed invariants hold except the known model findings
// (each profile's invariants.knownViolations, each with its counterexample); scoped invariants a
// profile does not claim really fail there (that is QEMU's behaviour, as their scope notes say).
import { describe, expect, it } from 'vitest';
import { PROFILES, getProfile, profileNames, startPair, stepPair } from '../machines/index.ts';
import { INVARIANTS, checkClaims, holdsIn, invariantsFor, knownViolations } from '../machines/invariants.ts';
import { explorePair, pairKey, pathTrace } from '../machines/explore-pair.ts';

describe('the catalogue', () => {
  it('has at least 15 named invariants, each with a reason and a QEMU reference', () => {
    expect(INVARIANTS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(INVARIANTS.map((i) => i.name)).size).toBe(INVARIANTS.length);
    for (const i of INVARIANTS) {
      expect(i.why.length, i.name).toBeGreaterThan(30);
      expect(i.ref, i.name).toMatch(/\w/);
      if (i.scoped) {
        expect(i.scopeNote, `${i.name}: a scoped invariant says why`).toBeTruthy();
        expect(PROFILES.some((p) => holdsIn(i, p)), `${i.name}: a scoped invariant is claimed by some profile`).toBe(true);
      }
    }
  });

  it("each profile's claims and known violations name invariants it can claim", () => {
    for (const p of PROFILES) expect(() => checkClaims(p)).not.toThrow();
  });

  it('holds in the start states of every profile', () => {
    for (const name of profileNames()) {
      const p = getProfile(name);
      for (const s of [startPair(p), startPair(p, { incoming: 'uri', sourcePaused: true, destinationPaused: true })])
        expect(invariantsFor(p).filter((i) => !i.holds(s, p)).map((i) => i.name)).toEqual([]);
    }
  });

  it('an exited process takes no commands (checked by the invariant itself after a crash)', () => {
    const p = getProfile('qemu-7.2');
    const s = stepPair(p, startPair(p), { type: 'fault', fault: 'crash-destination' }).state;
    expect(s.destination).toBeNull();
    expect(INVARIANTS.find((i) => i.name === 'exited-takes-no-commands')!.holds(s, p)).toBe(true);
  });
});

describe.each(profileNames().map((n) => [n] as const))('every reachable state of %s', (name) => {
  const p = getProfile(name);
  it('satisfies every claimed invariant but the known findings; scoped-out ones fail as QEMU does', { timeout: 120_000 }, () => {
    const { explorer, result } = explorePair(p, { invariants: INVARIANTS });
    const failed = new Map(result.violations.map((v) => [v.invariant, v]));
    const claimedFailed = [...failed.keys()].filter((n) => holdsIn(INVARIANTS.find((i) => i.name === n)!, p)).sort();
    expect(claimedFailed).toEqual(knownViolations(p).map((k) => k.invariant).sort());
    const scopedOut = INVARIANTS.filter((i) => !holdsIn(i, p)).map((i) => i.name);
    for (const n of scopedOut) expect(failed.has(n), `${n} is scoped out of ${name}: QEMU really allows it`).toBe(true);
    // Each counterexample replays through stepPair to the state the explorer found.
    for (const v of result.violations) {
      const { final } = pathTrace(p, explorer.pathTo(v.state));
      expect(pairKey(final)).toBe(pairKey(explorer.stateAt(v.state)));
      expect(INVARIANTS.find((i) => i.name === v.invariant)!.holds(final, p)).toBe(false);
    }
    console.log(`${name}: ${result.states} states, ${result.transitions} transitions, depth ${result.depth}; violated: ${[...failed.keys()].join(', ') || 'none'}`);
  });
});
