// TLS in the pair (machines/pair.ts): tls-creds on each end decides which ways the new channel can
// go. The model-scenario table plays each qtest case's outcome; this holds the other half: what
// the pair must not do. A session with TLS on one end only never connects, and each refusal is
// offered only where QEMU's code reaches it.
import { describe, expect, it } from 'vitest';
import { enabledInternal, getProfile, profileNames, startPair, stepPair, type PairEvent, type PairState } from '../machines/index.ts';
import { blockedReason } from '../machines/pair.ts';

const URI = 'tcp:127.0.0.1:9998';
const qmp = (vm: 'source' | 'destination', command: string, args?: Record<string, unknown>): PairEvent => ({ type: 'qmp', vm, command, arguments: args });
const syncs = (p: ReturnType<typeof getProfile>, s: PairState) => enabledInternal(p, s).flatMap((e) => (e.type === 'sync' ? [e.name] : []));
const CHANNEL_STEPS = ['connect', 'unplug-pending', 'tls-handshake-failed', 'tls-refused-by-source', 'tls-refused-by-destination'];

describe.each(profileNames())('%s', (name) => {
  const p = getProfile(name);
  /** Both started, tls-creds set where asked, the destination listening, migrate sent. */
  function migrating(srcTls: boolean, dstTls: boolean): PairState {
    let s = startPair(p, { incoming: 'defer' });
    const steps: PairEvent[] = [
      ...(srcTls ? [qmp('source', 'migrate-set-parameters', { 'tls-creds': 'tlscreds0' })] : []),
      ...(dstTls ? [qmp('destination', 'migrate-set-parameters', { 'tls-creds': 'tlscreds0' })] : []),
      qmp('destination', 'migrate-incoming', { uri: URI }),
      qmp('source', 'migrate', { uri: URI }),
    ];
    for (const e of steps) {
      const r = stepPair(p, s, e);
      expect(r.reply && 'return' in r.reply, `${JSON.stringify(e)} accepted`).toBe(true);
      s = r.state;
    }
    return s;
  }
  const cases: [string, boolean, boolean, string[]][] = [
    ['plain on both ends', false, false, ['connect']],
    ['TLS on both ends', true, true, ['connect', 'tls-handshake-failed', 'tls-refused-by-source', 'tls-refused-by-destination']],
    ['TLS on the source only', true, false, ['tls-refused-by-source']],
    ['TLS on the destination only', false, true, ['tls-refused-by-destination']],
  ];
  it.each(cases)('%s: the channel can go only the ways QEMU lets it', (_n, srcTls, dstTls, want) => {
    const s = migrating(srcTls, dstTls);
    expect(syncs(p, s).filter((n) => CHANNEL_STEPS.includes(n) && n !== 'unplug-pending')).toEqual(want);
    if (srcTls !== dstTls) expect(blockedReason(p, s, { type: 'sync', name: 'connect' })).toContain('both with TLS (tls-creds) or both without');
  });

  it('tls-creds set back to "" (null) is plain again: connect, and no TLS outcome', () => {
    let s = startPair(p, { incoming: 'defer' });
    for (const vm of ['source', 'destination'] as const) {
      s = stepPair(p, s, qmp(vm, 'migrate-set-parameters', { 'tls-creds': 'tlscreds0' })).state;
      s = stepPair(p, s, qmp(vm, 'migrate-set-parameters', { 'tls-creds': null })).state;
    }
    s = stepPair(p, s, qmp('destination', 'migrate-incoming', { uri: URI })).state;
    s = stepPair(p, s, qmp('source', 'migrate', { uri: URI })).state;
    expect(syncs(p, s).filter((n) => n.startsWith('tls-'))).toEqual([]);
    expect(syncs(p, s)).toContain('connect');
  });

  it('a source refused by the destination was active first; one that refuses the destination never was, and the destination exits', () => {
    const a = stepPair(p, migrating(true, true), { type: 'sync', name: 'tls-refused-by-destination' }).state;
    expect(a.destination).not.toBeNull();
    const b = stepPair(p, migrating(true, true), { type: 'sync', name: 'tls-refused-by-source' }).state;
    expect(b.destination).toBeNull();
  });
});
