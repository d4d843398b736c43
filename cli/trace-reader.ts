// Reading a trace for check-trace: its lines reduced to records, in order. Lines are scanned from
// their bytes (trace/scan.ts), not parsed with JSON.parse. The checker must see lines in order in one
// thread, but scanning need not: past the first few MiB, blocks of whole lines go to worker threads
// as bytes (transferred, not copied) and come back as numbers and a string table
// (extract.ts: encodeRecords); this thread scans a block itself whenever no worker has room. At
// most two blocks per worker are in a worker's hands, and a few more queued, so memory stays flat
// whatever the size of the trace.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { decodeRecords, type EncodedLines } from '../trace/extract.ts';
import { scanAndEncode, scanLines } from '../trace/scan.ts';

export interface ReaderOptions {
  /** Worker threads; default: one per CPU but one (this thread parses too), at least 1, at most 3. 0: everything in this thread. */
  workers?: number;
  /** Bytes per block (default 1 MiB; a longer line makes its block longer). */
  blockBytes?: number;
  /** Bytes read in this thread before any worker starts (default 8 MiB): a short trace never pays for a worker's start-up. */
  serialBytes?: number;
  /** The input's size when known (a file): above serialBytes, the workers start at once. */
  sizeHint?: number;
  /** Filled in as blocks go: how many were parsed in this thread and how many by workers. */
  stats?: ReaderStats;
}

export interface ReaderStats {
  here: number;
  workers: number;
}

/** `count` lines' records, REC_WIDTH slots each, in `records` (reused: read it before asking for the next block). */
export interface RecordBlock {
  count: number;
  records: unknown[];
}

const WORKER_URL = new URL('./trace-worker.js', import.meta.url);

export function defaultWorkers(): number {
  return Math.min(3, Math.max(1, availableParallelism() - 1));
}

/** Worker threads that encode blocks (trace-worker.js); each says 'ready' once it has loaded. */
class Pool {
  private readonly workers: { w: Worker; ready: boolean; jobs: { resolve: (e: EncodedLines) => void; reject: (e: Error) => void }[] }[] = [];
  private failure: Error | null = null;

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const slot: Pool['workers'][number] = { w: new Worker(WORKER_URL), ready: false, jobs: [] };
      const fail = (e: Error) => {
        this.failure ??= e;
        for (const j of slot.jobs.splice(0)) j.reject(this.failure);
      };
      slot.w.on('message', (e: EncodedLines | 'ready') => {
        if (e === 'ready') slot.ready = true;
        else slot.jobs.shift()?.resolve(e);
      });
      slot.w.on('error', (e) => fail(new Error(`trace reader worker failed: ${e.message}`)));
      slot.w.on('exit', (code) => {
        if (slot.jobs.length) fail(new Error(`trace reader worker exited (code ${code}) with ${slot.jobs.length} block(s) unread`));
      });
      this.workers.push(slot);
    }
  }

  /** A worker that has loaded and has fewer than `max` blocks in hand (the least busy), or -1. Throws once a worker has failed. */
  idle(max: number): number {
    if (this.failure) throw this.failure;
    let best = -1;
    for (let i = 0; i < this.workers.length; i++) {
      const s = this.workers[i];
      if (s.ready && s.jobs.length < max && (best < 0 || s.jobs.length < this.workers[best].jobs.length)) best = i;
    }
    return best;
  }

  /** Hands `buf` (its first `len` bytes: whole lines) to worker `i` (from idle(), which throws once one has failed); `buf` is transferred. */
  encode(i: number, buf: Uint8Array, len: number): Promise<EncodedLines> {
    const slot = this.workers[i];
    return new Promise((resolve, reject) => {
      slot.jobs.push({ resolve, reject });
      slot.w.postMessage({ buf: buf.buffer, len }, [buf.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((s) => s.w.terminate()));
  }
}

/** A block on its way to the checker: encoded here, or promised by a worker. */
interface Pending {
  enc: EncodedLines | null;
  promise: Promise<EncodedLines> | null;
}

/**
 * The records of every line of `input` (bytes: a file or standard input, UTF-8), in order, a block
 * at a time. Lines are split on '\n' (trace/scan.ts: scanLines); blocks end after a '\n', so
 * no line and no UTF-8 sequence is ever cut in two.
 *
 * Who scans a block: a worker with room for it, else this thread. So this thread scans while the
 * workers start up (~50 ms from the CLI's bundle, ~0.25 s through tsx), and shares the scanning
 * when the workers fall behind, instead of waiting for them; the blocks still reach the checker in
 * order.
 */
export async function* recordBlocks(input: AsyncIterable<Uint8Array>, opts: ReaderOptions = {}): AsyncGenerator<RecordBlock> {
  const blockBytes = opts.blockBytes ?? 1 << 20;
  const serialBytes = opts.serialBytes ?? 8 << 20;
  const nWorkers = opts.workers ?? defaultWorkers();
  const block: RecordBlock = { count: 0, records: [] };
  let pool: Pool | null = nWorkers > 0 && (opts.sizeHint ?? 0) > serialBytes ? new Pool(nWorkers) : null;
  const queue: Pending[] = [];
  const maxQueue = 2 * nWorkers + 2;
  let seen = 0;

  /** In this thread: the lines of buf[0 ..< len] into `block`. */
  const here = (buf: Uint8Array, len: number): RecordBlock => {
    block.count = scanLines(buf, len, block.records);
    return block;
  };
  const decoded = (e: EncodedLines): RecordBlock => {
    decodeRecords(e, block.records);
    block.count = e.count;
    return block;
  };
  const take = async (): Promise<RecordBlock> => {
    const head = queue.shift()!;
    return decoded(head.enc ?? (await head.promise!));
  };

  // Buffers (not plain Uint8Arrays): scan.ts copies ASCII out of them in one call. Each owns its
  // memory (allocUnsafeSlow: no shared pool), so it can be handed to a worker.
  let buf = Buffer.allocUnsafeSlow(blockBytes);
  let fill = 0;
  try {
    for await (const chunk of input) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(chunk.length - off, buf.length - fill);
        buf.set(chunk.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill < buf.length) continue;
        const nl = buf.lastIndexOf(10);
        const full = buf;
        const len = nl + 1;
        // No '\n' in a whole block: one long line; the block grows until the line ends.
        buf = Buffer.allocUnsafeSlow(nl < 0 ? full.length * 2 : Math.max(blockBytes, 2 * (fill - len)));
        buf.set(full.subarray(nl < 0 ? 0 : len, fill));
        fill -= nl < 0 ? 0 : len;
        if (nl < 0) continue;
        seen += len;
        if (!pool && nWorkers > 0 && seen > serialBytes) pool = new Pool(nWorkers);
        const w = pool ? pool.idle(2) : -1;
        if (opts.stats) opts.stats[w >= 0 ? 'workers' : 'here']++;
        if (w >= 0) {
          const entry: Pending = { enc: null, promise: pool!.encode(w, full, len) };
          entry.promise!.then((e) => (entry.enc = e), () => {});
          queue.push(entry);
        } else if (queue.length === 0) {
          yield here(full, len);
          continue;
        } else queue.push({ enc: scanAndEncode(full, len), promise: null });
        // Hand over what is ready, in order; wait only when too much is queued.
        while (queue.length && queue[0].enc) yield take();
        while (queue.length >= maxQueue) yield take();
      }
    }
    while (queue.length) yield take();
    if (fill > 0) {
      if (opts.stats) opts.stats.here++;
      yield here(buf, fill);
    }
  } finally {
    // Blocks never awaited (the consumer stopped early) must not surface as unhandled rejections.
    for (const p of queue) p.promise?.catch(() => {});
    await pool?.close();
  }
}
