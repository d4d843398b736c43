// The fast path of extract.ts: a trace line read straight from its UTF-8 bytes. It validates the
// whole line as JSON without building it (JSON.parse would build every statistic of every
// query-migrate reply only for the checker to drop them) and picks out the few members a record
// needs. It gives up (returns false) whenever it is not certain to produce what extractLine gives
// for the same line: anything malformed, of the wrong type, a duplicated member, an escape in a
// member's name, nesting deeper than MAX_DEPTH. The caller then decodes the line and calls
// extractLine, which also words the error. model-tests/trace-scan.test.ts holds the two to the
// same records on random and mutated lines.
//
// Why bytes are enough: every byte of a multi-byte UTF-8 sequence is >= 0x80, so '"', '\\', ':'
// and the JSON punctuation are the same bytes before and after decoding, and any non-ASCII
// character (even an invalid sequence, decoded as U+FFFD) is valid inside a JSON string and
// invalid outside one. Pure: no I/O, no Node or DOM APIs beyond TextDecoder.
import { REC_WIDTH, RecKind, encodeRecords, extractLine, idKey, safeJson, type EncodedLines } from './extract.ts';

const MAX_DEPTH = 200;
// ignoreBOM keeps a U+FEFF as text, as a whole-file decoder sees it in the middle of a file.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

// Character codes.
const QUOTE = 34, BACKSLASH = 92, COLON = 58, COMMA = 44, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93;

// The scan keeps what it found in F (a typed array: no allocation per line, and no hole checks as
// module-level `let`s would cost in the hot loops); slot names below. Spans are byte offsets into
// the line, a string's span with its quotes; -1: not seen. A string member takes three slots in a
// row, X_A, X_B (its span) and X_PLAIN (strAt / textAt).
const F = new Int32Array(35);
const PLAIN = 0; // str(): the string just scanned has no escape and is ASCII: its bytes are its characters
const T_A = 1, VM_A = 2, VM_B = 3, DIR_A = 4, DIR_B = 5, MSG = 6;
const KINDS = 7, KIND = 8, OOB = 9;
const NAME_A = 10, NAME_B = 11, NAME_PLAIN = 12;
const ID_A = 13, ID_B = 14, ID_PLAIN = 15, ID_STR = 16;
const ARGS_A = 17, ARGS_B = 18;
const RET_OBJECT = 19, ST_A = 20, ST_B = 21, ST_PLAIN = 22, ST_OTHER = 23;
const CLASS_A = 24, CLASS_B = 25, CLASS_PLAIN = 26, DESC_A = 27, DESC_B = 28, DESC_PLAIN = 29;
const DATA = 30, TS = 31, DST_A = 32, DST_B = 33, DST_PLAIN = 34;

/** Skips JSON whitespace (a '\n' never occurs: lines are split on it). */
function ws(s: Uint8Array, i: number): number {
  let c = s[i];
  while (c === 32 || c === 9 || c === 13) c = s[++i];
  return i;
}

/** i at an opening quote: the index after the closing quote, or -1. Sets F[PLAIN]. */
function str(s: Uint8Array, i: number, end: number): number {
  let isPlain = 1;
  for (i++; i < end; i++) {
    const c = s[i];
    if (c === QUOTE) {
      F[PLAIN] = isPlain;
      return i + 1;
    }
    if (c === BACKSLASH) {
      isPlain = 0;
      const d = s[++i];
      if (d === 117) {
        for (let k = 0; k < 4; k++) {
          const h = s[++i];
          if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102))) return -1;
        }
      } else if (!(d === QUOTE || d === BACKSLASH || d === 47 || d === 98 || d === 102 || d === 110 || d === 114 || d === 116)) return -1;
    } else if (c < 32) return -1;
    else if (c >= 128) isPlain = 0;
  }
  return -1;
}

/** A string member's value from v (at its quote) into the slots from `a` (X_A, X_B, X_PLAIN): the index after it, or -1. */
function strAt(s: Uint8Array, v: number, end: number, a: number): number {
  F[a] = v;
  const e = (F[a + 1] = str(s, v, end));
  F[a + 2] = F[PLAIN];
  return e;
}

/** A JSON number from i: the index after it, or -1. */
function num(s: Uint8Array, i: number): number {
  let c = s[i];
  if (c === 45) c = s[++i];
  if (c === 48) c = s[++i];
  else if (c >= 49 && c <= 57) {
    do c = s[++i];
    while (c >= 48 && c <= 57);
  } else return -1;
  if (c === 46) {
    c = s[++i];
    if (!(c >= 48 && c <= 57)) return -1;
    do c = s[++i];
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    c = s[++i];
    if (c === 43 || c === 45) c = s[++i];
    if (!(c >= 48 && c <= 57)) return -1;
    do c = s[++i];
    while (c >= 48 && c <= 57);
  }
  return i;
}

/** Any JSON value from i (after whitespace): the index after it, or -1. */
export function skip(s: Uint8Array, i: number, end: number, depth: number): number {
  i = ws(s, i);
  const c = s[i];
  if (c === QUOTE) return str(s, i, end);
  if (c === LBRACE) {
    if (depth >= MAX_DEPTH) return -1;
    // object()'s loop without member(): this one runs over every statistic of every reply, so it
    // does not look names up.
    i = ws(s, i + 1);
    if (s[i] === RBRACE) return i + 1;
    for (;;) {
      if (s[i] !== QUOTE) return -1;
      i = str(s, i, end);
      if (i < 0) return -1;
      i = ws(s, i);
      if (s[i] !== COLON) return -1;
      i = skip(s, i + 1, end, depth + 1);
      if (i < 0) return -1;
      i = ws(s, i);
      const d = s[i];
      if (d === RBRACE) return i + 1;
      if (d !== COMMA) return -1;
      i = ws(s, i + 1);
    }
  }
  if (c === LBRACKET) {
    if (depth >= MAX_DEPTH) return -1;
    i = ws(s, i + 1);
    if (s[i] === RBRACKET) return i + 1;
    for (;;) {
      i = skip(s, i, end, depth + 1);
      if (i < 0) return -1;
      i = ws(s, i);
      const d = s[i];
      if (d === RBRACKET) return i + 1;
      if (d !== COMMA) return -1;
      i++;
    }
  }
  if (c === 116) return s[i + 1] === 114 && s[i + 2] === 117 && s[i + 3] === 101 ? i + 4 : -1;
  if (c === 102) return s[i + 1] === 97 && s[i + 2] === 108 && s[i + 3] === 115 && s[i + 4] === 101 ? i + 5 : -1;
  if (c === 110) return s[i + 1] === 117 && s[i + 2] === 108 && s[i + 3] === 108 ? i + 4 : -1;
  return num(s, i);
}

/** Is s[a ..< b] the ASCII text k? */
function bytesAre(s: Uint8Array, a: number, b: number, k: string): boolean {
  if (b - a !== k.length) return false;
  for (let j = 0; j < k.length; j++) if (s[a + j] !== k.charCodeAt(j)) return false;
  return true;
}

// Member names the scan looks for, as small numbers (keyOf).
const K_OTHER = 0, K_T = 1, K_VM = 2, K_DIR = 3, K_MSG = 4, K_RETURN = 5, K_EXECUTE = 6, K_OOB = 7, K_EVENT = 8, K_ERROR = 9;
const K_QMP = 10, K_ID = 11, K_ARGS = 12, K_DATA = 13, K_TIMESTAMP = 14, K_STATUS = 15, K_CLASS = 16, K_DESC = 17;

/** The member name s[a ..< b] (a plain string's characters) as a K_ number. */
function keyOf(s: Uint8Array, a: number, b: number): number {
  switch (b - a) {
    case 1:
      return s[a] === 116 ? K_T : K_OTHER;
    case 2:
      return bytesAre(s, a, b, 'vm') ? K_VM : bytesAre(s, a, b, 'id') ? K_ID : K_OTHER;
    case 3:
      return bytesAre(s, a, b, 'dir') ? K_DIR : bytesAre(s, a, b, 'msg') ? K_MSG : bytesAre(s, a, b, 'QMP') ? K_QMP : K_OTHER;
    case 4:
      return bytesAre(s, a, b, 'data') ? K_DATA : bytesAre(s, a, b, 'desc') ? K_DESC : K_OTHER;
    case 5:
      return bytesAre(s, a, b, 'event') ? K_EVENT : bytesAre(s, a, b, 'error') ? K_ERROR : bytesAre(s, a, b, 'class') ? K_CLASS : K_OTHER;
    case 6:
      return bytesAre(s, a, b, 'return') ? K_RETURN : bytesAre(s, a, b, 'status') ? K_STATUS : K_OTHER;
    case 7:
      return bytesAre(s, a, b, 'execute') ? K_EXECUTE : K_OTHER;
    case 8:
      return bytesAre(s, a, b, 'exec-oob') ? K_OOB : K_OTHER;
    case 9:
      return bytesAre(s, a, b, 'arguments') ? K_ARGS : bytesAre(s, a, b, 'timestamp') ? K_TIMESTAMP : K_OTHER;
  }
  return K_OTHER;
}

/**
 * One member of an object at `level` (0 the line, 1 msg, 2 msg.return, 3 msg.data, 4 msg.error):
 * i at its name's opening quote. Records what the record needs in F; returns the index after the
 * value, or -1 (give up: invalid, or not certain).
 */
function member(s: Uint8Array, i: number, end: number, level: number): number {
  const ka = i + 1;
  i = str(s, i, end);
  // A name with an escape might spell a member the record needs: not certain.
  if (i < 0 || F[PLAIN] === 0) return -1;
  const k = keyOf(s, ka, i - 1);
  i = ws(s, i);
  if (s[i] !== COLON) return -1;
  const v = ws(s, i + 1);
  const c = s[v];
  if (level === 0) {
    if (k === K_T) {
      if (F[T_A] >= 0) return -1;
      F[T_A] = v;
      const e = num(s, v);
      if (e < 0) return -1;
      // Finite when short and without exponent (1e999, or 400 digits, is Infinity: extractLine rejects it).
      let short = e - v <= 15;
      for (let j = v; short && j < e; j++) if (s[j] === 101 || s[j] === 69) short = false;
      return short || Number.isFinite(Number(decoder.decode(s.subarray(v, e)))) ? e : -1;
    }
    if (k === K_VM || k === K_DIR) {
      const a = k === K_VM ? VM_A : DIR_A;
      if (F[a] >= 0 || c !== QUOTE) return -1;
      F[a] = v;
      return (F[a + 1] = str(s, v, end));
    }
    if (k === K_MSG) {
      if (F[MSG] || c !== LBRACE) return -1;
      F[MSG] = 1;
      return object(s, v, end, 1);
    }
    // Any other field of the line (a greeting's "reconnect"): the full parser reads it.
    if (k === K_OTHER) return -1;
  } else if (level === 1) {
    switch (k) {
      case K_RETURN:
        F[KINDS]++;
        F[KIND] = RecKind.Return;
        if (c !== LBRACE) return skip(s, v, end, 2);
        F[RET_OBJECT] = 1;
        return object(s, v, end, 2);
      case K_EXECUTE:
      case K_OOB:
      case K_EVENT:
        F[KINDS]++;
        F[KIND] = k === K_EVENT ? RecKind.Event : RecKind.Command;
        F[OOB] = k === K_OOB ? 1 : 0;
        return c === QUOTE ? strAt(s, v, end, NAME_A) : -1;
      case K_ERROR:
        F[KINDS]++;
        F[KIND] = RecKind.Error;
        return c === LBRACE ? object(s, v, end, 4) : -1;
      case K_QMP:
        F[KINDS]++;
        F[KIND] = RecKind.Greeting;
        return c === LBRACE ? skip(s, v, end, 2) : -1;
      case K_ID: {
        if (F[ID_A] >= 0) return -1;
        F[ID_A] = v;
        F[ID_STR] = c === QUOTE ? 1 : 0;
        const e = (F[ID_B] = skip(s, v, end, 2));
        F[ID_PLAIN] = F[PLAIN];
        return e;
      }
      case K_ARGS:
        if (F[ARGS_A] >= 0 || c !== LBRACE) return -1;
        F[ARGS_A] = v;
        return (F[ARGS_B] = skip(s, v, end, 2));
      case K_DATA:
        if (F[DATA] || c !== LBRACE) return -1;
        F[DATA] = 1;
        return object(s, v, end, 3);
      case K_TIMESTAMP:
        if (F[TS] || c !== LBRACE) return -1;
        F[TS] = 1;
        return skip(s, v, end, 2);
    }
  } else if (level === 2 && k === K_STATUS) {
    // msg.return.status, of any type (statusOfReply: a non-string is no status).
    if (F[ST_A] >= 0 || F[ST_OTHER]) return -1;
    if (c === QUOTE) return strAt(s, v, end, ST_A);
    F[ST_OTHER] = 1;
    return skip(s, v, end, 3);
  } else if (level === 3 && k === K_STATUS) {
    // msg.data.status, a string (statusOfEvent writes any other type as its JSON: left to extractLine).
    return F[DST_A] < 0 && c === QUOTE ? strAt(s, v, end, DST_A) : -1;
  } else if (level === 4 && (k === K_CLASS || k === K_DESC)) {
    const a = k === K_CLASS ? CLASS_A : DESC_A;
    return F[a] < 0 && c === QUOTE ? strAt(s, v, end, a) : -1;
  }
  return skip(s, v, end, level + 1);
}

/** An object at `level` (see member) from i at its '{': the index after its '}', or -1. */
function object(s: Uint8Array, i: number, end: number, level: number): number {
  i = ws(s, i + 1);
  if (s[i] === RBRACE) return i + 1;
  for (;;) {
    if (s[i] !== QUOTE) return -1;
    i = member(s, i, end, level);
    if (i < 0) return -1;
    i = ws(s, i);
    const d = s[i];
    if (d === RBRACE) return i + 1;
    if (d !== COMMA) return -1;
    i = ws(s, i + 1);
  }
}

/** Node's Buffer can copy Latin-1 bytes into a string in one call; a plain Uint8Array cannot. */
type MaybeBuffer = Uint8Array & { latin1Slice?: (a: number, b: number) => string };

/** The text of a plain string s[a ..< b] (quotes included: a + 1 ..< b - 1 are its ASCII characters). */
function ascii(s: MaybeBuffer, a: number, b: number): string {
  if (s.latin1Slice) return s.latin1Slice(a + 1, b - 1);
  let out = '';
  for (let j = a + 1; j < b - 1; j++) out += String.fromCharCode(s[j]);
  return out;
}

/**
 * Names and statuses come back line after line: the same few strings, looked up by a hash of
 * their bytes (and compared byte for byte) instead of being built each time.
 */
const INTERN_SIZE = 256;
const interned: (string | undefined)[] = new Array(INTERN_SIZE);

/** The text of the string member recorded in the slots from `x` (strAt). */
function textAt(s: Uint8Array, x: number): string {
  const a = F[x];
  const b = F[x + 1];
  if (!F[x + 2]) return JSON.parse(decoder.decode(s.subarray(a, b))) as string;
  let h = b - a;
  for (let j = a + 1; j < b - 1; j++) h = (h * 31 + s[j]) | 0;
  const slot = h & (INTERN_SIZE - 1);
  const hit = interned[slot];
  if (hit !== undefined && bytesAre(s, a + 1, b - 1, hit)) return hit;
  return (interned[slot] = ascii(s, a, b));
}

/** The JSON value s[a ..< b], parsed (an id that is not a plain string, arguments: rare and small). */
function parsed(s: Uint8Array, a: number, b: number): unknown {
  return JSON.parse(decoder.decode(s.subarray(a, b)));
}

function id(s: Uint8Array): string | undefined {
  if (F[ID_A] < 0) return undefined;
  // Ids rarely repeat: built, not interned.
  if (F[ID_STR] && F[ID_PLAIN]) return ascii(s, F[ID_A], F[ID_B]);
  return idKey(parsed(s, F[ID_A], F[ID_B]));
}

/**
 * The record of the line bytes[start ..< stop] (no '\n' in it) into out[at ..< at + REC_WIDTH],
 * exactly as extractLine would write it for the decoded line; false when not certain (the caller
 * falls back to extractLine; slots may have been written).
 */
export function scanLine(s: Uint8Array, start: number, stop: number, out: unknown[], at: number): boolean {
  F.fill(-1);
  F[MSG] = F[KINDS] = F[KIND] = F[OOB] = F[RET_OBJECT] = F[ST_OTHER] = F[DATA] = F[TS] = 0;
  let i = ws(s, start);
  if (s[i] !== LBRACE) return false;
  i = object(s, i, stop, 0);
  if (i < 0 || ws(s, i) !== stop) return false;
  if (F[T_A] < 0 || !F[MSG] || F[KINDS] !== 1) return false;
  const vm = bytesAre(s, F[VM_A] + 1, F[VM_B] - 1, 'source') ? 0 : bytesAre(s, F[VM_A] + 1, F[VM_B] - 1, 'destination') ? 1 : -1;
  const send = bytesAre(s, F[DIR_A] + 1, F[DIR_B] - 1, 'send');
  if (vm < 0 || F[VM_A] < 0 || F[DIR_A] < 0 || (!send && !bytesAre(s, F[DIR_A] + 1, F[DIR_B] - 1, 'recv'))) return false;
  const kind = F[KIND];
  if (send !== (kind === RecKind.Command)) return false;
  // An event's timestamp is read by extractLine (timestampUs); events are few beside the replies.
  if (kind === RecKind.Event && F[TS]) return false;
  try {
    const named = kind === RecKind.Command || kind === RecKind.Event;
    const name = named ? textAt(s, NAME_A) : '';
    if ((named && name === '') || (kind === RecKind.Error && (F[CLASS_A] < 0 || F[DESC_A] < 0))) return false;
    out[at] = kind;
    out[at + 1] = vm;
    switch (kind) {
      case RecKind.Command:
        out[at + 2] = name;
        out[at + 3] = F[ARGS_A] < 0 ? '' : (safeJson(parsed(s, F[ARGS_A], F[ARGS_B])) ?? '');
        out[at + 4] = F[OOB] === 1;
        out[at + 5] = id(s);
        break;
      case RecKind.Event:
        out[at + 2] = name;
        out[at + 3] = F[DST_A] < 0 ? undefined : textAt(s, DST_A);
        out[at + 4] = undefined; // no timestamp (a line with one goes to extractLine)
        break;
      case RecKind.Return:
        out[at + 2] = id(s);
        out[at + 3] = !F[RET_OBJECT] || F[ST_OTHER] ? undefined : F[ST_A] < 0 ? 'none' : textAt(s, ST_A);
        break;
      case RecKind.Error:
        out[at + 2] = id(s);
        out[at + 3] = textAt(s, CLASS_A);
        out[at + 4] = textAt(s, DESC_A);
        break;
    }
    return true;
  } catch {
    return false; // a sub-value JSON.parse would not take: cannot happen on a validated line, but never guess
  }
}

/**
 * The records of the lines of bytes[0 ..< len] into out (REC_WIDTH slots a line from 0), split on
 * '\n' (a final '\n' ends the last line and starts none): scanLine where it is certain, else the
 * line decoded and given to extractLine. Returns the number of lines.
 */
export function scanLines(bytes: Uint8Array, len: number, out: unknown[]): number {
  let n = 0;
  for (let i = 0; i < len; ) {
    let nl = bytes.indexOf(10, i);
    if (nl < 0 || nl >= len) nl = len;
    const at = n++ * REC_WIDTH;
    if (!scanLine(bytes, i, nl, out, at)) extractLine(decoder.decode(bytes.subarray(i, nl)), out, at);
    i = nl + 1;
  }
  return n;
}

const scratch: unknown[] = [];

/** scanLines, encoded for another thread (extract.ts: encodeRecords): what a worker of cli/trace-reader.ts does with a block. */
export function scanAndEncode(bytes: Uint8Array, len: number): EncodedLines {
  return encodeRecords(scratch, scanLines(bytes, len, scratch));
}
