// One trace line parsed and reduced to what the checker reads, written into a flat record of
// REC_WIDTH slots (TraceChecker.feed). Pure: no I/O, no Node or DOM APIs (the viewer's replay worker
// uses it through check.ts).

export const REC_WIDTH = 6;

/** Slot 0 of a record. Anything unusual is SLOW: trace/format.ts validates it exactly and says what is wrong. */
export const RecKind = { Slow: 0, Greeting: 1, Command: 2, Return: 3, Error: 4, Event: 5 } as const;

/**
 * Layouts (slot 1 is the VM: 0 source, 1 destination, except for SLOW). Every slot holds a string,
 * a number, a boolean or undefined, never an object: records cross threads as numbers and strings
 * (encodeRecords / decodeRecords below).
 *   SLOW     [0, raw]
 *   GREETING [1, vm]
 *   COMMAND  [2, vm, command, arguments as JSON text ('' when none), oob (boolean), idKey | undefined]
 *   RETURN   [3, vm, idKey | undefined, status of the return value (see statusOfReply)]
 *   ERROR    [4, vm, idKey | undefined, class, desc]
 *   EVENT    [5, vm, event, statusOfEvent(data), timestampUs(timestamp)]
 */
export function extractLine(raw: string, out: unknown[], at: number): void {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return slow(raw, out, at);
  }
  extractParsed(v, raw, out, at);
}

/** extractLine for a line already parsed (`v` is JSON.parse(raw)): callers that need the object too parse once. */
export function extractParsed(parsed: unknown, raw: string, out: unknown[], at: number): void {
  if (typeof parsed !== 'object' || parsed === null) return slow(raw, out, at);
  const v = parsed as Record<string, unknown>;
  const t = v.t;
  const name = v.vm;
  const dir = v.dir;
  const m = v.msg as Record<string, unknown>;
  if (typeof t !== 'number' || t - t !== 0 || (name !== 'source' && name !== 'destination') || (dir !== 'send' && dir !== 'recv') || typeof m !== 'object' || m === null || Array.isArray(m))
    return slow(raw, out, at);
  if (v.reconnect !== undefined) return slow(raw, out, at); // a greeting on a new connection (format.ts)
  const ret = m.return;
  const exe = m.execute;
  const oob = m['exec-oob'];
  const err = m.error as Record<string, unknown> | undefined;
  const ev = m.event;
  const qmp = m.QMP;
  const kinds = +(ret !== undefined) + +(exe !== undefined) + +(oob !== undefined) + +(err !== undefined) + +(ev !== undefined) + +(qmp !== undefined);
  if (kinds !== 1) return slow(raw, out, at);
  out[at + 1] = name === 'source' ? 0 : 1;
  if (ret !== undefined) {
    if (dir !== 'recv') return slow(raw, out, at);
    out[at] = RecKind.Return;
    out[at + 2] = idKey(m.id);
    out[at + 3] = statusOfReply(ret);
  } else if (exe !== undefined || oob !== undefined) {
    const cmd = exe ?? oob;
    const args = m.arguments;
    if (dir !== 'send' || typeof cmd !== 'string' || cmd === '' || (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args)))) return slow(raw, out, at);
    out[at] = RecKind.Command;
    out[at + 2] = cmd;
    out[at + 3] = args === undefined ? '' : (safeJson(args) ?? '');
    out[at + 4] = oob !== undefined;
    out[at + 5] = idKey(m.id);
  } else if (ev !== undefined) {
    const data = m.data as Record<string, unknown> | undefined;
    const ts = m.timestamp;
    if (dir !== 'recv' || typeof ev !== 'string' || ev === '' || (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) || (ts !== undefined && (typeof ts !== 'object' || ts === null || Array.isArray(ts))))
      return slow(raw, out, at);
    out[at] = RecKind.Event;
    out[at + 2] = ev;
    out[at + 3] = statusOfEvent(data);
    out[at + 4] = timestampUs(ts);
  } else if (err !== undefined) {
    if (dir !== 'recv' || typeof err !== 'object' || err === null || Array.isArray(err) || typeof err.class !== 'string' || typeof err.desc !== 'string') return slow(raw, out, at);
    out[at] = RecKind.Error;
    out[at + 2] = idKey(m.id);
    out[at + 3] = err.class;
    out[at + 4] = err.desc;
  } else {
    if (dir !== 'recv' || typeof qmp !== 'object' || qmp === null || Array.isArray(qmp)) return slow(raw, out, at);
    out[at] = RecKind.Greeting;
  }
}

function slow(raw: string, out: unknown[], at: number): void {
  out[at] = RecKind.Slow;
  out[at + 1] = raw;
}

/**
 * An event's QEMU timestamp in microseconds (undefined without a usable one). QEMU stamps an event
 * when a thread makes it; two threads' events can reach the wire in the other order (7.2's
 * migrate_cancel in pre-switchover: `cancelling` on the wire before `device`, stamped after it).
 */
export function timestampUs(ts: unknown): number | undefined {
  if (typeof ts !== 'object' || ts === null) return undefined;
  const { seconds, microseconds } = ts as { seconds?: unknown; microseconds?: unknown };
  return typeof seconds === 'number' && typeof microseconds === 'number' && Number.isFinite(seconds) && Number.isFinite(microseconds) ? seconds * 1e6 + microseconds : undefined;
}

/** The status a reply reports: its `status` member, 'none' when it has none, undefined when it is not an object or the status is not a string. */
export function statusOfReply(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const s = (v as Record<string, unknown>).status;
  return s === undefined ? 'none' : typeof s === 'string' ? s : undefined;
}

/** An event's `data.status` as the checker compares it: a string as itself, anything else as "(its JSON)", which no profile has. */
export function statusOfEvent(data: Record<string, unknown> | undefined): string | undefined {
  const st = data?.status;
  return st === undefined ? undefined : typeof st === 'string' ? st : `(${safeJson(st) ?? '?'})`;
}

/**
 * A QMP id as a string key (QEMU echoes the JSON value back): a string as itself; anything else,
 * and a string starting with NUL, as NUL + its JSON (which for a string starts with '"', for
 * anything else never does, so two different ids never share a key). undefined: no id.
 */
export function idKey(id: unknown): string | undefined {
  if (id === undefined) return undefined;
  if (typeof id === 'string' && id.charCodeAt(0) !== 0) return id;
  return '\u0000' + (safeJson(id) ?? '?');
}

/** The id a key stands for, as JSON (for messages). */
export function idJson(key: string): string {
  return key.charCodeAt(0) === 0 ? key.slice(1) : JSON.stringify(key);
}

export function safeJson(v: unknown): string | null {
  try {
    return JSON.stringify(v) ?? 'undefined';
  } catch {
    return null; // cyclic or too deep
  }
}

// ---- records across threads -------------------------------------------------------------------

/**
 * Records made in one thread for another (cli/trace-reader.ts): ENC_WIDTH numbers a
 * line in `ints`, strings in a table. Numbers and a string array are cheap to hand over (the ints
 * are transferred, not copied); objects are not, which is why records hold no objects.
 *   ints[k * ENC_WIDTH]       kind | vm << 3 | oob << 4
 *   ints[k * ENC_WIDTH + 1..] the record's slots 2.. (slot 1 for SLOW's raw line) as indexes into
 *                             `strings`, -1 for undefined
 */
export interface EncodedLines {
  count: number;
  ints: Int32Array;
  strings: string[];
}
export const ENC_WIDTH = 5;

/** `count` records (REC_WIDTH slots each, from 0) encoded for another thread. */
export function encodeRecords(r: readonly unknown[], count: number): EncodedLines {
  const ints = new Int32Array(count * ENC_WIDTH);
  const strings: string[] = [];
  // Names, statuses and argument texts repeat line after line: each is sent once per block.
  const index = new Map<string, number>();
  const str = (s: unknown): number => {
    if (typeof s !== 'string') return -1;
    let i = index.get(s);
    if (i === undefined) index.set(s, (i = strings.push(s) - 1));
    return i;
  };
  // Ids and raw lines rarely repeat: appended without the look-up.
  const once = (s: unknown): number => (typeof s === 'string' ? strings.push(s) - 1 : -1);
  for (let k = 0; k < count; k++) {
    const o = k * REC_WIDTH;
    const at = k * ENC_WIDTH;
    const kind = r[o] as number;
    switch (kind) {
      case RecKind.Slow:
        ints[at] = kind;
        ints[at + 1] = once(r[o + 1]);
        continue;
      case RecKind.Command:
        ints[at + 1] = str(r[o + 2]);
        ints[at + 2] = str(r[o + 3]);
        ints[at + 3] = once(r[o + 5]);
        break;
      case RecKind.Return:
        ints[at + 1] = once(r[o + 2]);
        ints[at + 2] = str(r[o + 3]);
        break;
      case RecKind.Error:
        ints[at + 1] = once(r[o + 2]);
        ints[at + 2] = str(r[o + 3]);
        ints[at + 3] = str(r[o + 4]);
        break;
      case RecKind.Event:
        ints[at + 1] = str(r[o + 2]);
        ints[at + 2] = str(r[o + 3]);
        ints[at + 3] = r[o + 4] === undefined ? -1 : once(String(r[o + 4]));
        break;
    }
    ints[at] = kind | ((r[o + 1] as number) << 3) | (kind === RecKind.Command && r[o + 4] ? 1 << 4 : 0);
  }
  return { count, ints, strings };
}

/** The records encodeRecords encoded, REC_WIDTH slots a line from 0 (`out` grows as needed). */
export function decodeRecords(e: EncodedLines, out: unknown[]): void {
  const { ints, strings } = e;
  const s = (i: number): string | undefined => (i < 0 ? undefined : strings[i]);
  for (let k = 0; k < e.count; k++) {
    const at = k * ENC_WIDTH;
    const o = k * REC_WIDTH;
    const head = ints[at];
    const kind = head & 7;
    out[o] = kind;
    if (kind === RecKind.Slow) {
      out[o + 1] = strings[ints[at + 1]];
      continue;
    }
    out[o + 1] = (head >> 3) & 1;
    switch (kind) {
      case RecKind.Command:
        out[o + 2] = strings[ints[at + 1]];
        out[o + 3] = strings[ints[at + 2]];
        out[o + 4] = (head & (1 << 4)) !== 0;
        out[o + 5] = s(ints[at + 3]);
        break;
      case RecKind.Return:
        out[o + 2] = s(ints[at + 1]);
        out[o + 3] = s(ints[at + 2]);
        break;
      case RecKind.Error:
        out[o + 2] = s(ints[at + 1]);
        out[o + 3] = strings[ints[at + 2]];
        out[o + 4] = strings[ints[at + 3]];
        break;
      case RecKind.Event:
        out[o + 2] = strings[ints[at + 1]];
        out[o + 3] = s(ints[at + 2]);
        out[o + 4] = ints[at + 3] < 0 ? undefined : Number(strings[ints[at + 3]]);
        break;
    }
  }
}
