// The trace format (docs/trace-format.md): one JSON object a line, {"t","vm","dir","msg"}, where
// msg is a QMP message as it went over the wire. This module validates one line at a time and
// says, for a line that is not a trace line, exactly what is wrong with it. Pure, no I/O.

/**
 * The two names whose role is fixed: `source` starts without -incoming, `destination` with it. Any
 * other name is a process whose role follows from what it does (a destination can later migrate
 * out, F3), such as A, B and C of a VM migrated A→B→C.
 */
import { timestampUs } from './extract.ts';

export const VMS = ['source', 'destination'] as const;
/** A process of the trace: its name. */
export type Vm = string;
/** The longest process name a trace may use (names are labels, not data). */
export const MAX_VM_NAME = 64;

/** Whether a string may name a process: 1 to MAX_VM_NAME characters, none of them a control character. */
export function isVmName(vm: unknown): boolean {
  return typeof vm === 'string' && vm !== '' && vm.length <= MAX_VM_NAME && !/[\u0000-\u001f]/.test(vm);
}
export const DIRS = ['send', 'recv'] as const;
export type Dir = (typeof DIRS)[number];

export type QmpArgs = Record<string, unknown>;

/** A QMP message, classified. `id` is kept as the JSON value QEMU echoes (any JSON value). */
export type QmpMessage =
  | { kind: 'greeting'; qmp: Record<string, unknown> }
  | { kind: 'command'; command: string; args: QmpArgs; hasArgs: boolean; oob: boolean; hasId: boolean; id: unknown }
  | { kind: 'return'; value: unknown; hasId: boolean; id: unknown }
  | { kind: 'error'; error: { class: string; desc: string }; hasId: boolean; id: unknown }
  | { kind: 'event'; event: string; data: Record<string, unknown> | undefined; ts: number | undefined };

export interface TraceLine {
  t: number;
  vm: Vm;
  dir: Dir;
  msg: QmpMessage;
  /**
   * On a greeting: a new monitor connection to the process already under this name (libvirt
   * reconnecting after its daemon restarted), not a fresh process.
   */
  reconnect?: true;
}

/** The result of reading one line: a trace line, nothing (a blank line or a note), or what is wrong. */
export type Parsed = { ok: true; line: TraceLine } | { ok: false; error: string } | { ok: true; line: null };

const BLANK: Parsed = { ok: true, line: null };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`;
  return `a ${typeof v} (${String(v)})`;
}

const KIND_KEYS = ['QMP', 'execute', 'exec-oob', 'return', 'error', 'event'] as const;

/** Classifies a QMP message object; a string says what is wrong with it. */
export function classifyMessage(m: Record<string, unknown>, dir: Dir): QmpMessage | string {
  let found: string | null = null;
  for (const k of KIND_KEYS) {
    if (!(k in m)) continue;
    if (found !== null) return `msg has both '${found}' and '${k}': a QMP message is one of greeting, command, return, error, event`;
    found = k;
  }
  if (found === null) {
    const keys = Object.keys(m);
    return `msg is none of the QMP kinds (greeting {"QMP"}, command {"execute"|"exec-oob"}, return {"return"}, error {"error"}, event {"event"}); its keys: ${keys.length ? keys.slice(0, 8).map((k) => JSON.stringify(k)).join(', ') : 'none'}`;
  }
  const hasId = 'id' in m;
  switch (found) {
    case 'QMP': {
      if (dir !== 'recv') return 'a greeting is received from QEMU: dir must be "recv"';
      if (!isObject(m.QMP)) return `'QMP' must be an object, not ${typeName(m.QMP)}`;
      return { kind: 'greeting', qmp: m.QMP };
    }
    case 'execute':
    case 'exec-oob': {
      if (dir !== 'send') return `a command is sent to QEMU: dir must be "send"`;
      const name = m[found];
      if (typeof name !== 'string' || name === '') return `'${found}' must be a non-empty string (the command name), not ${typeName(name)}`;
      const hasArgs = 'arguments' in m;
      if (hasArgs && !isObject(m.arguments)) return `'arguments' must be an object, not ${typeName(m.arguments)}`;
      return { kind: 'command', command: name, args: hasArgs ? (m.arguments as QmpArgs) : {}, hasArgs, oob: found === 'exec-oob', hasId, id: m.id };
    }
    case 'return':
      if (dir !== 'recv') return 'a return is received from QEMU: dir must be "recv"';
      return { kind: 'return', value: m.return, hasId, id: m.id };
    case 'error': {
      if (dir !== 'recv') return 'an error reply is received from QEMU: dir must be "recv"';
      const e = m.error;
      if (!isObject(e)) return `'error' must be an object {"class","desc"}, not ${typeName(e)}`;
      if (typeof e.class !== 'string') return `'error.class' must be a string, not ${typeName(e.class)}`;
      if (typeof e.desc !== 'string') return `'error.desc' must be a string, not ${typeName(e.desc)}`;
      return { kind: 'error', error: { class: e.class, desc: e.desc }, hasId, id: m.id };
    }
    default: {
      if (dir !== 'recv') return 'an event is received from QEMU: dir must be "recv"';
      if (typeof m.event !== 'string' || m.event === '') return `'event' must be a non-empty string, not ${typeName(m.event)}`;
      if ('data' in m && !isObject(m.data)) return `'data' must be an object, not ${typeName(m.data)}`;
      if ('timestamp' in m && !isObject(m.timestamp)) return `'timestamp' must be an object, not ${typeName(m.timestamp)}`;
      return { kind: 'event', event: m.event, data: m.data as Record<string, unknown> | undefined, ts: timestampUs(m.timestamp) };
    }
  }
}

/**
 * Reads one line of a trace. Blank lines and note lines ({"t","note":{...}}) are allowed and give
 * no trace line; anything else must be a trace line. Never throws, whatever the input.
 */
export function parseTraceLine(text: string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    if (text.trim() === '') return BLANK;
    return { ok: false, error: `not valid JSON (${(e as Error).message})` };
  }
  if (!isObject(v)) return { ok: false, error: `a trace line must be a JSON object {"t","vm","dir","msg"}, not ${typeName(v)}` };
  const { t, vm, dir, msg } = v;
  if (t === undefined) return { ok: false, error: "missing field 't' (time in ms, a number)" };
  if (typeof t !== 'number' || !Number.isFinite(t)) return { ok: false, error: `'t' must be a finite number (ms), not ${typeName(t)}` };
  // A note: {"t", "note": {...}}, free-form (what a test runner did outside QMP); no QMP message.
  if ('note' in v && vm === undefined && dir === undefined && msg === undefined) {
    if (!isObject(v.note)) return { ok: false, error: `'note' must be an object, not ${typeName(v.note)}` };
    return BLANK;
  }
  if (vm === undefined) return { ok: false, error: `missing field 'vm' (the process's name: "source", "destination" or any other)` };
  if (typeof vm !== 'string') return { ok: false, error: `'vm' must be a string (the process's name), not ${typeName(vm)}` };
  if (!isVmName(vm)) return { ok: false, error: `'vm' must be a name of 1 to ${MAX_VM_NAME} printable characters, not ${JSON.stringify(vm.length > 40 ? vm.slice(0, 40) + '…' : vm)}` };
  if (dir === undefined) return { ok: false, error: `missing field 'dir' ("send" or "recv")` };
  if (dir !== 'send' && dir !== 'recv') return { ok: false, error: `unknown dir ${typeof dir === 'string' ? JSON.stringify(dir) : typeName(dir)}: must be "send" or "recv"` };
  if (msg === undefined) return { ok: false, error: "missing field 'msg' (the QMP message)" };
  if (!isObject(msg)) return { ok: false, error: `'msg' must be a JSON object (a QMP message), not ${typeName(msg)}` };
  const m = classifyMessage(msg, dir);
  if (typeof m === 'string') return { ok: false, error: m };
  if ('reconnect' in v) {
    if (v.reconnect !== true) return { ok: false, error: `'reconnect' must be true, not ${typeName(v.reconnect)}` };
    if (m.kind !== 'greeting') return { ok: false, error: "'reconnect' is for a greeting line (a new monitor connection to a running process)" };
    return { ok: true, line: { t, vm, dir, msg: m, reconnect: true } };
  }
  return { ok: true, line: { t, vm, dir, msg: m } };
}

/** A QMP id as a map key: ids are any JSON value, compared by their JSON text. */
export function idKey(id: unknown): string {
  return typeof id === 'string' ? 's' + id : 'j' + JSON.stringify(id);
}

/** Serialises a trace line (the inverse of parseTraceLine, for writers such as the importer). */
export function formatTraceLine(t: number, vm: Vm, dir: Dir, msg: Record<string, unknown>): string {
  return JSON.stringify({ t, vm, dir, msg });
}
