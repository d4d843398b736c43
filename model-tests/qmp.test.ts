// The QMP client against the real QEMU binary (no mocks): greeting and negotiation, replies matched by
// id with several commands in flight, events queued with timestamps, typed errors for a QEMU that
// stops answering (SIGSTOP) or dies mid-command, and the trace lines it records.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClosedError, QmpTimeoutError } from '../qemu/qmp.ts';
import { TraceRecorder, type TraceLine } from '../qemu/trace.ts';
import { Vm, disposeAll, livePids, makeTempDir, removeTempDir } from '../qemu/vm.ts';

const opened: { vm: Vm; dir: string }[] = [];

async function launch(trace?: TraceRecorder, incoming?: string): Promise<Vm> {
  const dir = makeTempDir();
  const vm = await Vm.launch({ name: 'source', dir, trace, incoming });
  opened.push({ vm, dir });
  return vm;
}

afterEach(async () => {
  for (const { vm, dir } of opened.splice(0)) {
    try {
      process.kill(vm.pid, 'SIGCONT');
    } catch {
      /* gone */
    }
    await vm.dispose();
    removeTempDir(dir);
  }
  await disposeAll();
  expect(livePids()).toEqual([]);
});

describe('QMP client (real qemu-system-x86_64)', () => {
  it('reads the greeting and negotiates capabilities with OOB', async () => {
    const trace = new TraceRecorder(null);
    const vm = await launch(trace);
    const c = vm.client;
    expect(c.greeting?.capabilities).toContain('oob');
    expect((c.greeting?.version as { qemu: { major: number } }).qemu.major).toBe(7);
    expect(c.oob).toBe(true);
    const [greet, neg, ok] = trace.lines;
    expect(greet).toMatchObject({ vm: 'source', dir: 'recv', msg: { QMP: { capabilities: ['oob'] } } });
    expect(neg).toMatchObject({ vm: 'source', dir: 'send', msg: { execute: 'qmp_capabilities', arguments: { enable: ['oob'] } } });
    expect(ok).toMatchObject({ vm: 'source', dir: 'recv', msg: { return: {}, id: (neg.msg as { id: string }).id } });
    const r = await c.execute('query-status');
    expect(r).toEqual({ ok: true, return: { status: 'running', running: true, singlestep: false } });
  });

  it('matches replies to commands by id with several in flight', async () => {
    const vm = await launch();
    const c = vm.client;
    const batch = c.executeBatch([
      { command: 'query-status' },
      { command: 'no-such-command' },
      { command: 'query-migrate-parameters' },
      { command: 'migrate-set-parameters', args: { 'multifd-channels': 0 } },
    ]);
    const loose = [c.execute('query-migrate'), c.execute('query-migrate-capabilities'), c.executeOob('yank', { instances: [{ type: 'migration' }] })];
    const [st, nf, params, range] = await Promise.all(batch);
    const [qm, caps, yank] = await Promise.all(loose);
    expect(st).toMatchObject({ ok: true, return: { status: 'running' } });
    expect(nf).toEqual({ ok: false, error: { class: 'CommandNotFound', desc: 'The command no-such-command has not been found' } });
    expect(params).toMatchObject({ ok: true, return: { 'multifd-channels': 2, 'max-bandwidth': 134217728 } });
    expect(range).toEqual({ ok: false, error: { class: 'GenericError', desc: "Parameter 'multifd_channels' expects a value between 1 and 255" } });
    expect(qm).toEqual({ ok: true, return: {} });
    expect(Array.isArray((caps as { return: unknown }).return)).toBe(true);
    expect(yank).toEqual({ ok: false, error: { class: 'DeviceNotFound', desc: 'Instance not found' } });
    expect(c.pendingCommands()).toEqual([]);
  });

  it('queues events with their timestamps and waits for them with a timeout', async () => {
    const vm = await launch();
    const c = vm.client;
    const before = Date.now() * 1000;
    expect(await c.execute('stop')).toEqual({ ok: true, return: {} });
    expect(await c.execute('cont')).toEqual({ ok: true, return: {} });
    const stop = await c.waitEvent((e) => e.event === 'STOP', 2000);
    const resume = await c.waitEvent((e) => e.event === 'RESUME', 2000);
    expect(stop.timestampUs).toBeGreaterThanOrEqual(before - 1e6);
    expect(resume.timestampUs).toBeGreaterThanOrEqual(stop.timestampUs);
    expect(resume.receivedMs).toBeGreaterThanOrEqual(stop.receivedMs);
    expect(stop.raw).toMatchObject({ event: 'STOP', timestamp: { seconds: expect.any(Number), microseconds: expect.any(Number) } });
    expect(c.events.map((e) => e.event)).toEqual(['STOP', 'RESUME']);
    // an event already returned is not returned twice; one that never comes times out
    const t = performance.now();
    await expect(c.waitEvent((e) => e.event === 'STOP', 200)).rejects.toBeInstanceOf(QmpTimeoutError);
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('times out with QmpTimeoutError when QEMU stops answering (SIGSTOP), and recovers after SIGCONT', async () => {
    const vm = await launch();
    const c = vm.client;
    process.kill(vm.pid, 'SIGSTOP');
    const t = performance.now();
    const err = await c.execute('query-status', undefined, { timeoutMs: 400 }).then(
      () => null,
      (e: unknown) => e,
    );
    const took = performance.now() - t;
    expect(err).toBeInstanceOf(QmpTimeoutError);
    expect((err as QmpTimeoutError).timeoutMs).toBe(400);
    expect((err as QmpTimeoutError).pending).toEqual(['query-status']);
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(1500);
    process.kill(vm.pid, 'SIGCONT');
    // the late reply to the timed-out command is dropped; the connection still works
    expect(await c.execute('query-migrate', undefined, { timeoutMs: 5000 })).toEqual({ ok: true, return: {} });
    expect(c.pendingCommands()).toEqual([]);
  });

  it('fails pending commands with QmpClosedError when QEMU is killed mid-command', async () => {
    const vm = await launch();
    const c = vm.client;
    process.kill(vm.pid, 'SIGSTOP'); // the command stays pending until the kill
    const p = c.execute('query-status', undefined, { timeoutMs: 10_000 });
    const w = c.waitEvent((e) => e.event === 'NEVER', 10_000);
    await new Promise((r) => setTimeout(r, 100));
    const t = performance.now();
    process.kill(vm.pid, 'SIGKILL');
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QmpClosedError);
    expect((err as QmpClosedError).pending).toEqual(['query-status']);
    expect(performance.now() - t).toBeLessThan(2000);
    await expect(w).rejects.toBeInstanceOf(QmpClosedError);
    expect(c.closed).toBe(true);
    await expect(c.execute('query-status')).rejects.toBeInstanceOf(QmpClosedError);
    expect((await vm.exited).signal).toBe('SIGKILL');
  });

  it('records every message sent and received as trace lines, exactly', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'trace.jsonl');
    const trace = new TraceRecorder(file);
    try {
      const vm = await launch(trace, 'defer');
      const c = vm.client;
      await c.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
      await c.execute('migrate-incoming', { uri: 'tcp:127.0.0.1:0' });
      await c.waitEvent((e) => e.event === 'MIGRATION', 2000);
      const bad = await c.execute('migrate-incoming', { uri: 'tcp:127.0.0.1:0' });
      expect(bad).toEqual({ ok: false, error: { class: 'GenericError', desc: 'The incoming migration has already been started' } });
      trace.close();
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TraceLine);
      expect(lines).toEqual(trace.lines);
      for (const l of lines) {
        expect(Object.keys(l).sort()).toEqual(['dir', 'msg', 't', 'vm']);
        expect(l.vm).toBe('source');
        expect(['send', 'recv']).toContain(l.dir);
      }
      for (let i = 1; i < lines.length; i++) expect(lines[i].t).toBeGreaterThanOrEqual(lines[i - 1].t);
      const sends = lines.filter((l) => l.dir === 'send').map((l) => l.msg);
      expect(sends).toEqual([
        { execute: 'qmp_capabilities', arguments: { enable: ['oob'] }, id: expect.any(String) },
        { execute: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'events', state: true }] }, id: expect.any(String) },
        { execute: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:0' }, id: expect.any(String) },
        { execute: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:0' }, id: expect.any(String) },
      ]);
      const ids = sends.map((m) => (m as { id: string }).id);
      expect(new Set(ids).size).toBe(ids.length);
      const recvs = lines.filter((l) => l.dir === 'recv').map((l) => l.msg as Record<string, unknown>);
      expect(recvs[0]).toHaveProperty('QMP');
      expect(recvs.filter((m) => 'id' in m).map((m) => m.id)).toEqual(ids);
      expect(recvs.find((m) => m.event === 'MIGRATION')).toMatchObject({ event: 'MIGRATION', data: { status: 'setup' }, timestamp: { seconds: expect.any(Number) } });
      expect(recvs.at(-1)).toEqual({ id: ids[3], error: { class: 'GenericError', desc: 'The incoming migration has already been started' } });
    } finally {
      trace.close();
      removeTempDir(dir);
    }
  });
});

describe('QMP client against a peer that breaks the protocol', () => {
  // A stand-in for a broken monitor: real QEMU never sends these, so a socket server plays it.
  async function brokenPeer(answer: (id: unknown) => string): Promise<{ path: string; close: () => Promise<void>; dir: string }> {
    const { createServer } = await import('node:net');
    const dir = makeTempDir();
    const path = join(dir, 'broken.sock');
    const server = createServer((sock) => {
      sock.write(JSON.stringify({ QMP: { version: { qemu: { major: 10, minor: 0, micro: 0 } }, capabilities: [] } }) + '\n');
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const m = JSON.parse(buf.slice(0, nl)) as { execute: string; id: unknown };
          buf = buf.slice(nl + 1);
          sock.write((m.execute === 'qmp_capabilities' ? JSON.stringify({ return: {}, id: m.id }) : answer(m.id)) + '\n');
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(path, () => r()));
    return { path, dir, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it.each([
    ['a bare number', () => '5', /not a JSON object: 5/],
    ['null', () => 'null', /not a JSON object: null/],
    ['an error that is null', (id: unknown) => JSON.stringify({ error: null, id }), /error reply to query-status is not \{"class", "desc"\}: null/],
    ['an error without desc', (id: unknown) => JSON.stringify({ error: { class: 'GenericError' }, id }), /is not \{"class", "desc"\}/],
  ])('%s as a reply: the command fails with QmpProtocolError naming it, no TypeError', async (_what, answer, message) => {
    const { QmpClient, QmpProtocolError } = await import('../qemu/qmp.ts');
    const peer = await brokenPeer(answer);
    try {
      const c = await QmpClient.connect(peer.path, { timeoutMs: 2000 });
      const err = await c.execute('query-status', undefined, { timeoutMs: 2000 }).then(() => null, (e: Error) => e);
      expect(err).toBeInstanceOf(QmpProtocolError);
      expect(err!.message).toMatch(message);
      c.close();
    } finally {
      await peer.close();
      removeTempDir(peer.dir);
    }
  });
});
