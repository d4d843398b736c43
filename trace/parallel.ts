// Reading a long trace with its JSON parsed in worker threads. Parsing is most of the cost of a
// check (see trace/extract.ts); the checker itself must see the lines in order, one thread. So the
// text is cut into blocks of whole lines, the blocks are parsed by a small pool of workers into flat
// records, and the records come back in order. At most 2 blocks per worker are in flight: memory
// stays flat whatever the size of the trace. A trace that fits in one block is parsed here, in this
// thread: a worker's start-up (it compiles extract.ts) would cost more than it saves. Node only.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { parseBlock, type RecordBlock } from './extract.ts';

export type { RecordBlock };

export interface ParallelOptions {
  /** Worker threads; default: the number of CPUs (at least 1, at most 4). 0 parses in this thread. */
  workers?: number;
  /** Characters per block (default 2 Mi). */
  blockChars?: number;
}

const WORKER_URL = new URL('./parse-worker.js', import.meta.url);

interface Job {
  resolve: (b: RecordBlock) => void;
  reject: (e: Error) => void;
}

class Pool {
  private readonly workers: Worker[] = [];
  private readonly queues: Job[][] = [];
  private next = 0;
  private failure: Error | null = null;

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER_URL);
      const q: Job[] = [];
      w.on('message', (b: RecordBlock) => q.shift()?.resolve(b));
      const fail = (e: Error) => {
        this.failure ??= e;
        for (const j of q.splice(0)) j.reject(e);
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (q.length) fail(new Error(`trace parser worker exited (code ${code}) with ${q.length} block(s) unparsed`));
      });
      this.workers.push(w);
      this.queues.push(q);
    }
  }

  parse(text: string): Promise<RecordBlock> {
    if (this.failure) return Promise.reject(this.failure);
    const i = this.next++ % this.workers.length;
    return new Promise((resolve, reject) => {
      this.queues[i].push({ resolve, reject });
      this.workers[i].postMessage(text);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * The records of every line of the input, in order, a block at a time. Lines are split on '\n'
 * exactly as a sequential reader would split them (a final line without '\n' included).
 */
export async function* recordBlocks(input: AsyncIterable<string>, opts: ParallelOptions = {}): AsyncGenerator<RecordBlock> {
  const blockChars = opts.blockChars ?? 2 << 20;
  const nWorkers = opts.workers ?? Math.min(4, Math.max(1, availableParallelism()));
  let pool: Pool | null = null;
  const inFlight: Promise<RecordBlock>[] = [];
  let buf = '';
  try {
    for await (const chunk of input) {
      buf += chunk;
      if (buf.length < blockChars) continue;
      const cut = buf.lastIndexOf('\n');
      if (cut < 0) continue;
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 1);
      if (nWorkers === 0) {
        yield parseBlock(block);
        continue;
      }
      pool ??= new Pool(nWorkers);
      inFlight.push(pool.parse(block));
      // Keep every worker busy, but no more than two blocks each ahead of the checker.
      while (inFlight.length >= 2 * nWorkers) yield await inFlight.shift()!;
    }
    while (inFlight.length) yield await inFlight.shift()!;
    // The last line needs no '\n'; a final '\n' ends the last line and starts none.
    if (buf.endsWith('\n')) buf = buf.slice(0, -1);
    else if (buf === '') return;
    yield parseBlock(buf);
  } finally {
    // Unhandled rejections of blocks never awaited (the consumer stopped early) are dropped.
    for (const p of inFlight) p.catch(() => {});
    await pool?.close();
  }
}
