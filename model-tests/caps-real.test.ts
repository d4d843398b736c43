// migrate_caps_check's background-snapshot test against both real binaries: every capability of
// check_caps_background_snapshot the profile has, set together with background-snapshot on a fresh
// source, is refused with the name of the first such capability; alone, or with one the list lacks,
// background-snapshot is taken. The model answers through the rule engine (locate, then decide).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decide, getProfile, locate } from '../machines/index.ts';
import { Vm, disposeAll, livePids, makeTempDir, removeTempDir } from '../qemu/vm.ts';

const QEMU10 = join(import.meta.dirname, '..', '.cache', 'qemu-10.0', 'bin', 'qemu-system-x86_64');

describe.each([
  ['qemu-7.2', undefined],
  ['qemu-10.0', QEMU10],
] as const)('%s: background-snapshot with the capabilities it refuses', (name, qemu) => {
  afterAll(async () => {
    await disposeAll();
  });

  it('answers as the model says, the first listed capability named', { timeout: 60_000 }, async () => {
    if (qemu) expect(existsSync(qemu), `${qemu} is missing: run scripts/fetch-qemu-10.0.sh`).toBe(true);
    const p = getProfile(name);
    const l = locate(p, { side: 'source', status: 'none' });
    if ('invalid' in l) throw new Error(l.invalid);
    const refused = p.capConflicts.filter((c) => c.id.startsWith('background-snapshot-')).map((c) => c.all[1]);
    expect(refused.length).toBeGreaterThanOrEqual(13);
    const cases = [['background-snapshot'], ['background-snapshot', 'events'], ...refused.map((c) => ['background-snapshot', c]), ['background-snapshot', 'xbzrle', 'postcopy-ram']];
    const dir = makeTempDir();
    try {
      const s = await Vm.launch({ name: 'source', qemu, dir });
      const set = (names: string[], state: boolean) => ({ capabilities: names.map((capability) => ({ capability, state })) });
      let checked = 0;
      for (const caps of cases) {
        const d = decide(p, l.found.context, 'migrate-set-capabilities', set(caps, true));
        const want = d.allowed ? { ok: true } : { ok: false, desc: d.error.desc };
        const r = await s.client.execute('migrate-set-capabilities', set(caps, true));
        expect(r.ok ? { ok: true } : { ok: false, desc: (r as { error: { desc: string } }).error.desc }, caps.join('+')).toEqual(want);
        if (r.ok) expect((await s.client.execute('migrate-set-capabilities', set(caps, false))).ok).toBe(true);
        checked++;
      }
      expect(checked).toBe(cases.length);
    } finally {
      await disposeAll();
      removeTempDir(dir);
    }
    expect(livePids()).toEqual([]);
  });
});
