// validate-uuid in the pair (machines/pair.ts: uuid-mismatch): the scenario table plays the four
// qtest cases; this holds what must not happen. With the source sending its UUID and the destination
// holding another, the migration never completes; with one side's -uuid missing, or validate-uuid
// off, nothing stops it.
import { describe, expect, it } from 'vitest';
import { enabledInternal, getProfile, profileNames, startPair, stepPair, type PairEvent, type PairInput, type PairState } from '../machines/index.ts';

const URI = 'tcp:127.0.0.1:9998';
const A = '11111111-1111-1111-1111-111111111111';
const B = '22222222-2222-2222-2222-222222222222';
const qmp = (vm: 'source' | 'destination', command: string, args?: Record<string, unknown>): PairEvent => ({ type: 'qmp', vm, command, arguments: args });

describe.each(profileNames())('%s', (name) => {
  const p = getProfile(name);
  /** Connected and converged (the source stopped in finish-migrate, in device where QEMU has it): where complete would come next. */
  function converged(input: PairInput, validate: boolean): PairState {
    let s = startPair(p, { incoming: 'defer', ...input });
    for (const e of [
      qmp('source', 'migrate-set-capabilities', { capabilities: [{ capability: 'validate-uuid', state: validate }] }),
      qmp('destination', 'migrate-incoming', { uri: URI }),
      qmp('source', 'migrate', { uri: URI }),
      { type: 'sync', name: 'connect' } as PairEvent,
      { type: 'sync', name: 'converge' } as PairEvent,
    ]) {
      const r = stepPair(p, s, e);
      if (e.type === 'qmp') expect(r.reply && 'return' in r.reply, JSON.stringify(e)).toBe(true);
      else expect(r.changed, JSON.stringify(e)).toBe(true);
      s = r.state;
    }
    // 10.0 and later pass through device before completing (migration_switchover_start)
    const sw = stepPair(p, s, { type: 'sync', name: 'switchover-start' });
    return sw.changed ? sw.state : s;
  }
  const syncs = (s: PairState) => enabledInternal(p, s).flatMap((e) => (e.type === 'sync' ? [e.name] : []));
  const cases: [string, PairInput, boolean, boolean][] = [
    ['different UUIDs, validate-uuid on', { sourceUuid: A, destinationUuid: B }, true, false],
    ['different UUIDs, validate-uuid off', { sourceUuid: A, destinationUuid: B }, false, true],
    ['the same UUID', { sourceUuid: A, destinationUuid: A }, true, true],
    ['no -uuid on the destination (a warning only)', { sourceUuid: A }, true, true],
    ['no -uuid on the source (nothing sent)', { destinationUuid: B }, true, true],
  ];
  it.each(cases)('%s: complete %s', (_n, input, validate, completes) => {
    const s = converged(input, validate);
    expect(syncs(s).includes('complete')).toBe(completes);
    expect(syncs(s).includes('uuid-mismatch')).toBe(!completes);
  });
});
