// The searches step sides with fastStep, computed from the profile's data; xstate's `transition` is
// the reference. On every (state, event) of the explored state spaces (the first states in
// breadth-first order under several capability sets), both must give the same next state.
import { describe, expect, it } from 'vitest';
import { initialTransition } from 'xstate';
import {
  INTERNAL_EVENTS, PROFILES, SIDES, bootSide, contextKey, exploreSide, fastStep, initialSideState, matrixProbes, movingProbes, probeEvent, sideMachine, stepSide,
  type SideEvent, type SideInput,
} from '../machines/index.ts';
import { hasIncomingCpr } from '../machines/side.ts';

describe.each(PROFILES.map((p) => [p.name, p] as const))('%s', (_n, p) => {
  it.each(SIDES.map((s) => [s] as const))('%s: fastStep agrees with xstate on every event in every explored state', (side) => {
    const alphabet: SideEvent[] = [...movingProbes(p, side).map(probeEvent), ...matrixProbes(p).map(probeEvent), ...INTERNAL_EVENTS.map((type) => ({ type }) as SideEvent)];
    let checked = 0;
    let moved = 0;
    for (const caps of [[], ['postcopy-ram'], ['pause-before-switchover'], ['x-colo', 'return-path']]) {
      if (!caps.every((c) => p.capabilities.includes(c))) continue;
      for (const r of exploreSide(p, side, caps).slice(0, 400)) {
        for (const e of alphabet) {
          const x = stepSide(p, r.snapshot, e);
          const f = fastStep(p, r.context, e);
          expect(f ? contextKey(f) : contextKey(r.context), `${JSON.stringify(e)} in ${contextKey(r.context)}`).toBe(contextKey(x.snapshot.context));
          expect(f !== null, `${JSON.stringify(e)} moves?`).toBe(x.changed);
          checked++;
          if (f) moved++;
        }
      }
    }
    expect(moved).toBeGreaterThan(1000);
    console.log(`${p.name} ${side}: ${checked} steps compared, ${moved} of them moving`);
  }, 240_000);
});

describe('contextKey with a parameter a client set to a long string', () => {
  it('holds the string by number, not by copy, and still tells values apart', () => {
    const p = PROFILES[0];
    const start = exploreSide(p, 'source', [], 'defer')[0].context;
    const big = 'x'.repeat(1_000_000);
    const a = fastStep(p, start, { type: 'qmp', command: 'migrate-set-parameters', arguments: { 'tls-creds': big } })!;
    const b = fastStep(p, start, { type: 'qmp', command: 'migrate-set-parameters', arguments: { 'tls-creds': big.slice(1) + 'y' } })!;
    const again = fastStep(p, start, { type: 'qmp', command: 'migrate-set-parameters', arguments: { 'tls-creds': 'x'.repeat(1_000_000) } })!;
    // A key per hypothesis, thousands of them: a copy of the value in each would cost gigabytes.
    expect(contextKey(a).length).toBeLessThan(2000);
    expect(contextKey(a)).not.toBe(contextKey(b));
    expect(contextKey(again)).toBe(contextKey(a));
    expect(a.params['tls-creds']).toBe(big);
  });
});

// bootSide resolves the machine at its initial configuration instead of running xstate's initial
// transition (its entry actions mirror each region's leaf into the context, which initialSideState
// has already done). Both must be the same state, and step the same, for every way a QEMU starts.
describe.each(PROFILES.map((p) => [p.name, p] as const))('%s: bootSide', (_n, p) => {
  const inputs: SideInput[] = [];
  for (const paused of [false, true]) {
    inputs.push({ side: 'source', paused }, { side: 'source', paused, uuid: '8f5e1a3c-0b4d-4e2f-9a6b-1c7d2e3f4a5b' });
    for (const incoming of ['defer', 'uri'] as const) {
      inputs.push({ side: 'destination', incoming, paused });
      if (hasIncomingCpr(p)) inputs.push({ side: 'destination', incoming, paused, cpr: true });
    }
  }
  it.each(inputs.map((i) => [JSON.stringify(i), i] as const))('%s is the snapshot xstate\'s initialTransition gives', (_k, input) => {
    const ours = bootSide(p, input);
    const [ref] = initialTransition(sideMachine(p, input.side, initialSideState(input).runstate), input);
    expect(ours.status).toBe('active');
    expect(ours.value).toEqual(ref.value);
    expect(ours.context).toEqual(ref.context);
    const meta = (s: object) => (s as { getMeta(): unknown }).getMeta();
    expect(meta(ours)).toEqual(meta(ref));
    const alphabet: SideEvent[] = [...movingProbes(p, input.side).map(probeEvent), ...matrixProbes(p).map(probeEvent), ...INTERNAL_EVENTS.map((type) => ({ type }) as SideEvent)];
    let moved = 0;
    for (const e of alphabet) {
      const a = stepSide(p, ours, e);
      const b = stepSide(p, ref, e);
      expect(contextKey(a.snapshot.context), JSON.stringify(e)).toBe(contextKey(b.snapshot.context));
      expect(a.snapshot.value, JSON.stringify(e)).toEqual(b.snapshot.value);
      if (a.changed) moved++;
    }
    expect(moved).toBeGreaterThan(3);
  });
});
