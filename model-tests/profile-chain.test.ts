// The profile chain (issue 17): qemu-7.2 is written out, qemu-10.0 is a delta on it, qemu-master a
// delta on qemu-10.0 (so what master changes is what upstream changed since 10.0), proposed a delta
// on qemu-master. And the rows the master audit corrected, each against the answer QEMU's source gives.
import { describe, expect, it } from 'vitest';
import { answer, exploreSide, fastStep, getProfile, loadFailureExits, loadProfile, locate, profileNames, PROFILES, type Reached } from '../machines/index.ts';
import { DELTAS as staticDeltas } from '../machines/profiles/deltas.ts';
import { DELTAS as lazyDeltas } from '../machines/profiles/deltas-lazy.ts';

const found = (l: ReturnType<typeof locate>): Reached => {
  if ('invalid' in l) throw new Error(l.invalid);
  return l.found;
};
const setCap = (capability: string) => ({ capabilities: [{ capability, state: true }] });

describe('the profile chain', () => {
  it('a browser bundle loads the same deltas, named the same, when first asked for (package.json "imports": deltas-lazy.ts)', async () => {
    expect(lazyDeltas.map((d) => d.name)).toEqual(staticDeltas.map((d) => d.name));
    expect(lazyDeltas.map((d) => d.name)).toEqual(profileNames().slice(1));
    for (const [i, d] of lazyDeltas.entries()) {
      expect(d.delta).toBeUndefined(); // not loaded with the registry
      expect(await d.load()).toBe(staticDeltas[i].delta);
    }
    for (const name of profileNames()) expect(await loadProfile(name)).toBe(getProfile(name));
    await expect(loadProfile('qemu-9.9')).rejects.toThrow(/unknown profile 'qemu-9.9' \(known: qemu-7.2, qemu-10.0/);
  });

  it('runs qemu-7.2 -> qemu-10.0 -> qemu-master -> proposed, each built on the one before', () => {
    expect(PROFILES.map((p) => [p.name, p.base])).toEqual([
      ['qemu-7.2', null],
      ['qemu-10.0', 'qemu-7.2'],
      ['qemu-master', 'qemu-10.0'],
      ['proposed', 'qemu-master'],
    ]);
  });

  it('master keeps what 10.0 has and master did not change: the 10.0 rows it does not name are the same objects', () => {
    const ten = getProfile('qemu-10.0');
    const master = getProfile('qemu-master');
    // migrate-pause and the parameter rows are 10.0's, not restated.
    for (const id of ['migrate-pause.source', 'migrate-pause.other', 'migrate-set-parameters.set'])
      expect(master.rules.find((r) => r.id === id)).toBe(ten.rules.find((r) => r.id === id));
    expect(master.capConflicts.find((c) => c.id === 'multifd-late')).toBe(ten.capConflicts.find((c) => c.id === 'multifd-late'));
  });
});

describe('migrate_caps_check: "must be set before incoming starts" reads the incoming transport (migrate_incoming_started)', () => {
  // migration_incoming_state_destroy -> migration_incoming_transport_cleanup clears transport_data,
  // so after the incoming migration completed multifd may be set again (issue 17, master defect 5).
  it.each(['qemu-10.0', 'qemu-master'])('%s: multifd refused on a listening destination, accepted once it completed', (name) => {
    const p = getProfile(name);
    const listening = found(locate(p, { side: 'destination', status: 'setup', listening: true }));
    expect(answer(p, listening, 'migrate-set-capabilities', setCap('multifd'))).toMatchObject({
      allowed: false, error: { desc: 'Multifd must be set before incoming starts' },
    });
    const completed = found(locate(p, { side: 'destination', status: 'completed' }));
    expect(answer(p, completed, 'migrate-set-capabilities', setCap('multifd'))).toMatchObject({ allowed: true });
    // exit-on-error false: a failed load is cleaned up too (migration_incoming_state_destroy).
    const failedLoads = exploreSide(p, 'destination', []).filter((r) => r.context.status === 'failed' && !r.context.yankRegistered);
    expect(failedLoads.length).toBeGreaterThan(0);
    for (const r of failedLoads) expect(answer(p, r, 'migrate-set-capabilities', setCap('multifd'))).toMatchObject({ allowed: true });
  });
  it('qemu-master: refused in postcopy-paused, where nothing listens but the transport is still there', () => {
    const p = getProfile('qemu-master');
    const paused = found(locate(p, { side: 'destination', status: 'postcopy-paused', caps: ['postcopy-ram'] }));
    expect(paused.context.listening).toBe(false);
    expect(answer(p, paused, 'migrate-set-capabilities', setCap('multifd'))).toMatchObject({
      allowed: false, error: { desc: 'Multifd must be set before incoming starts' },
    });
  });
});

describe('migrate_caps_check in master: postcopy with multifd, and the fast snapshot load', () => {
  const source = (name: string) => found(locate(getProfile(name), { side: 'source', status: 'none' }));
  const caps = (...names: string[]) => ({ capabilities: names.map((capability) => ({ capability, state: true })) });
  it('postcopy-ram with multifd: refused by 10.0, accepted by master (the multifd + postcopy series)', () => {
    expect(answer(getProfile('qemu-10.0'), source('qemu-10.0'), 'migrate-set-capabilities', caps('postcopy-ram', 'multifd'))).toMatchObject({
      allowed: false, error: { desc: 'Postcopy is not yet compatible with multifd' },
    });
    expect(answer(getProfile('qemu-master'), source('qemu-master'), 'migrate-set-capabilities', caps('postcopy-ram', 'multifd'))).toMatchObject({ allowed: true });
  });
  it('mapped-ram with postcopy-ram: refused by 10.0, a fast snapshot load in master, which refuses it with multifd or postcopy-preempt', () => {
    const m = getProfile('qemu-master');
    expect(answer(getProfile('qemu-10.0'), source('qemu-10.0'), 'migrate-set-capabilities', caps('mapped-ram', 'postcopy-ram'))).toMatchObject({
      allowed: false, error: { desc: 'Mapped-ram migration is incompatible with postcopy' },
    });
    expect(answer(m, source('qemu-master'), 'migrate-set-capabilities', caps('mapped-ram', 'postcopy-ram'))).toMatchObject({ allowed: true });
    expect(answer(m, source('qemu-master'), 'migrate-set-capabilities', caps('mapped-ram', 'postcopy-ram', 'multifd'))).toMatchObject({
      allowed: false, error: { desc: 'Multifd is not supported with fast snapshot load' },
    });
    expect(answer(m, source('qemu-master'), 'migrate-set-capabilities', caps('mapped-ram', 'postcopy-ram', 'postcopy-preempt'))).toMatchObject({
      allowed: false, error: { desc: 'Postcopy Preempt is incompatible with fast snapshot load' },
    });
  });
  it('zero-copy-send with xbzrle and dirty-limit without a dirty ring stay refused in master, as in 10.0', () => {
    for (const name of ['qemu-10.0', 'qemu-master']) {
      const p = getProfile(name);
      expect(answer(p, source(name), 'migrate-set-capabilities', caps('zero-copy-send', 'multifd', 'xbzrle'))).toMatchObject({ allowed: false });
      expect(answer(p, source(name), 'migrate-set-capabilities', caps('dirty-limit'))).toMatchObject({
        allowed: false, error: { desc: "dirty-limit requires KVM with accelerator property 'dirty-ring-size' set" },
      });
    }
  });
});

describe('the master audit (issue 17): rows read again from the source', () => {
  const master = getProfile('qemu-master');
  it('migrate on a destination holding the yank instance aborts master (&error_abort), where 10.0 answers the error', () => {
    const ten = getProfile('qemu-10.0');
    const q = { side: 'destination', status: 'postcopy-active', runstate: 'running', caps: ['postcopy-ram'] } as const;
    expect(answer(ten, found(locate(ten, q)), 'migrate', { uri: 'tcp:127.0.0.1:1' })).toMatchObject({ allowed: false, error: { desc: 'duplicate yank instance' } });
    const d = answer(master, found(locate(master, q)), 'migrate', { uri: 'tcp:127.0.0.1:1' });
    expect(d.rule?.id).toBe('migrate.yank-duplicate.dst');
    expect(d.rule?.crash?.how).toMatch(/error_abort/);
  });
  it('migrate-incoming checks once and the run state before the URI, as 10.0 (no uri and no channels on a used destination)', () => {
    const used = found(locate(master, { side: 'destination', status: 'setup', listening: true }));
    expect(answer(master, used, 'migrate-incoming', {})).toMatchObject({ allowed: false, error: { desc: 'The incoming migration has already been started' } });
  });
  it('migrate-incoming and migrate-recover send MIGRATION setup only with the events capability, as 10.0', () => {
    for (const id of ['migrate-incoming.start', 'migrate-recover.start'])
      expect(master.rules.find((r) => r.id === id)?.alwaysSends ?? []).toEqual([]);
  });
  it('migrate_cancel in setup: cancelling at once, cancelled later by migration_cleanup (no 10.0 shortcut)', () => {
    const setup = found(locate(master, { side: 'source', status: 'setup' }));
    expect(answer(master, setup, 'migrate_cancel')).toMatchObject({ allowed: true, rule: { id: 'migrate_cancel.running', accept: { status: 'cancelling' } } });
  });
});

describe('a postcopy that breaks before the destination runs (docs/findings.md F14)', () => {
  it('7.2 and 10.0: postcopy-active still inmigrate fails and exits whatever exit-on-error says; master: postcopy-device, and only with exit-on-error', () => {
    for (const name of ['qemu-7.2', 'qemu-10.0']) {
      const p = getProfile(name);
      const loading = exploreSide(p, 'destination', ['postcopy-ram']).filter((r) => r.context.status === 'postcopy-active' && r.context.runstate === 'inmigrate');
      expect(loading.length, name).toBeGreaterThan(0);
      for (const r of loading) {
        expect(loadFailureExits(r.context), name).toBe(true);
        expect(fastStep(p, r.context, { type: 'channel-error' })?.status ?? r.context.status, name).not.toBe('postcopy-paused');
      }
    }
    const m = getProfile('qemu-master');
    const device = exploreSide(m, 'destination', ['postcopy-ram']).filter((r) => r.context.status === 'postcopy-device' && r.context.runstate === 'inmigrate');
    expect(device.some((r) => r.context.exitOnError)).toBe(true);
    expect(device.some((r) => !r.context.exitOnError)).toBe(true);
    for (const r of device) {
      expect(loadFailureExits(r.context)).toBe(r.context.exitOnError);
      if (!r.context.exitOnError) expect(fastStep(m, r.context, { type: 'channel-error' })).toMatchObject({ status: 'failed', yankRegistered: false, rp: 'closed' });
    }
  });
});
