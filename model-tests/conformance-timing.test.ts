// Issue 14 item 13: under load, conformance runs with --jobs 2 took replies that came in time for
// timeouts. One scenario's synchronous model work held the event loop while the other's reply sat
// unread, and when the loop got back, Node ran the expired wall-clock timer before reading the
// socket. The runner's waits (qemu/conformance.ts: withinLoopTime) count event-loop time instead.
// Here a real UNIX socket answers at once while the loop is blocked for longer than the limit.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMED_OUT, withinLoopTime } from '../qemu/conformance.ts';

const block = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('withinLoopTime: a limit in event-loop time', () => {
  let dir: string;
  let server: Server;
  let path: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'migstate-timing-'));
    path = join(dir, 'echo.sock');
    server = createServer((s) => s.on('data', (d) => s.write(d)));
    await new Promise<void>((r) => server.listen(path, r));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Sends a line and resolves with the echo; the socket's data event is the only way it resolves. */
  const ask = async (): Promise<{ reply: Promise<string>; sock: Socket }> => {
    const sock = createConnection(path);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const reply = new Promise<string>((r) => sock.once('data', (d) => r(d.toString())));
    sock.write('ping\n');
    return { reply, sock };
  };

  it('takes a reply that arrived while the loop was blocked past the limit (a wall-clock timer would not)', async () => {
    const { reply, sock } = await ask();
    const wall = Promise.race([reply, new Promise<typeof TIMED_OUT>((r) => setTimeout(() => r(TIMED_OUT), 250))]);
    const loop = withinLoopTime(reply, 250);
    block(800); // the echo is back in the socket buffer long before this ends
    expect(await wall).toBe(TIMED_OUT);
    expect(await loop).toBe('ping\n');
    sock.destroy();
  });

  it('still times out when nothing comes while the loop is free', async () => {
    const t0 = performance.now();
    expect(await withinLoopTime(new Promise<never>(() => {}), 300)).toBe(TIMED_OUT);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(290);
  });

  it('passes a rejection through', async () => {
    await expect(withinLoopTime(Promise.reject(new Error('closed')), 300)).rejects.toThrow('closed');
  });
});
