// Why a step of the pair cannot happen (machines/pair.ts blockedReason): the reason is the one
// composeStep stops at, so it is given exactly when the step changes nothing, in every explored
// state; and it names what stops it (the channel, the spec's condition in words, the process an
// event cannot move, in its role now).
import { describe, expect, it } from 'vitest';
import { getProfile, profileNames, startPair, stepPair, SYNC, FAULTS, type PairEvent, type PairState, type Profile } from '../machines/index.ts';
import { blockedReason, pairView } from '../machines/pair.ts';
import { explorePair } from '../machines/explore-pair.ts';

const INTERNAL: PairEvent[] = [...SYNC.map((s): PairEvent => ({ type: 'sync', name: s.name })), ...FAULTS.map((f): PairEvent => ({ type: 'fault', fault: f }))];
const URI = { uri: 'tcp:127.0.0.1:4444' };

function run(p: Profile, events: PairEvent[], s: PairState = startPair(p)): PairState {
  for (const e of events) {
    const r = stepPair(p, s, e);
    expect(r.changed, JSON.stringify(e)).toBe(true);
    s = r.state;
  }
  return s;
}

/** A precopy to completion, then the destination migrates on (rule migrate.start.dst: it becomes a source). */
function migratedOn(p: Profile): PairState {
  let s = run(p, [
    { type: 'qmp', vm: 'destination', command: 'migrate-incoming', arguments: URI },
    { type: 'qmp', vm: 'source', command: 'migrate', arguments: URI },
    { type: 'sync', name: 'connect' },
    { type: 'sync', name: 'converge' },
  ]);
  // qemu-master and proposed pass through device (migration_switchover_start) before completing.
  const sw = stepPair(p, s, { type: 'sync', name: 'switchover-start' });
  if (sw.changed) s = sw.state;
  s = run(p, [{ type: 'sync', name: 'complete' }, { type: 'sync', name: 'cleanup' }], s);
  expect(s.destination!.context.status).toBe('completed');
  return run(p, [{ type: 'qmp', vm: 'destination', command: 'migrate', arguments: { uri: 'tcp:127.0.0.1:5555' } }], s);
}

describe('blockedReason: why a step of the pair cannot happen', () => {
  it.each(profileNames())('%s: a reason exactly when the step changes nothing, in explored states', (name) => {
    const p = getProfile(name);
    const { explorer } = explorePair(p, { caps: [[], ['x-colo'], ['postcopy-ram', 'return-path']] });
    // Every state would take ~10 s for all three profiles; a stride over the breadth-first order keeps every depth.
    const stride = Math.max(1, Math.ceil(explorer.size / 2500));
    let blocked = 0;
    let moved = 0;
    for (let i = 0; i < explorer.size; i += stride) {
      const s = explorer.stateAt(i);
      for (const e of INTERNAL) {
        const why = blockedReason(p, s, e);
        const changed = stepPair(p, s, e).changed;
        expect(why === '', `${JSON.stringify(e)} in state ${i}: changed ${changed}, reason '${why}'`).toBe(changed);
        if (changed) moved++;
        else blocked++;
      }
    }
    // Both sides of the equivalence are exercised.
    expect(blocked).toBeGreaterThan(1000);
    expect(moved).toBeGreaterThan(100);
  }, 60_000);

  it('names the channel, the spec’s condition in words, or the process an event cannot move', () => {
    const p = getProfile('qemu-7.2');
    const s0 = startPair(p);
    expect(blockedReason(p, s0, { type: 'sync', name: 'connect' })).toBe(SYNC.find((x) => x.name === 'connect')!.needs);
    expect(blockedReason(p, s0, { type: 'sync', name: 'connect' })).toMatch(/^the source must be in setup and the destination listening/);
    expect(blockedReason(p, s0, { type: 'sync', name: 'converge' })).toBe('needs the channel connected (it is closed)');
    expect(blockedReason(p, s0, { type: 'sync', name: 'cleanup' })).toBe('cleanup-done cannot move the source (none / running)');
    expect(blockedReason(p, s0, { type: 'fault', fault: 'channel-break' })).toBe('the channel is closed, not connected');
    expect(blockedReason(p, s0, { type: 'fault', fault: 'crash-source' })).toBe('');
    const crashed = run(p, [{ type: 'fault', fault: 'crash-destination' }]);
    expect(blockedReason(p, crashed, { type: 'fault', fault: 'crash-destination' })).toBe('the destination has already exited');
    expect(blockedReason(p, crashed, { type: 'qmp', vm: 'destination', command: 'query-status' })).toBe('the destination has exited');
    // Enabled: no reason.
    const loading = run(p, [
      { type: 'qmp', vm: 'destination', command: 'migrate-incoming', arguments: URI },
      { type: 'qmp', vm: 'source', command: 'migrate', arguments: URI },
      { type: 'sync', name: 'connect' },
      { type: 'sync', name: 'converge' },
    ]);
    expect(blockedReason(p, loading, { type: 'sync', name: 'complete' })).toBe('');
    // Every condition has its words (the type requires them; none is empty).
    for (const spec of SYNC) if (spec.when) expect(spec.needs, spec.name).toMatch(/\w{3}/);
  });

  it('a destination that migrated on is named in its role now (F3)', () => {
    for (const name of profileNames()) {
      const p = getProfile(name);
      const s = migratedOn(p);
      expect(s.destination!.context.side).toBe('source');
      expect(blockedReason(p, s, { type: 'sync', name: 'failover-relaunch' })).toBe('failover-relaunch cannot move the destination process, now a source (setup / running)');
      // Its migration has a third process for peer: no step of this pair moves it, each says why.
      // Its guest, though, is its own and may still suspend (guest-suspend:destination).
      for (const e of INTERNAL) if (!(e.type === 'fault' && e.fault.startsWith('crash')) && !(e.type === 'sync' && SYNC.find((x) => x.name === e.name)!.guest)) expect(blockedReason(p, s, e), `${name} ${JSON.stringify(e)}`).not.toBe('');
      expect(stepPair(p, s, { type: 'sync', name: 'guest-suspend:destination' }).state.destination!.context.runstate).toBe('suspended');
    }
  });
});

describe('a stream that breaks in wait-unplug (qemu_savevm_wait_unplug polls the unplug alone)', () => {
  it.each(profileNames())('%s: the source stays in wait-unplug, and fails once active (error-detected)', (name) => {
    const p = getProfile(name);
    let s = run(p, [
      { type: 'qmp', vm: 'destination', command: 'migrate-incoming', arguments: URI },
      { type: 'qmp', vm: 'source', command: 'migrate', arguments: URI },
      { type: 'sync', name: 'unplug-pending' },
      { type: 'fault', fault: 'channel-break' },
    ]);
    expect(s.source!.context.status).toBe('wait-unplug');
    expect(pairView(s).channel).toBe('broken');
    // Not while the thread waits for the unplug.
    expect(blockedReason(p, s, { type: 'sync', name: 'error-detected' })).toMatch(/active/);
    s = run(p, [{ type: 'sync', name: 'unplug-done' }], s);
    expect(s.source!.context.status).toBe('active');
    expect(stepPair(p, s, { type: 'sync', name: 'converge' }).changed).toBe(false);
    s = run(p, [{ type: 'sync', name: 'error-detected' }], s);
    expect(['failed', 'failing']).toContain(s.source!.context.status);
  });
});
