// Importing the QMP traffic libvirt logs into the trace format (docs/trace-format.md).
//
// libvirt (log_filters "1:qemu.qemu_monitor" or more) logs each QMP message it sends or receives:
//   2022-03-07 10:47:07.326+0000: 134391: info : qemuMonitorSend:995 : QEMU_MONITOR_SEND_MSG: mon=0x7fa4380028a0 msg={"execute":"migrate",...,"id":"libvirt-16"}\r
//    fd=-1
//   ... : qemuMonitorIOWrite:452 : QEMU_MONITOR_IO_WRITE: mon=0x7fa4380028a0 buf={"execute":"migrate",...}\r
//    len=112 ret=112 errno=0
//   ... : qemuMonitorJSONIOProcessLine:240 : QEMU_MONITOR_RECV_REPLY: mon=0x7fa4380028a0 reply={"return": {}, "id": "libvirt-16"}
//   ... : qemuMonitorJSONIOProcessLine:235 : QEMU_MONITOR_RECV_EVENT: mon=0x7fa4380028a0 event={"timestamp": ..., "event": "MIGRATION", "data": {"status": "setup"}}
// A command is logged twice (SEND_MSG when queued, IO_WRITE when written): the second is dropped.
// The JSON of a record may start or go on on the next lines (mail wrapping, `msg=` on its own
// line); it is read up to its closing brace. Also read: records quoted in mails ("> "), lines
// numbered by a pager, KubeVirt's virt-launcher JSON log lines ({"msg": "QEMU_MONITOR_...",
// "timestamp": ...}), and the greeting that libvirt's debug level shows as `Line [{"QMP": ...}]`.
import { classifyMessage, type Dir, type Vm } from './format.ts';

export interface ImportOptions {
  /**
   * One name for every process of the log (a new greeting then starts a fresh process under it).
   * Without it, each QEMU process gets its own name, qemu-1, qemu-2, ... in the order libvirt opened
   * their monitors (QEMU_MONITOR_NEW): libvirt reuses a monitor's address for the next process, and
   * a role follows from what the process does (check-trace: any name other than source and
   * destination).
   */
  vm?: Vm;
  /** Only this monitor (libvirt's mon=0x... address); default: all. */
  mon?: string;
  /** Emit greetings found in the log (a new greeting starts a fresh process in the checker). */
  greetings?: boolean;
}

type RecordKind = 'SEND_MSG' | 'IO_WRITE' | 'RECV_REPLY' | 'RECV_EVENT' | 'GREETING';
const DIR_OF: Record<RecordKind, Dir> = { SEND_MSG: 'send', IO_WRITE: 'send', RECV_REPLY: 'recv', RECV_EVENT: 'recv', GREETING: 'recv' };
const MARKER: Record<RecordKind, RegExp> = {
  SEND_MSG: /msg=/,
  IO_WRITE: /buf=/,
  RECV_REPLY: /reply=/,
  RECV_EVENT: /event=/,
  GREETING: /\{/,
};

const RECORD = /QEMU_MONITOR_(SEND_MSG|IO_WRITE|RECV_REPLY|RECV_EVENT)\b/;
// qemuMonitorOpenInternal / qemuMonitorClose: a monitor connection opens and closes.
const MON_NEW = /QEMU_MONITOR_NEW: mon=(0x[0-9a-fA-F]+)/;
const MON_CLOSE = /QEMU_MONITOR_CLOSE: mon=(0x[0-9a-fA-F]+)/;
// The first lines a libvirt daemon logs when it starts (virLogVMessage's header): a daemon restart.
const DAEMON_START = /: info : libvirt version: /;
/**
 * A copy of a short string that outlives its line: a slice of a line keeps the whole chunk the line
 * was cut from alive (1 MiB when reading a file), so a monitor address kept per process would keep
 * every chunk that named one (memory growing with the log; seen with 165 processes).
 */
const own = (s: string): string => (' ' + s).slice(1);
/** Records held while a monitor's process is not yet known (its greeting, or whether it is a reconnection). */
const MAX_HELD = 64;
const GREETING = /qemuMonitorJSONIOProcessLine:\d+ : Line \[\{"QMP"/;
const MON = /\bmon=(0x[0-9a-fA-F]+)/;
const FULL_TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?/;
const TIME_TS = /^\S*\s*(\d{2}):(\d{2}):(\d{2})\.(\d{1,9})\s*(Z|[+-]\d{2}:?\d{2})?:/;
const MAX_CONT = 20;

/** The end (exclusive) of the JSON object starting at `from` ('{'), or -1 if it does not end. */
export function jsonObjectEnd(s: string, from: number): number {
  let depth = 0;
  let inStr = false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inStr) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inStr = false;
      continue;
    }
    if (c === 34) inStr = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function offsetMs(z: string | undefined): number {
  if (!z || z === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60000;
}

function fracMs(f: string | undefined): number {
  return f ? Number((f + '000').slice(0, 3)) + Number('0.' + (f.slice(3) || '0')) : 0;
}

/** A log line's time in ms: epoch ms for a dated stamp, ms of the day for a time-only one. */
export function logTime(line: string): number | undefined {
  let m = FULL_TS.exec(line);
  if (m) {
    const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
    return utc + fracMs(m[7]) - offsetMs(m[8]);
  }
  m = TIME_TS.exec(line);
  if (m) return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + fracMs(m[4]) - offsetMs(m[5]);
  return undefined;
}

/** Strips what mails and pagers put before a log line: "> " quoting, a line number. */
function unwrap(line: string): string {
  let s = line.replace(/\r$/, '');
  const q = /^(?:[ \t]*>)+ ?/.exec(s);
  if (q) s = s.slice(q[0].length);
  const n = /^\s*\d+\s+(?=\d{4}-\d{2}-\d{2}[ T])/.exec(s);
  if (n) s = s.slice(n[0].length);
  return s;
}

interface Partial {
  kind: RecordKind;
  mon: string | null;
  t: number;
  line: number;
  text: string;
  taken: number;
}

/**
 * A QEMU process as the log shows it: the monitor connection(s) libvirt had to it. Until its
 * greeting arrives (libvirt queues qmp_capabilities before it reads the greeting, so the greeting
 * is logged after it), and, after a daemon restart, until it is known whether it is the running
 * process libvirt reconnects to, its lines are held.
 */
interface Proc {
  name: string | null;
  mon: string;
  /** Lines held (without the greeting), or null once they flow. */
  held: string[] | null;
  greeting: string | null;
  /** A process left running by a daemon that restarted: the candidate this monitor may reconnect to. */
  orphan: Proc | null;
  /** Whether the greeting was seen (a greeting belongs to the oldest monitor still waiting for one). */
  greeted: boolean;
  /** Another monitor than --mon asks for: followed (its greeting is its own), never written. */
  hidden: boolean;
}

export class LibvirtImporter {
  readonly warnings: string[] = [];
  private warned = 0;
  private n = 0;
  private t = 0;
  private partial: Partial | null = null;
  private records = 0;
  private skipped = 0;
  private readonly monitors = new Set<string>();
  /** Per monitor: commands logged by SEND_MSG whose IO_WRITE is still to come. */
  private readonly unwritten = new Map<string, string[]>();
  private readonly sawSendMsg = new Set<string>();
  /** Open monitor connections, by address. */
  private readonly procs = new Map<string, Proc>();
  /** Processes whose daemon restarted while they ran: the next monitors may reconnect to them. */
  private orphans: Proc[] = [];
  private daemonStarts = 0;
  private named = 0;
  /** Names given, with the monitor each started on. */
  readonly processes: { name: string; mon: string; reconnections: number }[] = [];

  constructor(private readonly opts: ImportOptions) {}

  private newName(mon: string): string {
    const name = this.opts.vm ?? `qemu-${++this.named}`;
    this.processes.push({ name, mon, reconnections: 0 });
    return name;
  }

  /** Lets a process's held lines go, under the name it now has. */
  private release(p: Proc, out: string[]): void {
    if (!p.held) return;
    if (p.hidden) {
      p.held = null;
      return;
    }
    if (p.name === null) p.name = this.newName(p.mon);
    const name = JSON.stringify(p.name);
    if (p.greeting && this.opts.greetings !== false) out.push(p.greeting.replace('"vm":null', `"vm":${name}`));
    for (const l of p.held) out.push(l.replace('"vm":null', `"vm":${name}`));
    p.held = null;
  }

  /** A monitor opens: a new process, or (after a daemon restart) perhaps the one it left running. */
  private onMonitorNew(mon: string, out: string[]): void {
    const old = this.procs.get(mon);
    if (old) this.release(old, out); // the address reused without a QEMU_MONITOR_CLOSE logged
    const hidden = !!this.opts.mon && this.opts.mon.toLowerCase() !== mon;
    const orphan = hidden ? null : (this.orphans.shift() ?? null);
    this.procs.set(mon, { name: null, mon, held: [], greeting: null, orphan, greeted: false, hidden });
  }

  /**
   * A held process decides, on the first reply that lists the migration capabilities (libvirt asks
   * right after qmp_capabilities, at a launch and at a reconnection alike): a QEMU that libvirt just
   * started has every capability off, one libvirt set up before its restart has `events` (and more)
   * on. So a capability on means a reconnection to the running process.
   */
  private decide(p: Proc, reconnect: boolean, out: string[]): void {
    const o = p.orphan;
    p.orphan = null;
    if (reconnect && o) {
      p.name = o.name ?? this.newName(o.mon);
      const rec = this.processes.find((x) => x.name === p.name);
      if (rec) rec.reconnections++;
      if (p.greeting) p.greeting = p.greeting.replace(/^\{/, '{"reconnect":true,');
    } else if (o) this.orphans.unshift(o);
    this.release(p, out);
  }

  private warn(s: string): void {
    this.skipped++;
    if (this.warned++ < 100) this.warnings.push(s);
    else if (this.warned === 101) this.warnings.push('(more warnings left out)');
  }

  /** One line of the log; returns the trace lines it completes. */
  push(raw: string): string[] {
    this.n++;
    const out: string[] = [];
    let line = unwrap(raw);
    let t = logTime(line);
    // KubeVirt virt-launcher: one JSON object per line with the libvirt record in "msg".
    if (line.startsWith('{') && line.includes('QEMU_MONITOR_')) {
      try {
        const o = JSON.parse(line) as Record<string, unknown>;
        if (typeof o.msg === 'string') {
          line = o.msg;
          const ts = typeof o.timestamp === 'string' ? Date.parse(o.timestamp) : NaN;
          t = Number.isFinite(ts) ? ts : undefined;
        }
      } catch {
        /* not a JSON log line: read it as text */
      }
    }
    const rec = RECORD.exec(line);
    const greet = !rec && GREETING.test(line);
    if (this.partial) {
      if (rec || greet || t !== undefined || line.trim() === '' || this.partial.taken >= MAX_CONT) {
        const p = this.partial;
        this.partial = null;
        this.warn(`line ${p.line}: QEMU_MONITOR_${p.kind} record whose JSON does not end: skipped`);
      } else {
        this.partial.text += line;
        this.partial.taken++;
        this.tryFinish(out);
        return out;
      }
    }
    if (t !== undefined) this.t = t;
    if (!rec && !greet) {
      let m: RegExpExecArray | null;
      if ((m = MON_NEW.exec(line))) this.onMonitorNew(own(m[1].toLowerCase()), out);
      else if ((m = MON_CLOSE.exec(line))) {
        const p = this.procs.get(m[1].toLowerCase());
        if (p) {
          if (p.orphan) this.decide(p, false, out);
          this.release(p, out);
          this.procs.delete(p.mon);
        }
      } else if (DAEMON_START.test(line) && this.daemonStarts++ > 0) {
        // libvirtd restarted: its monitors are gone, the processes may run on.
        for (const p of this.procs.values()) {
          if (p.orphan) this.decide(p, false, out);
          this.release(p, out);
          this.orphans.push(p);
        }
        this.procs.clear();
      }
      return out;
    }
    const kind: RecordKind = rec ? (rec[1] as RecordKind) : 'GREETING';
    const found = MON.exec(line)?.[1];
    const mon = found === undefined ? null : own(found.toLowerCase());
    const start = rec ? rec.index + rec[0].length : line.indexOf('Line [') + 6;
    this.partial = { kind, mon, t: this.t, line: this.n, text: line.slice(start), taken: 0 };
    this.tryFinish(out);
    return out;
  }

  private tryFinish(out: string[]): void {
    const p = this.partial!;
    let from = -1;
    if (p.kind === 'GREETING') from = p.text.indexOf('{');
    else {
      const m = MARKER[p.kind].exec(p.text);
      if (m) from = p.text.indexOf('{', m.index);
      else if (/^[:\s]*(?:mon=0x[0-9a-fA-F]+)?\s*\{/.test(p.text)) from = p.text.indexOf('{');
    }
    if (from < 0) return; // the JSON may follow on the next line
    const end = jsonObjectEnd(p.text, from);
    if (end < 0) return;
    this.partial = null;
    let obj: unknown;
    const text = p.text.slice(from, end);
    try {
      obj = JSON.parse(text);
    } catch (e) {
      this.warn(`line ${p.line}: QEMU_MONITOR_${p.kind} record with JSON that does not parse (${(e as Error).message}): skipped`);
      return;
    }
    this.emit(p, obj, text, out);
  }

  private emit(p: Partial, obj: unknown, text: string, out: string[]): void {
    if (p.kind === 'GREETING' && this.opts.greetings === false) return;
    if (this.opts.mon && p.mon && p.mon.toLowerCase() !== this.opts.mon.toLowerCase()) return;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      this.warn(`line ${p.line}: QEMU_MONITOR_${p.kind} record is not a JSON object: skipped`);
      return;
    }
    const dir = DIR_OF[p.kind];
    const m = classifyMessage(obj as Record<string, unknown>, dir);
    if (typeof m === 'string') {
      this.warn(`line ${p.line}: QEMU_MONITOR_${p.kind} record: ${m}: skipped`);
      return;
    }
    const mon = p.mon ?? '?';
    if (p.kind === 'SEND_MSG' || p.kind === 'IO_WRITE') {
      const canon = JSON.stringify(obj);
      let q = this.unwritten.get(mon);
      if (!q) this.unwritten.set(mon, (q = []));
      if (p.kind === 'SEND_MSG') {
        this.sawSendMsg.add(mon);
        q.push(canon);
        if (q.length > 64) q.shift();
      } else {
        const i = q.indexOf(canon);
        if (i >= 0) {
          q.splice(i, 1);
          return; // already taken from SEND_MSG
        }
      }
    }
    if (p.mon) this.monitors.add(p.mon);
    this.records++;
    // The process: a greeting (no mon= on its line) belongs to the oldest monitor still waiting for
    // one; a record of a monitor never seen opening (a log that starts mid-way) is its own process.
    let proc: Proc | undefined;
    if (p.kind === 'GREETING') {
      for (const x of this.procs.values()) if (!x.greeted) {
        proc = x;
        break;
      }
    } else proc = this.procs.get(mon.toLowerCase());
    if (!proc) {
      proc = { name: null, mon: mon.toLowerCase(), held: [], greeting: null, orphan: null, greeted: p.kind !== 'GREETING', hidden: false };
      this.procs.set(proc.mon, proc);
      if (p.kind !== 'GREETING') this.release(proc, out);
    }
    // The message as libvirt logged it (not re-serialised: 64-bit integers such as max-bandwidth
    // 9223372036853727232 would lose digits through a JavaScript number).
    const lineText = `{"t":${p.t},"vm":${proc.held ? 'null' : JSON.stringify(proc.name)},"dir":"${dir}","msg":${text}}`;
    if (p.kind === 'GREETING') {
      proc.greeted = true;
      if (proc.held) {
        proc.greeting = own(lineText);
        if (!proc.orphan) this.release(proc, out);
      } else if (this.opts.greetings !== false) out.push(lineText);
      return;
    }
    if (!proc.held) {
      out.push(lineText);
      return;
    }
    proc.held.push(lineText);
    if (proc.orphan) {
      const caps = m.kind === 'return' && Array.isArray(m.value) && m.value.length > 0 && (m.value as unknown[]).every((x) => isCapState(x));
      if (caps) this.decide(proc, (m.value as { state: unknown }[]).some((x) => x.state === true), out);
      else if (proc.held.length >= MAX_HELD) this.decide(proc, false, out);
    } else if (proc.held.length >= MAX_HELD) this.release(proc, out); // no greeting in the log (--no-greeting, or lost)
  }

  /** End of the log: a record still waiting for its JSON is reported; held lines go out. */
  end(): string[] {
    if (this.partial) {
      this.warn(`line ${this.partial.line}: QEMU_MONITOR_${this.partial.kind} record whose JSON does not end: skipped`);
      this.partial = null;
    }
    const out: string[] = [];
    for (const p of this.procs.values()) {
      if (p.orphan) this.decide(p, false, out);
      this.release(p, out);
    }
    return out;
  }

  stats(): { records: number; skipped: number; monitors: string[] } {
    return { records: this.records, skipped: this.skipped, monitors: [...this.monitors] };
  }
}

function isCapState(x: unknown): boolean {
  return typeof x === 'object' && x !== null && typeof (x as Record<string, unknown>).capability === 'string' && 'state' in x;
}

/** Imports a whole log given as text (tests). */
export function importLibvirtText(text: string, opts: ImportOptions): { lines: string[]; warnings: string[] } {
  const imp = new LibvirtImporter(opts);
  const lines: string[] = [];
  for (const l of text.split('\n')) lines.push(...imp.push(l));
  lines.push(...imp.end());
  return { lines, warnings: imp.warnings };
}
