// The libvirt log importer (trace/libvirt.ts) on real log excerpts from public posts
// (fixtures/libvirt/SOURCES.md), and the checker on what it imports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../machines/index.ts';
import { checkTraceText } from '../trace/check.ts';
import { parseTraceLine } from '../trace/format.ts';
import { importLibvirtText, logTime } from '../trace/libvirt.ts';

const dir = join(import.meta.dirname, 'fixtures', 'libvirt');
const log = (name: string) => readFileSync(join(dir, name), 'utf8');
const msgs = (lines: string[]) => lines.map((l) => JSON.parse(l) as { t: number; vm: string; dir: string; msg: Record<string, unknown> });
const p72 = getProfile('qemu-7.2');

describe('import-libvirt: real logs', () => {
  it('virsh save on QEMU without migrate_set_speed (Fontana, qemu-devel 2022-03-07)', () => {
    const { lines, warnings } = importLibvirtText(log('fontana-2022-03-07-virsh-save.txt'), { vm: 'source' });
    expect(warnings).toEqual([]);
    for (const l of lines) expect(parseTraceLine(l).ok).toBe(true);
    const m = msgs(lines);
    // 8 commands logged twice each (SEND_MSG and IO_WRITE) come out once; replies and events once.
    expect(m.filter((x) => x.dir === 'send').map((x) => x.msg.execute)).toEqual(['migrate_set_speed', 'getfd', 'migrate', 'query-migrate', 'query-migrate', 'migrate_set_speed']);
    expect(m).toHaveLength(20);
    expect(m[0]).toEqual({ t: Date.UTC(2022, 2, 7, 10, 47, 7, 316), vm: 'source', dir: 'recv', msg: { timestamp: { seconds: 1646650027, microseconds: 316537 }, event: 'STOP' } });
    // The MIGRATION setup event comes before the reply to migrate, as in the log.
    const i = m.findIndex((x) => x.msg.execute === 'migrate');
    expect(m[i + 1].msg).toMatchObject({ event: 'MIGRATION', data: { status: 'setup' } });
    expect(m[i + 2].msg).toEqual({ return: {}, id: 'libvirt-16' });
    // 64-bit integers are written as logged, not rounded through a JavaScript number.
    expect(lines[2]).toContain('9223372036853727232');
    expect(m[3].msg).toEqual({ id: 'libvirt-14', error: { class: 'CommandNotFound', desc: 'The command migrate_set_speed has not been found' } });
  });

  it('…and that trace conforms to qemu-7.2 (a trace that starts mid-way: no greeting, a stop before it)', () => {
    const { lines } = importLibvirtText(log('fontana-2022-03-07-virsh-save.txt'), { vm: 'source' });
    const r = checkTraceText(p72, lines.join('\n'), 'text');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/line 1 source: STOP → .*none\/paused/);
    expect(r.stdout).toMatch(/MIGRATION completed → \{completed\//);
    // getfd is modelled: it names the fd that migrate's fd:migrate then takes.
    expect(r.stdout).toMatch(/line 6 source: getfd \{"fdname":"migrate"\} → ok/);
    expect(r.stdout).toMatch(/line 9 source: migrate \{[^}]*"uri":"fd:migrate"\} → ok/);
    expect(r.stdout).not.toMatch(/not modelled/);
  });

  it('IO_WRITE only, no timestamps (Krempa, qemu-devel 2020-12-01): setup, active, STOP, failed', () => {
    const { lines, warnings } = importLibvirtText(log('krempa-2020-12-01-background-snapshot.txt'), { vm: 'source' });
    expect(warnings).toEqual([]);
    const m = msgs(lines);
    expect(m).toHaveLength(15);
    expect(m.every((x) => x.t === 0)).toBe(true);
    expect(m.filter((x) => x.msg.event === 'MIGRATION').map((x) => (x.msg.data as { status: string }).status)).toEqual(['setup', 'active', 'failed']);
    const r = checkTraceText(p72, lines.join('\n'));
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('a log that ends before the reply to migrate (Fontana, qemu-devel 2022-03-09): pending', () => {
    const { lines } = importLibvirtText(log('fontana-2022-03-09-getfd-migrate.txt'), { vm: 'source' });
    expect(msgs(lines).map((x) => x.msg.execute ?? 'reply')).toEqual(['getfd', 'reply', 'migrate']);
    const r = checkTraceText(p72, lines.join('\n'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ line: 3, kind: 'pending', command: 'migrate' });
  });

  it('a record wrapped over lines whose JSON is cut off (Pandit, qemu-devel 2025-12-23): warned and skipped', () => {
    const { lines, warnings } = importLibvirtText(log('pandit-2025-12-23-wrapped-truncated.txt'), { vm: 'source' });
    expect(lines).toEqual([]);
    expect(warnings).toEqual(['line 5: QEMU_MONITOR_SEND_MSG record whose JSON does not end: skipped']);
  });

  it("KubeVirt virt-launcher's JSON log lines", () => {
    const { lines } = importLibvirtText(log('kubevirt-virt-launcher-json.txt'), { vm: 'destination' });
    const m = msgs(lines);
    expect(m.map((x) => [x.t, x.vm, x.msg.event])).toEqual([
      [Date.parse('2023-10-26T12:50:40.523Z'), 'destination', 'NIC_RX_FILTER_CHANGED'],
      [Date.parse('2023-10-26T12:50:44.165Z'), 'destination', 'VSERPORT_CHANGE'],
      [Date.parse('2023-10-26T12:50:46.708Z'), 'destination', 'RTC_CHANGE'],
    ]);
  });
});

describe('import-libvirt: variations of the same records', () => {
  const real = log('fontana-2022-03-07-virsh-save.txt');
  const base = importLibvirtText(real, { vm: 'source' }).lines;

  it('quoted in a reply mail ("> " and "> > ") or numbered by a pager: the same trace', () => {
    expect(importLibvirtText(real.replace(/^/gm, '> '), { vm: 'source' }).lines).toEqual(base);
    expect(importLibvirtText(real.replace(/^/gm, '> > '), { vm: 'source' }).lines).toEqual(base);
    let n = 329000;
    expect(importLibvirtText(real.replace(/^(?=\d{4}-)/gm, () => `  ${n++} `), { vm: 'source' }).lines).toEqual(base);
  });

  it('CRLF line ends', () => {
    expect(importLibvirtText(real.replace(/\n/g, '\r\n'), { vm: 'source' }).lines).toEqual(base);
  });

  it('the JSON on the line after msg= / after the record name', () => {
    const text = [
      '2024-01-02 03:04:05.678+0000: 1: info : qemuMonitorSend:995 :',
      'QEMU_MONITOR_SEND_MSG: mon=0x7f01',
      'msg={"execute":"query-status","id":"libvirt-1"}',
      ' fd=-1',
      '2024-01-02 03:04:05.679+0000: 2: info : qemuMonitorJSONIOProcessLine:240 : QEMU_MONITOR_RECV_REPLY: mon=0x7f01 reply={"return": {"status": "inmigrate",',
      '"running": false}, "id": "libvirt-1"}',
    ].join('\n');
    const m = msgs(importLibvirtText(text, { vm: 'destination' }).lines);
    expect(m).toEqual([
      { t: Date.UTC(2024, 0, 2, 3, 4, 5, 678), vm: 'destination', dir: 'send', msg: { execute: 'query-status', id: 'libvirt-1' } },
      { t: Date.UTC(2024, 0, 2, 3, 4, 5, 679), vm: 'destination', dir: 'recv', msg: { return: { status: 'inmigrate', running: false }, id: 'libvirt-1' } },
    ]);
  });

  it('greetings (libvirt debug level: Line [{"QMP": ...}]), --no-greeting, and --mon', () => {
    const text = [
      '2024-01-02 03:04:05.000+0000: 7: debug : qemuMonitorJSONIOProcessLine:193 : Line [{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}]',
      '2024-01-02 03:04:05.001+0000: 7: info : qemuMonitorIOWrite:452 : QEMU_MONITOR_IO_WRITE: mon=0xaaa buf={"execute":"qmp_capabilities","id":"libvirt-1"}',
      '2024-01-02 03:04:05.002+0000: 7: info : qemuMonitorJSONIOProcessLine:240 : QEMU_MONITOR_RECV_REPLY: mon=0xbbb reply={"return": {}, "id": "libvirt-9"}',
    ].join('\n');
    expect(msgs(importLibvirtText(text, { vm: 'source' }).lines).map((x) => Object.keys(x.msg)[0])).toEqual(['QMP', 'execute', 'return']);
    expect(importLibvirtText(text, { vm: 'source', greetings: false }).lines).toHaveLength(2);
    expect(msgs(importLibvirtText(text, { vm: 'source', mon: '0xAAA' }).lines).map((x) => Object.keys(x.msg)[0])).toEqual(['QMP', 'execute']);
  });

  it('a record whose JSON is not a QMP message is warned about', () => {
    const r = importLibvirtText('QEMU_MONITOR_RECV_REPLY: mon=0x1 reply={"foo": 1}\nQEMU_MONITOR_RECV_EVENT: mon=0x1 event={"event": 5}', { vm: 'source' });
    expect(r.lines).toEqual([]);
    expect(r.warnings).toHaveLength(2);
  });

  it('log times: dated (with zone), time-only (journal), none', () => {
    expect(logTime('2022-03-07 10:47:07.316+0000: 1: info')).toBe(Date.UTC(2022, 2, 7, 10, 47, 7, 316));
    expect(logTime('2022-03-07 12:47:07.316+0200: 1: info')).toBe(Date.UTC(2022, 2, 7, 10, 47, 7, 316));
    expect(logTime('libvirtd(8) 19:03:07.261+0000: 396587: info :')).toBe(((19 * 60 + 3) * 60 + 7) * 1000 + 261);
    expect(logTime('QEMU_MONITOR_IO_WRITE: mon=0x1')).toBeUndefined();
  });
});

// Logs of Debian's libvirt 9.0 driving QEMU 7.2 and 10.0, recorded by the project's own harness
// (model-tests/libvirt/, scripts/libvirt-scenarios.ts) and trimmed by scripts/trim-libvirt-log.ts:
// the importer's three faults of issue #13, each on the real log that showed it.
describe('import-libvirt: real libvirt 9.0 logs, no flags', () => {
  const real = (name: string) => log(join('real', name));
  const p10 = getProfile('qemu-10.0');
  const byVm = (lines: string[]) => {
    const out = new Map<string, ReturnType<typeof msgs>>();
    for (const m of msgs(lines)) out.set(m.vm, [...(out.get(m.vm) ?? []), m]);
    return out;
  };

  it('a monitor address libvirt reuses is a new process (save, then two restores on the same mon=)', () => {
    const text = real('7.2-save-restore.txt');
    const imp = importLibvirtText(text, {});
    const mons = [...text.matchAll(/QEMU_MONITOR_NEW: mon=(0x[0-9a-f]+)/g)].map((m) => m[1]);
    expect(mons).toHaveLength(4);
    expect(new Set(mons).size).toBe(3); // the two restores share one address
    const procs = byVm(imp.lines);
    expect([...procs.keys()]).toEqual(['qemu-1', 'qemu-2', 'qemu-3', 'qemu-4']);
    // the saved process migrates; each restore loads (migrate-incoming), in its own name
    expect(procs.get('qemu-2')!.some((m) => m.msg.execute === 'migrate')).toBe(true);
    for (const vm of ['qemu-3', 'qemu-4']) expect(procs.get(vm)!.filter((m) => m.msg.execute === 'migrate-incoming')).toHaveLength(1);
    expect(checkTraceText(p72, imp.lines.join('\n')).code).toBe(0);
    // One name for them all (the old default) takes the restore for the saved source: it departs.
    expect(checkTraceText(p72, importLibvirtText(text, { vm: 'source' }).lines.join('\n')).code).toBe(1);
  });

  it('--mon takes one monitor address: its processes with their own greetings, no other process\'s (#14 item 12)', () => {
    const text = real('7.2-save-restore.txt');
    const mons = [...text.matchAll(/QEMU_MONITOR_NEW: mon=(0x[0-9a-f]+)/g)].map((m) => m[1]);
    const restore = mons[3]; // the address both restores got
    const imp = importLibvirtText(text, { mon: restore });
    const procs = byVm(imp.lines);
    expect([...procs.keys()]).toEqual(['qemu-1', 'qemu-2']);
    expect(imp.lines.filter((l) => l.includes('"QMP"'))).toHaveLength(2);
    for (const ms of procs.values()) {
      expect(ms[0].msg).toHaveProperty('QMP');
      expect(ms.filter((m) => m.msg.execute === 'migrate-incoming')).toHaveLength(1);
    }
    expect(checkTraceText(p72, imp.lines.join('\n')).code).toBe(0);
  });

  it('the greeting comes first, though libvirt logs its qmp_capabilities before it', () => {
    const text = real('7.2-save-restore.txt');
    // In the log the command is queued (SEND_MSG) before the greeting is read.
    const first = text.split('\n').findIndex((l) => l.includes('"execute":"qmp_capabilities"'));
    const greet = text.split('\n').findIndex((l) => l.includes('Line [{"QMP"'));
    expect(first).toBeLessThan(greet);
    for (const [vm, ms] of byVm(importLibvirtText(text, {}).lines)) {
      expect(ms[0].msg, vm).toHaveProperty('QMP');
      expect(ms[1].msg, vm).toMatchObject({ execute: 'qmp_capabilities' });
    }
    const r = checkTraceText(p72, importLibvirtText(text, {}).lines.join('\n'), 'text');
    expect(r.stdout).toMatch(/line 1 qemu-1: greeting: a fresh QEMU/);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/ pending \(|pending command/); // no command left without its reply
  });

  it('after a daemon restart, the monitor that finds the capabilities already on is the running process, reconnected', () => {
    const text = real('7.2-daemon-restart.txt');
    expect(text.match(/: info : libvirt version: /g)).toHaveLength(2);
    const imp = importLibvirtText(text, {});
    const reconnects = imp.lines.filter((l) => l.startsWith('{"reconnect":true,'));
    expect(reconnects).toHaveLength(1);
    expect(JSON.parse(reconnects[0]).vm).toBe('qemu-2'); // the domain libvirt started before the restart
    expect([...byVm(imp.lines).keys()]).toEqual(['qemu-1', 'qemu-2', 'qemu-3']);
    const r = checkTraceText(p72, imp.lines.join('\n'), 'text');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/qemu-2: greeting on a new connection to the running process/);
    // Taken for a fresh process, its events capability would be off, and libvirt does not set it again.
    const fresh = imp.lines.map((l) => l.replace('{"reconnect":true,', '{'));
    const f = checkTraceText(p72, fresh.join('\n'));
    expect(f.code).toBe(1);
    expect(f.stdout).toMatch(/events capability is off/);
  });

  it("libvirt's postcopy (pause-before-switchover on): STOP, pre-switchover, migrate-continue, postcopy-active conform on 7.2 and 10.0", () => {
    for (const [name, p, seq] of [
      ['7.2-migrate-postcopy.src.txt', p72, ['STOP', 'pre-switchover', 'postcopy-active', 'completed']],
      ['10.0-migrate-postcopy-paused-resumed.src.txt', p10, ['STOP', 'pre-switchover', 'device', 'postcopy-active', 'postcopy-paused', 'postcopy-recover-setup', 'postcopy-recover', 'postcopy-active', 'completed']],
    ] as const) {
      const imp = importLibvirtText(real(name), {});
      const src = byVm(imp.lines).get('qemu-2')!;
      const seen = src.filter((m) => m.msg.event === 'STOP' || m.msg.event === 'MIGRATION').map((m) => (m.msg.event === 'STOP' ? 'STOP' : (m.msg.data as { status: string }).status));
      expect(seen.slice(seen.indexOf('STOP')), name).toEqual([...seq]);
      expect(src.some((m) => m.msg.execute === 'migrate-continue'), name).toBe(true);
      expect(checkTraceText(p, imp.lines.join('\n')).code, name).toBe(0);
    }
    const dst = importLibvirtText(real('7.2-migrate-postcopy.dst.txt'), {});
    expect(checkTraceText(p72, dst.lines.join('\n')).code).toBe(0);
  });

  it('libvirt 9.0 on QEMU 10.0 (docs/findings.md F12): xbzrle with multifd refused by QEMU, as qemu-10.0 says and qemu-7.2 does not; an unknown status warned about', () => {
    const text = real('10.0-migrate-multifd-xbzrle.dst.txt');
    const lines = importLibvirtText(text, {}).lines;
    expect(lines.some((l) => l.includes('"desc": "Multifd is not compatible with xbzrle"'))).toBe(true);
    expect(checkTraceText(p10, lines.join('\n')).code).toBe(0);
    const on72 = checkTraceText(p72, lines.join('\n'));
    expect(on72.code).toBe(1);
    expect(on72.stdout).toMatch(/"kind":"unexpected-reject".*Multifd is not compatible with xbzrle/);
    expect(real('10.0-migrate-postcopy-paused-resumed.src.txt')).toMatch(/unknown status 'postcopy-recover-setup' in migration event/);
  });
});
