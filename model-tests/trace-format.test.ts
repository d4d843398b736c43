// The trace format's parser (trace/format.ts): every kind of QMP message, and for each kind of bad
// line, a message that says what is wrong.
import { describe, expect, it } from 'vitest';
import { parseTraceLine, classifyMessage } from '../trace/format.ts';

const ok = (msg: unknown, dir = 'recv', vm = 'source') => JSON.stringify({ t: 1.5, vm, dir, msg });

describe('trace format: valid lines', () => {
  it('reads each kind of message', () => {
    const cases: [string, string][] = [
      [ok({ QMP: { version: {}, capabilities: [] } }), 'greeting'],
      [ok({ execute: 'query-migrate', id: 'a' }, 'send'), 'command'],
      [ok({ 'exec-oob': 'migrate-pause', id: 1 }, 'send'), 'command'],
      [ok({ execute: 'migrate', arguments: { uri: 'tcp:x:1' } }, 'send'), 'command'],
      [ok({ return: {}, id: 'a' }), 'return'],
      [ok({ return: [] }), 'return'],
      [ok({ error: { class: 'GenericError', desc: 'x' }, id: 'a' }), 'error'],
      [ok({ event: 'MIGRATION', data: { status: 'setup' }, timestamp: { seconds: 1, microseconds: 2 } }), 'event'],
      [ok({ event: 'STOP' }, 'recv', 'destination'), 'event'],
    ];
    for (const [line, kind] of cases) {
      const r = parseTraceLine(line);
      expect(r.ok, line).toBe(true);
      expect(r.ok && r.line?.msg.kind).toBe(kind);
    }
  });

  it('keeps the id, the arguments and oob', () => {
    const r = parseTraceLine(ok({ 'exec-oob': 'migrate-recover', arguments: { uri: 'tcp:a:1' }, id: { n: 1 } }, 'send'));
    expect(r.ok && r.line && r.line.msg).toMatchObject({ kind: 'command', command: 'migrate-recover', oob: true, hasId: true, id: { n: 1 }, args: { uri: 'tcp:a:1' } });
  });

  it('skips blank lines', () => {
    expect(parseTraceLine('')).toEqual({ ok: true, line: null });
    expect(parseTraceLine('   \t')).toEqual({ ok: true, line: null });
  });
});

describe('trace format: what is wrong with a line', () => {
  const bad: [string, RegExp][] = [
    ['{"t":1,', /^not valid JSON/],
    ['[1,2]', /must be a JSON object.*not an array/],
    ['"x"', /must be a JSON object/],
    [JSON.stringify({ vm: 'source', dir: 'send', msg: {} }), /missing field 't'/],
    [JSON.stringify({ t: '1', vm: 'source', dir: 'send', msg: {} }), /'t' must be a finite number/],
    ['{"t":1e999,"vm":"source","dir":"recv","msg":{"event":"STOP"}}', /'t' must be a finite number/],
    [JSON.stringify({ t: 1, dir: 'send', msg: {} }), /missing field 'vm'/],
    [JSON.stringify({ t: 1, vm: 7, dir: 'send', msg: {} }), /'vm' must be a string \(the process's name\), not a number/],
    [JSON.stringify({ t: 1, vm: '', dir: 'send', msg: {} }), /'vm' must be a name of 1 to 64 printable characters, not ""/],
    [JSON.stringify({ t: 1, vm: 'x'.repeat(65), dir: 'send', msg: {} }), /'vm' must be a name of 1 to 64/],
    [JSON.stringify({ t: 1, vm: 'a\nb', dir: 'send', msg: {} }), /'vm' must be a name/],
    [JSON.stringify({ t: 1, vm: 'source', msg: {} }), /missing field 'dir'/],
    [JSON.stringify({ t: 1, vm: 'source', dir: 'in', msg: {} }), /unknown dir "in"/],
    [JSON.stringify({ t: 1, vm: 'source', dir: 'send' }), /missing field 'msg'/],
    [JSON.stringify({ t: 1, vm: 'source', dir: 'send', msg: 'query-migrate' }), /'msg' must be a JSON object/],
    [ok({ foo: 1 }), /msg is none of the QMP kinds.*"foo"/],
    [ok({ return: {}, error: { class: 'a', desc: 'b' } }), /both 'return' and 'error'/],
    [ok({ execute: 'query-migrate' }, 'recv'), /command is sent.*"send"/],
    [ok({ return: {} }, 'send'), /return is received/],
    [ok({ execute: 5 }, 'send'), /'execute' must be a non-empty string/],
    [ok({ execute: 'migrate', arguments: [1] }, 'send'), /'arguments' must be an object, not an array/],
    [ok({ error: 'boom' }), /'error' must be an object/],
    [ok({ error: { class: 'GenericError' } }), /'error.desc' must be a string/],
    [ok({ event: 'MIGRATION', data: 'setup' }), /'data' must be an object/],
    [ok({ QMP: 1 }), /'QMP' must be an object/],
  ];
  for (const [line, re] of bad) {
    it(`${line.slice(0, 60)} → ${re}`, () => {
      const r = parseTraceLine(line);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(re);
    });
  }

  it('classifyMessage names the keys it found', () => {
    expect(classifyMessage({ a: 1, b: 2 }, 'recv')).toMatch(/"a", "b"/);
  });
});

describe('trace format: note lines', () => {
  it('{"t","note":{...}} is read and gives no message; a note must be an object', () => {
    expect(parseTraceLine('{"t":7.3,"note":{"launch":"pair","incoming":"defer"}}')).toEqual({ ok: true, line: null });
    const r = parseTraceLine('{"t":7.3,"note":"hello"}');
    expect(!r.ok && r.error).toMatch(/'note' must be an object/);
  });
});
