// Fake peers that hold a migration in a status long enough to act in it (loopback and UNIX only):
// - a stalled UNIX listener whose accept queue is full, so QEMU's connect() blocks (source `setup`);
// - a silent TCP server that accepts and never talks (source `postcopy-recover`);
// - a silent TCP client (destination `postcopy-recover` after migrate-recover).
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { procStat } from './proc.ts';
import { endProcess, register } from './vm.ts';

const LISTENER_JS = `
const net = require('net');
const s = net.createServer(() => {});
s.listen({ path: process.argv[1], backlog: 1 }, () => process.stdout.write('ready\\n'));
setInterval(() => {}, 1 << 30);
`;

function procState(pid: number): string | null {
  return procStat(pid)?.[0] ?? null;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Peer {
  /** The URI to give QEMU. */
  uri: string;
  /** Ends the peer: pending connects fail, open connections close. */
  close(): Promise<void>;
}

/**
 * A UNIX socket listener (in a child process, SIGSTOPped so it never accepts) with backlog 1 and
 * its queue slots taken: a further blocking connect() waits until close().
 */
export async function stalledUnixListener(dir: string, name = 'stalled.sock'): Promise<Peer> {
  const path = join(dir, name);
  const child = spawn(process.execPath, ['-e', LISTENER_JS, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  register(child, 'stalled listener');
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  child.stderr!.resume();
  const filler: Socket[] = [];
  try {
    await until(() => out.includes('ready') || child.exitCode !== null, 5000, 'the stalled listener to listen');
    if (child.exitCode !== null) throw new Error(`stalled listener exited (${child.exitCode})`);
    process.kill(child.pid!, 'SIGSTOP');
    await until(() => procState(child.pid!) === 'T', 2000, 'the stalled listener to stop');
    // listen(1) queues two connections (Node turns a backlog of 0 into 511): take both slots.
    for (let i = 0; i < 2; i++) {
      const f = connect({ path });
      filler.push(f);
      f.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        f.once('connect', () => resolve());
        f.once('error', reject);
      });
    }
  } catch (e) {
    for (const f of filler) f.destroy();
    await endProcess(child);
    throw e;
  }
  return {
    uri: `unix:${path}`,
    async close() {
      for (const f of filler) f.destroy();
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await endProcess(child);
    },
  };
}

/** A TCP server on 127.0.0.1 that accepts connections and never reads or writes. */
export async function silentServer(): Promise<Peer & { connections: number }> {
  const socks = new Set<Socket>();
  const server: Server = createServer({ pauseOnConnect: true }, (s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    uri: `tcp:127.0.0.1:${port}`,
    get connections() {
      return socks.size;
    },
    async close() {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Connects to a 127.0.0.1 port and stays silent (never writes, never reads). */
export async function silentClient(port: number, timeoutMs = 5000): Promise<Peer> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`silent client: no connection to port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.pause();
      resolve();
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
  return {
    uri: `tcp:127.0.0.1:${port}`,
    async close() {
      s.destroy();
    },
  };
}
