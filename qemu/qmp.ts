// A QMP client over a UNIX socket (node:net): greeting, capability negotiation (with OOB when
// offered), commands matched to replies by id, asynchronous events queued with their timestamps.
// Every wait has a timeout; a QEMU that dies, closes the socket or stops answering gives a typed
// error (QmpTimeoutError, QmpClosedError), never a hang. Every message sent and received goes
// through the recorder callback exactly as it was on the wire (parsed JSON).
import { connect, type Socket } from 'node:net';

export type QmpDirection = 'send' | 'recv';
export type QmpRecorder = (dir: QmpDirection, msg: Record<string, unknown>) => void;
export type QmpArgs = Record<string, unknown>;

export interface QmpErrorBody {
  class: string;
  desc: string;
}

/** A command's answer: QEMU's `return` or its `error`; never an exception. */
export type QmpResult = ({ ok: true; return: unknown } | { ok: false; error: QmpErrorBody }) & {
  /** How many events had been received when this reply arrived (events and replies share one ordered stream). */
  eventsBefore?: number;
};

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  /** QEMU's own timestamp, in microseconds since the epoch. */
  timestampUs: number;
  /** When the client received it, in ms since the client's time origin. */
  receivedMs: number;
  /** The message as received. */
  raw: Record<string, unknown>;
}

export interface QmpGreeting {
  version: unknown;
  capabilities: string[];
}

/** Base of the client's errors. */
export class QmpError extends Error {}

/** A command, the greeting or an event did not arrive in time. */
export class QmpTimeoutError extends QmpError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    /** The commands that were waiting for a reply at that moment. */
    readonly pending: readonly string[],
  ) {
    super(`QMP ${what}: no answer within ${timeoutMs} ms (pending: ${pending.join(', ') || 'none'})`);
    this.name = 'QmpTimeoutError';
  }
}

/** The connection closed (QEMU exited or closed the socket) while something was waiting. */
export class QmpClosedError extends QmpError {
  constructor(
    readonly what: string,
    readonly reason: string,
    readonly pending: readonly string[],
  ) {
    super(`QMP ${what}: connection closed (${reason}; pending: ${pending.join(', ') || 'none'})`);
    this.name = 'QmpClosedError';
  }
}

/** QEMU sent something that is not QMP (or a connection could not be made). */
export class QmpProtocolError extends QmpError {
  constructor(message: string) {
    super(message);
    this.name = 'QmpProtocolError';
  }
}

export interface QmpConnectOptions {
  /** For the greeting and the negotiation. */
  timeoutMs?: number;
  recorder?: QmpRecorder;
  /** Time origin for event receive times (performance.now() value); default: now. */
  t0?: number;
  /** Enable OOB when QEMU offers it (default true). */
  oob?: boolean;
}

export interface ExecuteOptions {
  timeoutMs?: number;
}

interface Pending {
  command: string;
  resolve: (r: QmpResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface EventWaiter {
  pred: (e: QmpEvent) => boolean;
  resolve: (e: QmpEvent) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

export const DEFAULT_TIMEOUT_MS = 5000;

/** Marks where a reply came among the events (not enumerable: a result still compares as {ok, return|error}). */
function withOrder(r: QmpResult, eventsBefore: number): QmpResult {
  Object.defineProperty(r, 'eventsBefore', { value: eventsBefore, enumerable: false });
  return r;
}

let idCounter = 0;

export class QmpClient {
  greeting: QmpGreeting | null = null;
  /** OOB was negotiated. */
  oob = false;
  /** Every event received, in order. */
  readonly events: QmpEvent[] = [];
  private taken = new Set<QmpEvent>();
  private pending = new Map<string, Pending>();
  private waiters = new Set<EventWaiter>();
  private buf = '';
  private closedReason: string | null = null;
  private greetingWaiter: { resolve: (g: Record<string, unknown>) => void; reject: (e: Error) => void } | null = null;
  private readonly t0: number;
  private readonly recorder?: QmpRecorder;

  private constructor(
    private readonly sock: Socket,
    readonly path: string,
    opts: QmpConnectOptions,
  ) {
    this.t0 = opts.t0 ?? performance.now();
    this.recorder = opts.recorder;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', (e) => this.onClose(`socket error: ${e.message}`));
    sock.on('close', () => this.onClose('socket closed by peer'));
  }

  /** Connects, reads the greeting and negotiates capabilities (OOB when offered). */
  static async connect(path: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ path });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new QmpTimeoutError(`connect ${path}`, timeoutMs, []));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new QmpProtocolError(`QMP connect ${path}: ${e.message}`));
      });
    });
    const c = new QmpClient(sock, path, opts);
    try {
      const g = await c.readGreeting(timeoutMs);
      const qmp = g.QMP as { version?: unknown; capabilities?: unknown } | undefined;
      if (!qmp || typeof qmp !== 'object') throw new QmpProtocolError(`QMP greeting expected, got ${JSON.stringify(g)}`);
      const caps = Array.isArray(qmp.capabilities) ? (qmp.capabilities as string[]) : [];
      c.greeting = { version: qmp.version, capabilities: caps };
      const wantOob = (opts.oob ?? true) && caps.includes('oob');
      const r = await c.execute('qmp_capabilities', wantOob ? { enable: ['oob'] } : undefined, { timeoutMs });
      if (!r.ok) throw new QmpProtocolError(`qmp_capabilities refused: ${r.error.class}: ${r.error.desc}`);
      c.oob = wantOob;
      return c;
    } catch (e) {
      c.close();
      throw e;
    }
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Why the connection closed, or null while open. */
  get closeReason(): string | null {
    return this.closedReason;
  }

  /** The commands waiting for their reply. */
  pendingCommands(): string[] {
    return [...this.pending.values()].map((p) => p.command);
  }

  private readGreeting(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.closedReason) return reject(new QmpClosedError('greeting', this.closedReason, []));
      const timer = setTimeout(() => {
        this.greetingWaiter = null;
        reject(new QmpTimeoutError('greeting', timeoutMs, []));
      }, timeoutMs);
      this.greetingWaiter = {
        resolve: (g) => {
          clearTimeout(timer);
          resolve(g);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private onData(d: string) {
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line === '') continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.recorder?.('recv', { unparsable: line });
        continue;
      }
      this.recorder?.('recv', msg);
      // QEMU sends JSON objects only; anything else (a bare 5, null, an array) is a broken monitor.
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return this.fault(`a line that is not a JSON object: ${line.slice(0, 200)}`);
      this.dispatch(msg);
      if (this.closedReason) return;
    }
  }

  /** QEMU broke the QMP protocol: every waiting command fails with QmpProtocolError, and the connection ends. */
  private fault(what: string): void {
    if (this.closedReason) return;
    this.closedReason = `QEMU broke the QMP protocol: ${what}`;
    const err = new QmpProtocolError(this.closedReason);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
    this.greetingWaiter?.reject(err);
    this.greetingWaiter = null;
    this.sock.destroy();
  }

  private dispatch(msg: Record<string, unknown>) {
    if ('QMP' in msg) {
      const w = this.greetingWaiter;
      this.greetingWaiter = null;
      w?.resolve(msg);
      return;
    }
    if (typeof msg.event === 'string') {
      const ts = msg.timestamp as { seconds?: number; microseconds?: number } | undefined;
      const ev: QmpEvent = {
        event: msg.event,
        data: (msg.data as Record<string, unknown>) ?? {},
        timestampUs: ts ? (ts.seconds ?? 0) * 1e6 + (ts.microseconds ?? 0) : 0,
        receivedMs: performance.now() - this.t0,
        raw: msg,
      };
      this.events.push(ev);
      for (const w of this.waiters) {
        if (w.pred(ev)) {
          this.waiters.delete(w);
          this.taken.add(ev);
          clearTimeout(w.timer);
          w.resolve(ev);
          break;
        }
      }
      return;
    }
    if ('return' in msg || 'error' in msg) {
      const id = msg.id;
      const p = typeof id === 'string' ? this.pending.get(id) : undefined;
      if (!p || typeof id !== 'string') return; // a reply to a command that already timed out
      this.pending.delete(id);
      clearTimeout(p.timer);
      if ('error' in msg) {
        const e = msg.error as { class?: unknown; desc?: unknown } | null;
        if (!e || typeof e !== 'object' || typeof e.class !== 'string' || typeof e.desc !== 'string')
          return p.reject(new QmpProtocolError(`QEMU broke the QMP protocol: the error reply to ${p.command} is not {"class", "desc"}: ${JSON.stringify(msg.error)}`));
        p.resolve(withOrder({ ok: false, error: { class: String(e.class), desc: String(e.desc) } }, this.events.length));
      } else p.resolve(withOrder({ ok: true, return: msg.return }, this.events.length));
    }
  }

  private onClose(reason: string) {
    if (this.closedReason) return;
    this.closedReason = reason;
    const pending = this.pendingCommands();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new QmpClosedError(p.command, reason, pending));
    }
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new QmpClosedError(w.what, reason, pending));
    }
    this.waiters.clear();
    if (this.greetingWaiter) {
      this.greetingWaiter.reject(new QmpClosedError('greeting', reason, []));
      this.greetingWaiter = null;
    }
    this.sock.destroy();
  }

  private send(kind: 'execute' | 'exec-oob', command: string, args: QmpArgs | undefined, timeoutMs: number): { msg: Record<string, unknown>; done: Promise<QmpResult> } {
    const id = `m${++idCounter}`;
    const msg: Record<string, unknown> = { [kind]: command };
    if (args !== undefined) msg.arguments = args;
    msg.id = id;
    const done = new Promise<QmpResult>((resolve, reject) => {
      if (this.closedReason) return reject(new QmpClosedError(command, this.closedReason, this.pendingCommands()));
      const timer = setTimeout(() => {
        const pending = this.pendingCommands();
        this.pending.delete(id);
        reject(new QmpTimeoutError(command, timeoutMs, pending));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
    });
    return { msg, done };
  }

  private write(msgs: Record<string, unknown>[]) {
    if (this.closedReason) return;
    for (const m of msgs) this.recorder?.('send', m);
    this.sock.write(msgs.map((m) => JSON.stringify(m)).join('\n') + '\n');
  }

  /** Sends one command; resolves with QEMU's reply (matched by id). */
  execute(command: string, args?: QmpArgs, opts: ExecuteOptions = {}): Promise<QmpResult> {
    const s = this.send('execute', command, args, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.write([s.msg]);
    return s.done;
  }

  /** Sends a command out of band (`exec-oob`, e.g. yank): answered even while the monitor is busy. */
  executeOob(command: string, args?: QmpArgs, opts: ExecuteOptions = {}): Promise<QmpResult> {
    if (!this.oob) return Promise.reject(new QmpProtocolError(`exec-oob ${command}: OOB was not negotiated`));
    const s = this.send('exec-oob', command, args, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.write([s.msg]);
    return s.done;
  }

  /** Sends several commands in one write (QEMU handles them in order); one result per command. */
  executeBatch(cmds: readonly { command: string; args?: QmpArgs }[], opts: ExecuteOptions = {}): Promise<QmpResult>[] {
    const sent = cmds.map((c) => this.send('execute', c.command, c.args, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));
    this.write(sent.map((s) => s.msg));
    return sent.map((s) => s.done);
  }

  /**
   * The first queued event (not yet returned by an earlier waitEvent) that satisfies `pred`, or the
   * next one to arrive; QmpTimeoutError after `timeoutMs`.
   */
  waitEvent(pred: (e: QmpEvent) => boolean, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<QmpEvent> {
    for (const e of this.events) {
      if (!this.taken.has(e) && pred(e)) {
        this.taken.add(e);
        return Promise.resolve(e);
      }
    }
    if (this.closedReason) return Promise.reject(new QmpClosedError('waitEvent', this.closedReason, this.pendingCommands()));
    return new Promise((resolve, reject) => {
      const w: EventWaiter = {
        pred,
        resolve,
        reject,
        what: 'waitEvent',
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new QmpTimeoutError('waitEvent', timeoutMs, this.pendingCommands()));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Closes the connection; whatever was pending fails with QmpClosedError. */
  close(): void {
    this.onClose('closed by client');
  }
}
