// fast-check arbitraries of trace lines, shared by the fuzz tests of the checker (trace-fuzz) and
// of the byte scanner (trace-scan): well-formed lines of every message kind, and malformed ones.
import fc from 'fast-check';
import { ALL_STATUSES, getProfile, knownCommands } from '../machines/index.ts';

const p72 = getProfile('qemu-7.2');

export function deep(n: number): string {
  return '['.repeat(n) + ']'.repeat(n);
}

const vm = fc.constantFrom('source', 'destination');
const id = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('a', 'b', 'libvirt-1'), fc.constant(undefined));
const command = fc.oneof(fc.constantFrom(...knownCommands(p72)), fc.constantFrom('qmp_capabilities', 'query-block', 'migrate_set_speed', 'x-nonexistent'));
const args = fc.oneof(
  fc.constant(undefined),
  fc.constant({ uri: 'tcp:127.0.0.1:4444' }),
  fc.constant({ capabilities: [{ capability: 'events', state: true }] }),
  fc.constant({ capabilities: [{ capability: 'postcopy-ram', state: true }] }),
  fc.constant({ 'max-bandwidth': 9007199254740993 }),
  fc.constant({ state: 'pre-switchover' }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
);
const status = fc.oneof(fc.constantFrom(...ALL_STATUSES), fc.string({ maxLength: 8 }));
const msg = fc.oneof(
  fc.constant({ dir: 'recv', msg: { QMP: { version: {}, capabilities: [] } } }),
  fc.record({ command, args, id, oob: fc.boolean() }).map(({ command, args, id, oob }) => ({ dir: 'send', msg: { [oob ? 'exec-oob' : 'execute']: command, ...(args ? { arguments: args } : {}), ...(id !== undefined ? { id } : {}) } })),
  fc.record({ id, s: fc.option(status, { nil: undefined }) }).map(({ id, s }) => ({ dir: 'recv', msg: { return: s === undefined ? {} : { status: s }, ...(id !== undefined ? { id } : {}) } })),
  fc.record({ id, desc: fc.constantFrom("There's a migration process in progress", 'x', "Expecting capabilities negotiation with 'qmp_capabilities'") }).map(({ id, desc }) => ({ dir: 'recv', msg: { error: { class: 'GenericError', desc }, ...(id !== undefined ? { id } : {}) } })),
  status.map((s) => ({ dir: 'recv', msg: { event: 'MIGRATION', data: { status: s } } })),
  fc.constantFrom('STOP', 'RESUME', 'COLO_EXIT', 'SHUTDOWN', 'MIGRATION_PASS').map((e) => ({ dir: 'recv', msg: { event: e } })),
);
export const goodLine = fc.record({ t: fc.double({ noNaN: true, noDefaultInfinity: true }), vm, m: msg }).map(({ t, vm, m }) => JSON.stringify({ t, vm, dir: m.dir, msg: m.msg }));
export const badLine = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
  goodLine.chain((l) => fc.integer({ min: 0, max: l.length }).map((n) => l.slice(0, n))),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ t: fc.jsonValue({ maxDepth: 1 }), vm: fc.jsonValue({ maxDepth: 1 }), dir: fc.jsonValue({ maxDepth: 1 }), msg: fc.jsonValue({ maxDepth: 2 }) }).map((o) => JSON.stringify(o)),
  fc.constantFrom('{"t":1e400,"vm":"source","dir":"recv","msg":{"event":"STOP"}}', `{"t":1,"vm":"source","dir":"send","msg":{"execute":"migrate","arguments":{"a":${deep(5000)}}}}`, deep(100000), '{"t":1,"vm":"source","dir":"recv","msg":{"return":{},"return":{}}}'),
);

