// URI schemes as data (Profile.uriSchemes, the check `uriInvalid`), against both real binaries: a
// scheme QEMU does not dispatch on is "unknown migration protocol: <uri>" from migrate-incoming
// (7.2 and 10.0) and from migrate (10.0, which parses before migrate_prepare and changes nothing),
// and a retry with a good URI is still taken. The model answers through the rule engine (locate,
// then decide), as `permitted` does.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decide, getProfile, locate, type Profile } from '../machines/index.ts';
import { Vm, disposeAll, livePids, makeTempDir, removeTempDir } from '../qemu/vm.ts';

const QEMU10 = join(import.meta.dirname, '..', '.cache', 'qemu-10.0', 'bin', 'qemu-system-x86_64');

function model(p: Profile, side: 'source' | 'destination', command: string, args: Record<string, unknown>) {
  const l = locate(p, { side, status: 'none' });
  if ('invalid' in l) throw new Error(l.invalid);
  const d = decide(p, l.found.context, command, args);
  return d.allowed ? { ok: true } : { ok: false, desc: d.error.desc };
}

describe.each([
  ['qemu-7.2', undefined],
  ['qemu-10.0', QEMU10],
] as const)('%s: unknown URI schemes', (name, qemu) => {
  afterAll(async () => {
    await disposeAll();
  });

  it('answers as the model says, and leaves the process as it was', { timeout: 60_000 }, async () => {
    if (qemu) expect(existsSync(qemu), `${qemu} is missing: run scripts/fetch-qemu-10.0.sh`).toBe(true);
    const p = getProfile(name);
    const dir = makeTempDir();
    try {
      const d = await Vm.launch({ name: 'destination', qemu, dir, incoming: 'defer' });
      const s = await Vm.launch({ name: 'source', qemu, dir });
      const answer = (r: Awaited<ReturnType<typeof d.client.execute>>) => (r.ok ? { ok: true } : { ok: false, desc: (r as { error: { desc: string } }).error.desc });
      // `file:` is a scheme from 8.2 on: unknown to 7.2 (10.0 opens the file, which changes the status: not probed).
      const uris = name === 'qemu-7.2' ? ['bogus:1', 'nocolon', 'file:/nonexistent/x'] : ['bogus:1', 'nocolon'];
      for (const uri of uris) {
        const want = model(p, 'destination', 'migrate-incoming', { uri });
        expect(want).toEqual({ ok: false, desc: `unknown migration protocol: ${uri}` });
        expect(answer(await d.client.execute('migrate-incoming', { uri })), `migrate-incoming ${uri}`).toEqual(want);
      }
      // Nothing was used up: the good URI is still taken, and the destination listens.
      expect(model(p, 'destination', 'migrate-incoming', { uri: 'tcp:127.0.0.1:0' })).toEqual({ ok: true });
      expect(answer(await d.client.execute('migrate-incoming', { uri: 'tcp:127.0.0.1:0' }))).toEqual({ ok: true });
      // Capabilities that need another transport (Profile.transportChecks): 10.0 refuses before anything
      // changes; 7.2 has no such check in its handlers (not asserted past the reply there).
      const transports: [string[], string][] = [[['multifd'], 'exec:cat'], [['postcopy-ram', 'postcopy-preempt'], 'exec:cat']];
      if (name === 'qemu-10.0') transports.push([['mapped-ram'], 'tcp:127.0.0.1:1'], [['mapped-ram', 'multifd'], 'exec:cat']);
      for (const [caps, uri] of transports) {
        const dir2 = makeTempDir();
        const vms: Vm[] = [];
        try {
          const s2 = await Vm.launch({ name: 'source', qemu, dir: dir2 });
          vms.push(s2);
          const d2 = await Vm.launch({ name: 'destination', qemu, dir: dir2, incoming: 'defer' });
          vms.push(d2);
          const set = { capabilities: caps.map((capability) => ({ capability, state: true })) };
          for (const [vm, side, command] of [[s2, 'source', 'migrate'], [d2, 'destination', 'migrate-incoming']] as const) {
            expect((await vm.client.execute('migrate-set-capabilities', set)).ok).toBe(true);
            const l = locate(p, { side, status: 'none', caps });
            if ('invalid' in l) throw new Error(l.invalid);
            const m = decide(p, l.found.context, command, { uri });
            const want = m.allowed ? { ok: true } : { ok: false, desc: m.error.desc };
            if (name === 'qemu-10.0') expect(want.ok, `${command} ${uri} with ${caps}`).toBe(false);
            expect(answer(await vm.client.execute(command, { uri })), `${side} ${command} ${uri} with ${caps}`).toEqual(want);
          }
        } finally {
          for (const vm of vms) await vm.dispose();
          removeTempDir(dir2);
        }
      }
      if (name === 'qemu-10.0') {
        // cpr-transfer needs a streamable transport: the mode is a parameter, set on a fresh source.
        const dir3 = makeTempDir();
        const vms: Vm[] = [];
        try {
          const s3 = await Vm.launch({ name: 'source', qemu, dir: dir3 });
          vms.push(s3);
          const l = locate(p, { side: 'source', status: 'none' });
          if ('invalid' in l) throw new Error(l.invalid);
          const set = decide(p, l.found.context, 'migrate-set-parameters', { mode: 'cpr-transfer' });
          if (!set.allowed) throw new Error(set.error.desc);
          expect((await s3.client.execute('migrate-set-parameters', { mode: 'cpr-transfer' })).ok).toBe(true);
          const m = decide(p, set.next, 'migrate', { uri: 'file:/nonexistent/x' });
          expect(m.allowed ? 'accepted' : m.error.desc).toBe('Migration requires streamable transport (eg unix)');
          expect(answer(await s3.client.execute('migrate', { uri: 'file:/nonexistent/x' }))).toEqual({ ok: false, desc: m.allowed ? '' : m.error.desc });
        } finally {
          for (const vm of vms) await vm.dispose();
          removeTempDir(dir3);
        }
      }
      // migrate: 10.0 parses first and changes nothing; 7.2 answers after migrate_init and leaves the
      // status failed (Reject.status), with the yank instance released (a next migrate is taken).
      const want = model(p, 'source', 'migrate', { uri: 'bogus:1' });
      const after = name === 'qemu-10.0' ? {} : { status: 'failed' };
      expect(want).toEqual({ ok: false, desc: name === 'qemu-10.0' ? 'unknown migration protocol: bogus:1' : "Parameter 'uri' expects a valid migration protocol" });
      expect(answer(await s.client.execute('migrate', { uri: 'bogus:1' }))).toEqual(want);
      expect(await s.client.execute('query-migrate')).toMatchObject({ ok: true, return: after });
      const l = locate(p, { side: 'source', status: 'none' });
      if ('invalid' in l) throw new Error(l.invalid);
      const m = decide(p, l.found.context, 'migrate', { uri: 'bogus:1' });
      expect(m.allowed ? null : (m.next?.status ?? 'none')).toBe(name === 'qemu-10.0' ? 'none' : 'failed');
    } finally {
      await disposeAll();
      removeTempDir(dir);
    }
    expect(livePids()).toEqual([]);
  });
});

// qemu-10.0 on its binary: a file: URI's offset (file_parse_offset, qemu_strtosz) and uri with
// channels (`if (!uri == !channels)`), both refused before anything changes. An offset that parses
// goes on to open the file (in a directory that does not exist: QEMU's error, beyond the model).
describe('qemu-10.0: file: offsets and uri with channels', () => {
  afterAll(async () => {
    await disposeAll();
  });
  it('answers as the model says, and nothing changes', { timeout: 60_000 }, async () => {
    expect(existsSync(QEMU10), `${QEMU10} is missing: run scripts/fetch-qemu-10.0.sh`).toBe(true);
    const p = getProfile('qemu-10.0');
    const dir = makeTempDir();
    try {
      const s = await Vm.launch({ name: 'source', qemu: QEMU10, dir });
      const d = await Vm.launch({ name: 'destination', qemu: QEMU10, dir, incoming: 'defer' });
      const desc = (r: Awaited<ReturnType<typeof s.client.execute>>) => (r.ok ? 'accepted' : (r as { error: { desc: string } }).error.desc);
      let refused = 0;
      for (const off of ['0x20M', '0x20', '0X10', '1.5M', '1.5', '1.5B', '20', '20M', '5k', ' 5', '15E', '16E', '99999999999E', 'abc', '', '1e3']) {
        const uri = `file:/nonexistent-dir/x,offset=${off}`;
        const m = model(p, 'source', 'migrate', { uri });
        const real = desc(await s.client.execute('migrate', { uri }));
        if (m.ok) expect(real, `offset ${JSON.stringify(off)}`).toMatch(/^Could not create '\/nonexistent-dir\/x'/);
        else {
          refused++;
          expect(real, `offset ${JSON.stringify(off)}`).toBe(m.desc);
          expect(m.desc).toMatch(/^file URI has bad offset /);
        }
      }
      expect(refused).toBe(8);
      expect(await s.client.execute('query-migrate')).toMatchObject({ ok: true, return: {} });
      const channels = [{ 'channel-type': 'main', addr: { transport: 'socket', type: 'inet', host: '127.0.0.1', port: '1' } }];
      for (const [vm, side, command] of [[s, 'source', 'migrate'], [d, 'destination', 'migrate-incoming']] as const) {
        const m = model(p, side, command, { uri: 'tcp:127.0.0.1:1', channels });
        expect(m).toEqual({ ok: false, desc: "need either 'uri' or 'channels' argument" });
        expect(desc(await vm.client.execute(command, { uri: 'tcp:127.0.0.1:1', channels }))).toBe(m.desc);
        expect(await vm.client.execute('query-migrate')).toMatchObject({ ok: true, return: {} });
      }
    } finally {
      await disposeAll();
      removeTempDir(dir);
    }
    expect(livePids()).toEqual([]);
  });
});
