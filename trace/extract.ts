// One trace line parsed and reduced to what the checker reads, written into a flat record of
// REC_WIDTH slots (TraceChecker.feed). Pure: no I/O, no Node or DOM APIs (the viewer's replay worker
// uses it through check.ts).

export const REC_WIDTH = 6;

/** Slot 0 of a record. Anything unusual is SLOW: trace/format.ts validates it exactly and says what is wrong. */
export const RecKind = { Slow: 0, Greeting: 1, Command: 2, Return: 3, Error: 4, Event: 5 } as const;

/**
 * Layouts (slot 1 is the VM: 0 source, 1 destination, except for SLOW). Every slot holds a string,
 * a number, a boolean or undefined, never an object: records cross threads as numbers and strings
 * (encodeLines / decodeLines below).
 *   SLOW     [0, raw]
 *   GREETING [1, vm]
 *   COMMAND  [2, vm, command, arguments as JSON text ('' when none), oob (boolean), idKey | undefined]
 *   RETURN   [3, vm, idKey | undefined, status of the return value (see statusOfReply)]
 *   ERROR    [4, vm, idKey | undefined, class, desc]
 *   EVENT    [5, vm, event, statusOfEvent(data)]
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
