// The trace checker (trace/check.ts) on hand-made traces: a clean migration conforms; each kind of
// departure is reported with its kind and line, and the lines after it are still checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile, stampedPlace } from '../machines/index.ts';
import { checkTraceText, isDeparture, type Finding } from '../trace/check.ts';

const p72 = getProfile('qemu-7.2');
const dir = join(import.meta.dirname, 'fixtures', 'traces');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');
const findings = (stdout: string): Finding[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
const line = (vm: string, dirn: string, msg: unknown, t = 0) => JSON.stringify({ t, vm, dir: dirn, msg });
const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 } }, capabilities: ['oob'] } };
const trace = (...ls: string[]) => ls.join('\n') + '\n';

describe('check-trace: conforming traces', () => {
  it('a clean precopy migration, both sides, events on (setup/active/completed, STOP/RESUME)', () => {
    const r = checkTraceText(p72, fixture('precopy-clean.jsonl'));
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/42 lines; conforms/);
  });

  it('--format text shows the state path and the internal events assumed', () => {
    const r = checkTraceText(p72, fixture('precopy-clean.jsonl'), 'text');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/line 1 destination: greeting: a fresh QEMU/);
    expect(r.stdout).toMatch(/MIGRATION active → \{active\/inmigrate[,}].*assumed: source-connected/);
    expect(r.stdout).toMatch(/STOP → .*finish-migrate/);
    expect(r.stdout).toMatch(/MIGRATION completed → \{completed\//);
    // 7.2 sends MIGRATION setup when the destination starts listening, with no status change (a Rule.alwaysSends).
    expect(r.stdout).toMatch(/migrate-incoming \{"uri":"tcp:127.0.0.1:4444"\} → ok \(with MIGRATION setup\)/);
    expect(r.stdout).toMatch(/not modelled, not checked \(commands\): qmp_capabilities ×2/);
    expect(r.stdout).toMatch(/result: 42 lines; conforms/);
  });

  it('a MIGRATION event that arrives before the reply to migrate is placed before or after it', () => {
    const r = checkTraceText(
      p72,
      trace(
        line('source', 'recv', GREETING),
        line('source', 'send', { execute: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'events', state: true }] } }),
        line('source', 'recv', { return: {} }),
        line('source', 'send', { execute: 'migrate', arguments: { uri: 'tcp:127.0.0.1:1' } }),
        line('source', 'recv', { event: 'MIGRATION', data: { status: 'setup' } }),
        line('source', 'recv', { event: 'MIGRATION', data: { status: 'active' } }),
        line('source', 'recv', { return: {} }),
      ),
    );
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('a second greeting starts a fresh process for that role', () => {
    expect(checkTraceText(p72, fixture('second-greeting.jsonl')).code).toBe(0);
    // Without it, the same observations are those of one process: query-migrate cannot say none again.
    const lines = fixture('second-greeting.jsonl').split('\n');
    const second = lines.findIndex((l, i) => i > 0 && l.includes('"QMP"'));
    const without = lines.filter((_, i) => i !== second).join('\n');
    const r = checkTraceText(p72, without);
    expect(r.code).toBe(1);
    expect(findings(r.stdout)[0]).toMatchObject({ line: 12, vm: 'destination', kind: 'unexpected-status', observed: 'none', command: 'query-migrate' });
  });

  it('replies are matched by id, or in order without ids', () => {
    const r = checkTraceText(
      p72,
      trace(
        line('source', 'recv', GREETING),
        line('source', 'send', { execute: 'query-migrate' }),
        line('source', 'send', { execute: 'migrate-start-postcopy' }),
        line('source', 'recv', { return: {} }),
        line('source', 'recv', { error: { class: 'GenericError', desc: 'Enable postcopy with migrate_set_capability before the start of migration' } }),
        line('source', 'send', { execute: 'query-status', id: 'b' }),
        line('source', 'send', { execute: 'query-migrate', id: 'a' }),
        line('source', 'recv', { return: {}, id: 'a' }),
        line('source', 'recv', { return: { status: 'running', running: true }, id: 'b' }),
      ),
    );
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('commands the profile does not model are skipped, and said so in the text report', () => {
    const r = checkTraceText(p72, trace(line('source', 'recv', GREETING), line('source', 'send', { execute: 'query-block', id: 1 }), line('source', 'recv', { return: [], id: 1 })), 'text');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/query-block ×1/);
  });

  it('COLO_EXIT and other events are not checked, and the text report says so', () => {
    const r = checkTraceText(p72, trace(line('source', 'recv', GREETING), line('source', 'recv', { event: 'COLO_EXIT', data: { mode: 'primary', reason: 'request' } })), 'text');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/COLO_EXIT ×1 \(COLO_EXIT is not checked yet\)/);
  });

  it('exec-oob of a command without allow-oob: QMP dispatch refuses it before the handler', () => {
    const base = [line('source', 'recv', GREETING), line('source', 'send', { 'exec-oob': 'query-migrate', id: 7 })];
    const refused = checkTraceText(p72, trace(...base, line('source', 'recv', { error: { class: 'GenericError', desc: 'The command query-migrate does not support OOB' }, id: 7 })));
    expect(refused.code).toBe(0);
    const accepted = checkTraceText(p72, trace(...base, line('source', 'recv', { return: {}, id: 7 })));
    expect(findings(accepted.stdout)).toEqual([expect.objectContaining({ line: 3, kind: 'unexpected-accept', command: 'query-migrate' })]);
  });

  it("before qmp_capabilities, QEMU's negotiation error is not a departure", () => {
    const r = checkTraceText(p72, trace(line('source', 'recv', GREETING), line('source', 'send', { execute: 'query-migrate' }), line('source', 'recv', { error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" } })));
    expect(r.code).toBe(0);
  });
});

describe('check-trace: departures', () => {
  it('a command accepted that the model forbids: unexpected-accept, at the reply, and checking goes on', () => {
    const r = checkTraceText(p72, fixture('departure-accept.jsonl'));
    expect(r.code).toBe(1);
    const f = findings(r.stdout);
    expect(f).toHaveLength(2);
    expect(f[0]).toEqual({
      line: 9, vm: 'source', kind: 'unexpected-accept', command: 'migrate-start-postcopy', commandLine: 8, observed: 'accepted',
      expected: [{ class: 'GenericError', desc: 'Enable postcopy with migrate_set_capability before the start of migration' }],
    });
    expect(f[1]).toMatchObject({ line: 13, kind: 'unexpected-accept', command: 'migrate-incoming', expected: [{ desc: "'-incoming' was not specified on the command line" }] });
    expect(r.stderr).toMatch(/2 departure\(s\) \(2 unexpected-accept\)/);
  });

  it('an impossible status (postcopy-active without postcopy-ram), then re-seeding so later lines are still checked', () => {
    const r = checkTraceText(p72, fixture('departure-status.jsonl'));
    expect(r.code).toBe(1);
    const f = findings(r.stdout);
    expect(f[0]).toMatchObject({ line: 11, vm: 'source', kind: 'unexpected-status', event: 'MIGRATION', observed: 'postcopy-active' });
    // What the next MIGRATION event may report after active and STOP: completed or failed.
    expect(f[0].expected).toEqual(['completed', 'failed']);
    // completed after postcopy-active is fine (re-seeded); the run state inmigrate on a source is not.
    expect(f[1]).toMatchObject({ line: 14, kind: 'unexpected-runstate', observed: 'inmigrate', command: 'query-status', commandLine: 13 });
    expect(f[1].expected).toContain('postmigrate');
    expect(f).toHaveLength(2);
  });

  it('the right rejection with the wrong text: wrong-error; the exact text passes', () => {
    const r = checkTraceText(p72, fixture('departure-error.jsonl'));
    expect(r.code).toBe(1);
    const f = findings(r.stdout);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ line: 7, kind: 'wrong-error', command: 'migrate-set-capabilities', observed: { class: 'GenericError', desc: 'There is a migration process in progress' } });
    expect(f[0].expected).toContainEqual({ class: 'GenericError', desc: "There's a migration process in progress" });
  });

  it('a model accepting what QEMU rejected: unexpected-reject', () => {
    const r = checkTraceText(p72, trace(line('source', 'recv', GREETING), line('source', 'send', { execute: 'query-migrate', id: 1 }), line('source', 'recv', { error: { class: 'GenericError', desc: 'nope' }, id: 1 })));
    expect(findings(r.stdout)).toEqual([expect.objectContaining({ line: 3, kind: 'unexpected-reject', expected: ['accepted'] })]);
  });

  it('a command without a reply at the end is pending, not a departure (exit 0); its events are still checked', () => {
    const r = checkTraceText(p72, fixture('pending.jsonl'));
    expect(r.code).toBe(0);
    expect(findings(r.stdout)).toEqual([{ line: 6, vm: 'source', kind: 'pending', command: 'migrate', expected: 'a reply', observed: null, note: 'no reply before the end of the trace' }]);
    expect(r.stderr).toMatch(/conforms; 1 pending/);
    const bad = checkTraceText(p72, fixture('pending.jsonl').replace('"status":"setup"', '"status":"postcopy-active"'));
    expect(findings(bad.stdout).map((f) => f.kind)).toEqual(['pending', 'unexpected-status']);
  });

  it('a MIGRATION event while the events capability is off', () => {
    const r = checkTraceText(p72, trace(line('source', 'recv', GREETING), line('source', 'send', { execute: 'migrate', arguments: { uri: 'tcp:127.0.0.1:1' }, id: 1 }), line('source', 'recv', { return: {}, id: 1 }), line('source', 'recv', { event: 'MIGRATION', data: { status: 'active' } })));
    expect(findings(r.stdout)).toEqual([expect.objectContaining({ line: 4, kind: 'unexpected-event', event: 'MIGRATION' })]);
  });

  it('STOP while the VM cannot have been running', () => {
    const r = checkTraceText(p72, trace(line('destination', 'recv', GREETING), line('destination', 'recv', { event: 'STOP' })));
    expect(findings(r.stdout)).toEqual([expect.objectContaining({ line: 2, kind: 'unexpected-event', event: 'STOP', observed: 'STOP' })]);
  });

  it('a reply to no command', () => {
    const r = checkTraceText(p72, trace(line('source', 'recv', GREETING), line('source', 'send', { execute: 'query-migrate', id: 1 }), line('source', 'recv', { return: {}, id: 1 }), line('source', 'recv', { return: {}, id: 2 })));
    expect(findings(r.stdout)).toEqual([expect.objectContaining({ line: 4, kind: 'unmatched-reply' })]);
  });
});

describe('check-trace: traces that start mid-migration', () => {
  it('no greeting: the first observation picks among all reachable states', () => {
    const r = checkTraceText(
      p72,
      trace(
        line('source', 'send', { execute: 'query-migrate', id: 1 }),
        line('source', 'recv', { return: { status: 'postcopy-active' }, id: 1 }),
        line('source', 'send', { execute: 'migrate-start-postcopy', id: 2 }),
        line('source', 'recv', { return: {}, id: 2 }),
        line('source', 'send', { execute: 'query-status', id: 3 }),
        line('source', 'recv', { return: { status: 'finish-migrate', running: false }, id: 3 }),
      ),
      'text',
    );
    expect(r.code).toBe(0);
    // finish-migrate, or still running: 7.2 stops the VM just after it sets postcopy-active.
    expect(r.stdout).toMatch(/query-migrate → postcopy-active → \{postcopy-active\/finish-migrate[,}]/);
  });

  it('a first observation no reachable state explains: unexplained-start', () => {
    const r = checkTraceText(p72, trace(line('destination', 'send', { execute: 'query-migrate', id: 1 }), line('destination', 'recv', { return: { status: 'cancelling' }, id: 1 })));
    expect(r.code).toBe(1);
    expect(findings(r.stdout)).toEqual([expect.objectContaining({ line: 2, kind: 'unexplained-start', observed: 'cancelling' })]);
  });

  it('a reply whose command is before the trace starts is skipped', () => {
    const r = checkTraceText(p72, trace(line('source', 'recv', { return: {}, id: 'libvirt-13' })));
    expect(r.code).toBe(0);
  });
});

describe('check-trace: input that is not a trace', () => {
  it('exit 2, naming the line, nothing on standard output', () => {
    const r = checkTraceText(p72, fixture('malformed.jsonl'));
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^check-trace: line 3: not valid JSON/);
  });

  it('a malformed line after departures still gives exit 2 and no output', () => {
    const r = checkTraceText(p72, fixture('departure-accept.jsonl') + '{"t":1,"vm":"","dir":"recv","msg":{"event":"STOP"}}\n');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/line 14: 'vm' must be a name of 1 to 64 printable characters/);
  });
});

describe('check-trace: real QEMU 7.2 traces (recorded by the conformance runner)', () => {
  const realText = (name: string) => readFileSync(join(dir, 'qemu-7.2', name), 'utf8');
  const real = (name: string) => checkTraceText(p72, realText(name));
  for (const name of ['precopy-cancel-active.jsonl', 'device-pipelined.5.jsonl', 'colo-destination-failover.jsonl']) {
    it(`${name} conforms`, () => {
      const r = real(name);
      expect(findings(r.stdout).filter((f) => isDeparture(f))).toEqual([]);
      expect(r.code).toBe(0);
    });
  }

  it('completed-destination-migrate.jsonl: a completed destination migrates on as a source (F3): it conforms, and its outgoing status is followed', () => {
    const text = realText('completed-destination-migrate.jsonl');
    const r = checkTraceText(p72, text, 'text');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/destination: migrate .* → ok .*\{setup\//);
    // A process that migrated on is a source now: migrate-incoming says its incoming migration was used.
    const again = checkTraceText(p72, text + JSON.stringify({ t: 1e6, vm: 'destination', dir: 'send', msg: { execute: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:1' }, id: 'x' } }) + '\n' +
      JSON.stringify({ t: 1e6 + 1, vm: 'destination', dir: 'recv', msg: { error: { class: 'GenericError', desc: 'The incoming migration has already been started' }, id: 'x' } }) + '\n');
    expect(again.code).toBe(0);
  });
});

describe('check-trace: processes named freely (the role follows from what each does)', () => {
  const listens = (vm: string) =>
    trace(
      line(vm, 'recv', GREETING),
      line(vm, 'send', { execute: 'qmp_capabilities', id: 1 }),
      line(vm, 'recv', { return: {}, id: 1 }),
      line(vm, 'send', { execute: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:4444' }, id: 2 }),
      // qemu 7.2 migration.c: qemu_start_incoming_migration sends setup whatever the events capability
      line(vm, 'recv', { event: 'MIGRATION', data: { status: 'setup' } }),
      line(vm, 'recv', { return: {}, id: 2 }),
      line(vm, 'send', { execute: 'query-status', id: 3 }),
      line(vm, 'recv', { return: { status: 'inmigrate', singlestep: false, running: false }, id: 3 }),
    );
  it('a process named C that listens is a destination started with -incoming defer: conforms', () => {
    expect(checkTraceText(p72, listens('C'))).toMatchObject({ code: 0, stdout: '' });
  });
  it('the name "source" still fixes the role: no -incoming, so migrate-incoming is refused and its acceptance departs', () => {
    const r = checkTraceText(p72, listens('source'));
    expect(r.code).toBe(1);
    const f = findings(r.stdout).find((x) => x.kind === 'unexpected-accept')!;
    expect(f).toMatchObject({ vm: 'source', line: 6, expected: [{ class: 'GenericError', desc: "'-incoming' was not specified on the command line" }] });
  });
  it('a free name is still checked: C answering a migrate-incoming it had to refuse departs', () => {
    const twice = listens('C') + trace(line('C', 'send', { execute: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:4445' }, id: 4 }), line('C', 'recv', { return: {}, id: 4 }));
    const r = checkTraceText(p72, twice);
    expect(r.code).toBe(1);
    expect(findings(r.stdout)[0]).toMatchObject({ vm: 'C', line: 10, kind: 'unexpected-accept' });
  });
});

describe('check-trace --format text: the trace\'s strings reach the terminal escaped', () => {
  it('an ESC sequence or a newline in a command name is shown as \\u escapes, on one line', () => {
    const t = trace(line('source', 'send', { execute: '\u001b[31mevil\nfake line', id: 1 }), line('source', 'recv', { return: {}, id: 1 }));
    const r = checkTraceText(p72, t, 'text');
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(r.stdout).toContain('\\u001b[31mevil\\u000afake line');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('fake line'))).toEqual([]);
  });
});

describe('check-trace keeps a bounded number of findings', () => {
  it('lists the first maxFindings, counts the rest by kind, and says so in the summary', async () => {
    const { TraceChecker, summaryLine } = await import('../trace/check.ts');
    const c = new TraceChecker(p72, { maxFindings: 10 });
    // migrate_cancel answered with an error no state gives: one departure a pair.
    for (let i = 0; i < 50; i++) {
      expect(c.feed(line('source', 'send', { execute: 'migrate_cancel', id: i }))).toBeNull();
      expect(c.feed(line('source', 'recv', { error: { class: 'GenericError', desc: 'no such error' }, id: i }))).toBeNull();
    }
    for (let i = 0; i < 5; i++) c.feed(line('source', 'send', { execute: 'query-status', id: 100 + i }));
    const s = c.finish();
    expect(c.findings).toHaveLength(10);
    expect(s.departures).toBe(50);
    expect(s.pending).toBe(5);
    expect(s.unlisted).toBe(45);
    expect(s.byKind).toMatchObject({ pending: 5 });
    expect(Object.values(s.byKind).reduce((a, b) => a + b, 0)).toBe(55);
    expect(summaryLine(s)).toMatch(/50 departure\(s\).*; 5 pending command\(s\); only the first 10 findings listed, 45 more counted$/);
  });
});

describe('check-trace on a real QEMU 10.0 trace', () => {
  it('a query may read a status before its event arrives, when the status changed after the query was sent', () => {
    const t = readFileSync(join(dir, 'qemu-10.0', 'postcopy-recover-read-before-event.jsonl'), 'utf8');
    const r = checkTraceText(getProfile('qemu-10.0'), t);
    expect(findings(r.stdout).filter((f) => isDeparture(f))).toEqual([]);
    // The reply came before the event: the trace does show that order.
    const ls = t.split('\n');
    const reply = ls.findIndex((l) => l.includes('"vm":"source"') && l.includes('"return":{"status":"postcopy-active"'));
    const event = ls.findIndex((l, k) => k > reply && l.includes('"vm":"source"') && l.includes('"event":"MIGRATION","data":{"status":"postcopy-active"}'));
    expect(reply).toBeGreaterThan(0);
    expect(event).toBeGreaterThan(reply);
  });

  it('a COLO secondary with no primary is colo / inmigrate until its vm_start: a poll there conforms, the VM stays inmigrate only until RESUME', () => {
    const t = readFileSync(join(dir, 'qemu-10.0', 'colo-secondary-before-vm-start.jsonl'), 'utf8');
    const p = getProfile('qemu-10.0');
    expect(findings(checkTraceText(p, t).stdout).filter((f) => isDeparture(f))).toEqual([]);
    // The same answer after RESUME departs: the VM runs then.
    const ls = t.split('\n');
    const poll = ls.findIndex((l) => l.includes('"id":"window"') && l.includes('"dir":"send"'));
    const resume = ls.findIndex((l, k) => k > poll && l.includes('"vm":"destination"') && l.includes('"event":"RESUME"'));
    expect(resume).toBeGreaterThan(poll + 1);
    const late = [...ls.slice(0, poll), ls[resume], ls[poll], ls[poll + 1], ...ls.slice(poll + 2, resume), ...ls.slice(resume + 1)].join('\n');
    const departures = findings(checkTraceText(p, late).stdout).filter((f) => isDeparture(f));
    expect(departures[0]).toMatchObject({ kind: 'unexpected-runstate', observed: 'inmigrate', vm: 'destination' });
  });
});

describe('docs/findings.md F13: a 10.0 postcopy start that fails after device stays in device (recorded on the binary)', () => {
  it('conforms to qemu-10.0: after migrate-continue on a broken stream, query-migrate keeps answering device, the VM stays in finish-migrate', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'docs', 'findings', 'postcopy-start-fails-in-device-10.0.jsonl'), 'utf8');
    const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { vm?: string; msg?: { execute?: string; return?: { status?: string } } });
    const cont = lines.findIndex((l) => l.vm === 'source' && l.msg?.execute === 'migrate-continue');
    expect(cont).toBeGreaterThan(0);
    const after = lines.slice(cont).filter((l) => l.vm === 'source' && typeof l.msg?.return?.status === 'string').map((l) => l.msg!.return!.status);
    expect(after.length).toBeGreaterThanOrEqual(4);
    expect(new Set(after)).toEqual(new Set(['device', 'finish-migrate']));
    expect(checkTraceText(getProfile('qemu-10.0'), text).code).toBe(0);
  });
});

describe('docs/findings.md F20: an event stamped before a reply that reaches the wire after it (recorded on the 7.2 binary)', () => {
  const text = readFileSync(join(import.meta.dirname, '..', 'docs', 'findings', 'cancel-pre-switchover-device-after-reply.jsonl'), 'utf8');
  const lines = text.split('\n').filter(Boolean);
  /** The source's MIGRATION events after its migrate_cancel, in wire order: [line number, status, stamp]. */
  const after = () => {
    const i = lines.findIndex((l) => l.includes('"execute":"migrate_cancel"'));
    return lines
      .map((l, j) => [j + 1, JSON.parse(l) as { vm?: string; msg?: { event?: string; data?: { status?: string }; timestamp?: { microseconds: number } } }] as const)
      .filter(([j, l]) => j > i && l.vm === 'source' && l.msg?.event === 'MIGRATION')
      .map(([j, l]) => [j, l.msg!.data!.status, l.msg!.timestamp!.microseconds] as const);
  };

  it('conforms to qemu-7.2: device, which arrives after the reply but is stamped before cancelling, is taken in its stamped place', () => {
    const evs = after();
    expect(evs.map((e) => e[1])).toEqual(['cancelling', 'device', 'cancelled']);
    expect(evs[1][2]).toBeLessThan(evs[0][2]);
    const reply = lines.findIndex((l, j) => j > evs[0][0] - 1 && l.includes('"vm":"source"') && l.includes('"return":{}'));
    expect(reply + 1).toBeLessThan(evs[1][0]);
    const r = checkTraceText(p72, text, 'text');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/MIGRATION device stamped before an event of the last step/);
  });

  it('the one ordering rule both readers use (machines/inclusion.ts: stampedPlace)', () => {
    const at = (stamps: (number | undefined)[], ts: number | undefined) => stampedPlace(stamps, (s) => s, ts);
    expect(at([10, 20, 30], 40)).toBe(3); // after all: arrival order
    expect(at([10, 30], 20)).toBe(1); // made before 30: its place is before it
    expect(at([30, 40], 20)).toBe(0);
    expect(at([10, undefined, 30], 5)).toBe(2); // an unstamped event is a barrier
    expect(at([10, 30], undefined)).toBe(2); // without a stamp: arrival order
    expect(at([10, 30], 0)).toBe(2);
    expect(at([], 7)).toBe(0);
    expect(at([20, 20], 20)).toBe(2); // the same stamp: arrival order
  });

  it('departs when device is stamped after cancelling: only an event made first is put back in its place', () => {
    const late = text.replace(/"microseconds":(\d+)\},"event":"MIGRATION","data":\{"status":"device"\}/, (_, us) => `"microseconds":${Number(us) + 100}},"event":"MIGRATION","data":{"status":"device"}`);
    expect(late).not.toBe(text);
    const r = checkTraceText(p72, late);
    expect(r.code).toBe(1);
    expect(findings(r.stdout).filter(isDeparture)[0]).toMatchObject({ vm: 'source', kind: 'unexpected-status', observed: 'device', line: after()[1][0] });
  });
});

/**
 * docs/findings.md F1-F11 on QEMU 10.0: the traces recorded from the 10.0 binary
 * (docs/findings/*-10.0.jsonl, by docs/findings/record-10.0.ts). Each conforms to qemu-10.0 and shows
 * what the finding's "In 10.0:" line says; where 10.0 changed it, the same lines depart from qemu-7.2
 * there. F14's trace (postcopy-pause-before-run-10.0.jsonl) too. F8's
 * 10.0 trace is read from the code (its exit is a note, which check-trace does not check).
 */
describe('docs/findings.md F1-F11 in QEMU 10.0 (traces recorded on the 10.0 binary)', () => {
  const p100 = getProfile('qemu-10.0');
  type L = { t: number; vm?: string; dir?: string; note?: Record<string, unknown>; msg?: Record<string, any> };
  const load = (name: string) => {
    const text = readFileSync(join(import.meta.dirname, '..', 'docs', 'findings', name), 'utf8');
    // ls[i] is file line i + 1, as check-trace numbers them.
    const ls = text.split('\n').map((l) => (l ? (JSON.parse(l) as L) : ({ t: -1 } as L)));
    expect(text, `${name}: recorded from QEMU 10.0`).toMatch(/"QMP":\{"version":\{"qemu":\{"micro":\d+,"minor":0,"major":10\}/);
    return { text, ls };
  };
  const conforms10 = (text: string) => {
    const r = checkTraceText(p100, text);
    expect(findings(r.stdout).filter((f) => isDeparture(f))).toEqual([]);
    expect(r.code).toBe(0);
  };
  const departures72 = (text: string) => findings(checkTraceText(p72, text).stdout).filter((f) => isDeparture(f));
  /** File line numbers (1-based) of the lines that match. */
  const where = (ls: L[], pred: (l: L) => boolean) => ls.flatMap((l, i) => (pred(l) ? [i + 1] : []));
  const sent = (vm: string, command: string) => (l: L) => l.vm === vm && l.dir === 'send' && (l.msg?.execute === command || l.msg?.['exec-oob'] === command);
  const replyTo = (ls: L[], line: number) => {
    const id = ls[line - 1].msg!.id;
    const k = ls.findIndex((l, i) => i >= line && l.vm === ls[line - 1].vm && l.dir === 'recv' && l.msg?.id === id && ('return' in l.msg! || 'error' in l.msg!));
    expect(k, `reply to line ${line}`).toBeGreaterThan(0);
    return { line: k + 1, ...ls[k] };
  };
  const event = (vm: string, status: string) => (l: L) => l.vm === vm && l.msg?.event === 'MIGRATION' && l.msg.data?.status === status;
  const statusReads = (ls: L[], vm: string, from = 0, to = ls.length) =>
    ls.slice(from, to).filter((l) => l.vm === vm && l.dir === 'recv' && typeof l.msg?.return?.status === 'string' && !('running' in l.msg.return)).map((l) => l.msg!.return.status as string);

  it('F2 remains, and is modelled: a refused migrate on a postcopy-active destination leaves query-migrate at setup (Reject.outgoing), on 10.0 and on 7.2', () => {
    const { text, ls } = load('postcopy-destination-migrate-10.0.jsonl');
    conforms10(text);
    const [m] = where(ls, sent('destination', 'migrate'));
    expect(replyTo(ls, m).msg?.error?.desc).toBe('duplicate yank instance');
    expect(statusReads(ls, 'destination', m).at(0)).toBe('setup');
    // The 7.2 binary's trace of the same scenario conforms to qemu-7.2 now, the same way.
    const t72 = readFileSync(join(import.meta.dirname, '..', 'docs', 'findings', 'postcopy-destination-migrate.jsonl'), 'utf8');
    const r72 = checkTraceText(p72, t72);
    expect(findings(r72.stdout).filter((f) => isDeparture(f))).toEqual([]);
    // Without Reject.outgoing (the row as it was), the setup read departs.
    const before = { ...p100, rules: p100.rules.map((r) => (r.reject?.outgoing ? { ...r, reject: { class: r.reject.class, desc: r.reject.desc } } : r)) };
    expect(findings(checkTraceText(before, text).stdout).map((f) => f.kind)).toContain('unexpected-status');
  });

  it('F14: a migrate-pause before the destination runs fails it (MIGRATION failed) and it exits, where the model once paused it', () => {
    const { text, ls } = load('postcopy-pause-before-run-10.0.jsonl');
    conforms10(text);
    const [pause] = where(ls, sent('source', 'migrate-pause'));
    expect(ls.slice(pause).some(event('destination', 'failed'))).toBe(true);
    expect(ls.slice(pause).some(event('destination', 'postcopy-paused'))).toBe(false);
    // With the row as it was (a channel error in postcopy-active pauses whatever the run state), it departs.
    const before = { ...p100, transitions: p100.transitions.map((t) => (t.id === 'dst.error.postcopy' ? { ...t, when: undefined } : t)) };
    expect(findings(checkTraceText(before, text).stdout).filter((f) => isDeparture(f)).length).toBeGreaterThan(0);
  });

  it('F1 remains: a listening, active and postcopy-active destination accepts capability changes; postcopy-preempt is refused ("must be set before incoming starts"), which qemu-7.2 accepts', () => {
    const { text, ls } = load('destination-caps-10.0.jsonl');
    conforms10(text);
    const capLines = where(ls, sent('destination', 'migrate-set-capabilities')).slice(1); // the first sets events and postcopy-ram
    const answers = capLines.map((n) => ({ cap: ls[n - 1].msg!.arguments.capabilities[0].capability as string, reply: replyTo(ls, n).msg! }));
    expect(answers.map((a) => [a.cap, a.reply.error?.desc ?? 'ok'])).toEqual([
      ['late-block-activate', 'ok'], // listening (status setup)
      ['postcopy-preempt', 'Postcopy preempt must be set before incoming starts'],
      ['validate-uuid', 'ok'], // active
      ['release-ram', 'ok'], // postcopy-active
      ['postcopy-preempt', 'Postcopy preempt must be set before incoming starts'],
    ]);
    // In the statuses the finding names: setup (10.0's listening), active, postcopy-active.
    const before = (n: number) => statusReads(ls, 'destination', 0, n - 1).at(-1);
    expect(capLines.filter((_, i) => i !== 1 && i !== 4).map(before)).toEqual(['setup', 'active', 'postcopy-active']);
    // qemu-7.2 accepts postcopy-preempt there: the two refusals depart from it, the acceptances do not.
    const rejects = departures72(text).filter((f) => f.command === 'migrate-set-capabilities');
    expect(rejects.map((f) => [f.kind, f.line])).toEqual([capLines[1], capLines[4]].map((n) => ['unexpected-reject', replyTo(ls, n).line]));
  });

  it('F3 remains: a completed 10.0 destination migrates on as a source (to a refused port: its outgoing status failed)', () => {
    const { text, ls } = load('completed-destination-migrate-10.0.jsonl');
    conforms10(text);
    const [m] = where(ls, sent('destination', 'migrate'));
    expect(replyTo(ls, m).msg).toMatchObject({ return: {} });
    expect(statusReads(ls, 'destination', 0, m - 1).at(-1)).toBe('completed');
    expect(new Set(statusReads(ls, 'destination', m))).toEqual(new Set(['failed']));
    expect(checkTraceText(p100, text, 'text').stdout).toMatch(/destination: migrate .* → ok → \{setup\//);
  });

  it('F4 remains: a running TCG destination in postcopy-paused answers in-band only after the recovery (5 s and more), out-of-band at once', () => {
    const { text, ls } = load('postcopy-paused-monitor-hang-10.0.jsonl');
    conforms10(text);
    const paused = where(ls, event('destination', 'postcopy-paused'))[0];
    const [q] = where(ls, sent('destination', 'query-migrate')).filter((n) => n > paused);
    const [rec] = where(ls, sent('destination', 'migrate-recover'));
    expect(ls[rec - 1].msg!['exec-oob']).toBe('migrate-recover');
    const late = replyTo(ls, q);
    expect(rec).toBeGreaterThan(q);
    expect(late.line).toBeGreaterThan(replyTo(ls, rec).line);
    expect(late.t - ls[q - 1].t).toBeGreaterThanOrEqual(5000);
    expect(late.msg!.return.status).toBe('postcopy-active');
  });

  it('F5 fixed: yank on a destination in postcopy-recover takes it back to postcopy-paused, and it keeps answering (7.2: SIGSEGV)', () => {
    const { text, ls } = load('yank-destination-postcopy-recover-10.0.jsonl');
    conforms10(text);
    const [y] = where(ls, sent('destination', 'yank'));
    expect(statusReads(ls, 'destination', 0, y - 1).at(-1)).toBe('postcopy-recover');
    expect(replyTo(ls, y).msg).toMatchObject({ return: {} });
    expect(where(ls, event('destination', 'postcopy-paused')).some((n) => n > y)).toBe(true);
    const after = statusReads(ls, 'destination', y);
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(new Set(after)).toEqual(new Set(['postcopy-paused']));
    expect(ls.some((l) => l.note && 'exited' in l.note)).toBe(false);
  });

  it('F6 fixed: migrate_cancel in postcopy-active is refused and the postcopy completes; qemu-7.2 accepts that cancel', () => {
    const { text, ls } = load('postcopy-cancel-active-10.0.jsonl');
    conforms10(text);
    const [c] = where(ls, sent('source', 'migrate_cancel'));
    expect(statusReads(ls, 'source', 0, c - 1).at(-1)).toBe('postcopy-active');
    expect(replyTo(ls, c).msg!.error).toEqual({ class: 'GenericError', desc: 'Postcopy migration in progress, cannot cancel.' });
    expect(statusReads(ls, 'source').at(-1)).toBe('completed');
    expect(statusReads(ls, 'destination').at(-1)).toBe('completed');
    expect(departures72(text).filter((f) => f.command === 'migrate_cancel')).toEqual([expect.objectContaining({ kind: 'unexpected-reject', line: replyTo(ls, c).line, expected: ['accepted'] })]);
  });

  it('F7 changed: migrate-incoming without the events capability sends no MIGRATION event and the status is setup at once; qemu-7.2 owes MIGRATION setup', () => {
    const { text, ls } = load('incoming-events-off-10.0.jsonl');
    conforms10(text);
    const [inc] = where(ls, sent('destination', 'migrate-incoming'));
    expect(ls.filter((l) => l.vm === 'destination' && l.msg?.event === 'MIGRATION')).toEqual([]);
    expect(statusReads(ls, 'destination', inc)[0]).toBe('setup');
    expect(statusReads(ls, 'destination').at(-1)).toBe('completed');
    const missing = departures72(text).filter((f) => f.kind === 'missing-event');
    expect(missing).toEqual([expect.objectContaining({ vm: 'destination', expected: ['MIGRATION setup'] })]);
    expect(missing[0].line).toBeGreaterThan(inc);
  });

  it('F7 changed: a resume to a port nobody listens on goes postcopy-recover-setup then back to postcopy-paused; migrate-recover sends no MIGRATION setup (qemu-7.2 has neither)', () => {
    const { text, ls } = load('resume-before-recover-10.0.jsonl');
    conforms10(text);
    const [r1, r2] = where(ls, sent('source', 'migrate'))
      .filter((n) => ls[n - 1].msg!.arguments?.resume === true);
    const [rec] = where(ls, sent('destination', 'migrate-recover'));
    expect(r1 < rec && rec < r2).toBe(true);
    const srcEvents = (a: number, b: number) => ls.slice(a - 1, b - 1).filter((l) => l.vm === 'source' && l.msg?.event === 'MIGRATION').map((l) => l.msg!.data.status);
    expect(srcEvents(r1, rec)).toEqual(['postcopy-recover-setup', 'postcopy-paused']);
    expect(srcEvents(r2, ls.length)).toEqual(['postcopy-recover-setup', 'postcopy-recover', 'postcopy-active', 'completed']);
    // The destination: nothing between migrate-recover and the source's connection.
    const dstEvents = ls.slice(rec - 1).filter((l) => l.vm === 'destination' && l.msg?.event === 'MIGRATION').map((l) => l.msg!.data.status);
    expect(dstEvents).toEqual(['postcopy-recover', 'postcopy-active', 'completed']);
    const d = departures72(text);
    expect(d).toContainEqual(expect.objectContaining({ vm: 'source', kind: 'unexpected-event', observed: 'postcopy-recover-setup', line: where(ls, event('source', 'postcopy-recover-setup'))[0] }));
    expect(d).toContainEqual(expect.objectContaining({ vm: 'destination', kind: 'missing-event', expected: ['MIGRATION setup'] }));
  });

  it('F7/F11 changed: with x-colo the 10.0 source completes and never enters colo (so neither the TCG deadlock nor F11 can happen); the destination enters colo alone; qemu-7.2 expects the source in colo', () => {
    const { text, ls } = load('colo-source-completes-10.0.jsonl');
    conforms10(text);
    const src = ls.filter((l) => l.vm === 'source' && l.msg?.event === 'MIGRATION').map((l) => l.msg!.data.status);
    expect(src).toEqual(['setup', 'active', 'device', 'completed']);
    expect(where(ls, event('destination', 'colo'))).toHaveLength(1);
    const [hb] = where(ls, sent('source', 'x-colo-lost-heartbeat'));
    expect(replyTo(ls, hb).msg!.error).toEqual({ class: 'GenericError', desc: 'VM is not in COLO mode' });
    const [cancel] = where(ls, sent('source', 'migrate_cancel'));
    expect(replyTo(ls, cancel).msg).toMatchObject({ return: {} });
    expect(new Set(statusReads(ls, 'source', cancel))).toEqual(new Set(['completed']));
    // F7: migrate-set-capabilities on that source is accepted: it is not in colo.
    const caps = where(ls, sent('source', 'migrate-set-capabilities')).filter((n) => n > hb);
    expect(caps.map((n) => replyTo(ls, n).msg)).toEqual([expect.objectContaining({ return: {} })]);
    expect(statusReads(ls, 'destination').at(-1)).toBe('completed');
    expect(departures72(text)).toContainEqual(expect.objectContaining({ vm: 'source', kind: 'unexpected-status', observed: 'device', expected: ['colo', 'failed'] }));
  });

  it('F9 fixed: migrate_cancel is refused in postcopy-paused and in postcopy-recover (a resume pending), and the postcopy completes; qemu-7.2 accepts both cancels', () => {
    const { text, ls } = load('postcopy-paused-cancel-resume-10.0.jsonl');
    conforms10(text);
    const cancels = where(ls, sent('source', 'migrate_cancel'));
    expect(cancels.map((n) => statusReads(ls, 'source', 0, n - 1).at(-1))).toEqual(['postcopy-paused', 'postcopy-recover']);
    for (const n of cancels) expect(replyTo(ls, n).msg!.error).toEqual({ class: 'GenericError', desc: 'Postcopy migration in progress, cannot cancel.' });
    expect(statusReads(ls, 'source').at(-1)).toBe('completed');
    expect(departures72(text).filter((f) => f.command === 'migrate_cancel').map((f) => [f.kind, f.line])).toEqual(cancels.map((n) => ['unexpected-reject', replyTo(ls, n).line]));
  });

  it('F10 remains: after yank on both sides the source stays in pre-switchover with a dead channel; migrate-continue: device, failed, and the VM runs again', () => {
    const { text, ls } = load('yank-source-pre-switchover-10.0.jsonl');
    conforms10(text);
    const [yd] = where(ls, sent('destination', 'yank'));
    const [ys] = where(ls, sent('source', 'yank'));
    const [cont] = where(ls, sent('source', 'migrate-continue'));
    expect(yd < ys && ys < cont).toBe(true);
    expect(ls.some((l, i) => i > yd && l.note?.exited === 'destination')).toBe(true);
    const between = statusReads(ls, 'source', yd, cont - 1);
    expect(between.length).toBeGreaterThanOrEqual(4);
    expect(new Set(between)).toEqual(new Set(['pre-switchover']));
    expect(ls[cont - 1].t - ls[ys - 1].t).toBeGreaterThanOrEqual(3000);
    const evs = ls.slice(cont).filter((l) => l.vm === 'source' && ['MIGRATION', 'STOP', 'RESUME'].includes(l.msg?.event)).map((l) => (l.msg!.event === 'MIGRATION' ? l.msg!.data.status : l.msg!.event));
    expect(evs).toEqual(['device', 'failed', 'RESUME']);
    expect(statusReads(ls, 'source', cont).at(-1)).toBe('failed');
  });
});

// The monitor's named fds (getfd, closefd, fd:NAME URIs), recorded on both binaries with an fd passed
// over SCM_RIGHTS: the SCM_RIGHTS error, a name with a digit, migrate and migrate-incoming to an fd
// nobody named, and the fd a successful use takes off the monitor (closefd after it: not found).
describe('named fds: getfd, closefd and fd: URIs', () => {
  for (const v of ['7.2', '10.0'] as const) {
    const p = getProfile(`qemu-${v}`);
    for (const side of ['source', 'destination'] as const) {
      const file = `qemu-${v}/fd-named-${side}.jsonl`;
      it(`${file} (recorded on the ${v} binary) conforms to qemu-${v}`, () => {
        const r = checkTraceText(p, fixture(file));
        expect(findings(r.stdout)).toEqual([]);
        expect(r.code).toBe(0);
      });
      it(`${file}: without the getfd that named 'mig', its use departs`, () => {
        const ls = fixture(file).split('\n').filter(Boolean);
        const i = ls.findIndex((l) => l.includes('"execute":"getfd","arguments":{"fdname":"mig"}'));
        expect(i).toBeGreaterThan(0);
        const cut = [...ls.slice(0, i), ...ls.slice(i + 2)].join('\n') + '\n';
        const fs = findings(checkTraceText(p, cut).stdout).filter((f) => isDeparture(f));
        expect(fs.length).toBeGreaterThan(0);
        // The first departure is at a use of 'mig' (its command or its reply): closefd, or an fd:mig URI.
        const uses = cut.split('\n').flatMap((l, k) => (l.includes('"execute":"closefd","arguments":{"fdname":"mig"}') || l.includes('"uri":"fd:mig"') ? [k + 1, k + 2] : []));
        expect(uses).toContain(fs[0].line);
      });
    }
  }
  it('10.0 differs from 7.2: an incoming fd: nobody named leaves the status setup, and a retry is refused', () => {
    const t = fixture('qemu-10.0/fd-named-destination.jsonl');
    expect(t).toContain('Illegal migration incoming state: setup');
    expect(findings(checkTraceText(p72, t.replace(/"major":10/g, '"major":7')).stdout).filter((f) => isDeparture(f)).length).toBeGreaterThan(0);
  });
});

// A command that changes what migration reads and is not modelled is reported, not passed over.
describe('unchecked commands', () => {
  it('add-fd (recorded on the 7.2 binary): one unchecked finding, no departure, and exit 1: the trace is not shown to conform', () => {
    const r = checkTraceText(p72, fixture('qemu-7.2/fd-set-unchecked.jsonl'));
    const fs = findings(r.stdout);
    expect(fs.filter((f) => isDeparture(f))).toEqual([]);
    expect(fs.filter((f) => f.kind === 'unchecked').map((f) => f.command)).toEqual(['add-fd']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not shown to conform; 1 unchecked command/);
  });
  it('every unmodelled command of each profile is one QEMU has, not one the profile models or lacks', () => {
    for (const n of ['qemu-7.2', 'qemu-10.0', 'qemu-master', 'proposed']) {
      const p = getProfile(n);
      for (const c of p.unmodelledCommands) {
        expect(p.commands, `${n}: ${c.id}`).not.toContain(c.id);
        expect(p.absentCommands, `${n}: ${c.id}`).not.toContain(c.id);
        expect(c.ref, `${n}: ${c.id}`).toMatch(/^[a-z/-]+\.c: qmp_/);
      }
    }
  });
});
