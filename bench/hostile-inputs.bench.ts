// Hostile inputs to the CLI (issue 14): each one run as the whole CLI, a process of its own, under
// /usr/bin/time (wall time and peak RSS, children included). Prints the table input -> exit -> time
// -> peak memory. The contract: exit 0, 1 or 2, never a stack trace; a row that breaks it says FAIL
// (with why) in its last column. A bench, not a test: no timing is asserted, and it exits 0 whatever
// the rows say. Run: npx tsx bench/hostile-inputs.bench.ts
//
// The inputs are made in a temp folder, each just before its run and deleted right after (the largest
// is 200 MB), and the folder is removed at the end.
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { line, writeLines } from './trace.bench.ts';

const root = resolve(import.meta.dirname, '..');
const BIN = join(root, 'cli', 'bin.js');
const NODE = process.execPath;
/** A run that takes longer than this is ended (exit 124 from timeout(1), a FAIL). */
const LIMIT_S = 600;

if (!existsSync('/usr/bin/time')) {
  console.log('skipped: /usr/bin/time is not installed (apt-get install time)');
  process.exit(0);
}


/** Lines before, one line of `head` + MiB of 'x' + `tail`, lines after; written in 1 MiB pieces (no huge string here). */
function writeBigLine(file: string, before: string[], head: string, mib: number, tail: string, after: string[]): void {
  const fd = openSync(file, 'w');
  for (const l of before) writeSync(fd, l + '\n');
  writeSync(fd, head);
  const piece = 'x'.repeat(1 << 20);
  for (let i = 0; i < mib; i++) writeSync(fd, piece);
  writeSync(fd, tail + '\n');
  for (const l of after) writeSync(fd, l + '\n');
  closeSync(fd);
}

// Scratch space. 0711: the docs row runs the CLI as nobody (when we are root), which must reach its folder.
const tmp = mkdtempSync(join(tmpdir(), 'migstate-hostile-'));
chmodSync(tmp, 0o711);
const cleanup = () => {
  spawnSync('chmod', ['-R', 'u+w', tmp]);
  rmSync(tmp, { recursive: true, force: true });
};
process.on('SIGINT', () => (cleanup(), process.exit(130)));
const p = (name: string) => join(tmp, name);

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const cli = (args: string[]) => [NODE, BIN, ...args].map(q).join(' ');

type Run = { code: number | null; wall: number; peakMiB: number; out: string; err: string; note?: string };

/**
 * Runs `node cli/bin.js ARGS` through bash under /usr/bin/time and timeout(1). `stdin` a path to
 * redirect from (default /dev/null); `pipe` a command its output goes into (the exit code is the
 * CLI's own, from PIPESTATUS); `user` a user to run it as (runuser). Standard output is kept in a
 * file (only its first MiB is read back), standard error likewise.
 */
function timed(args: string[], o: { stdin?: string; pipe?: string; user?: string } = {}): Run {
  const timeFile = p('time.out');
  const outFile = p('stdout.out');
  const errFile = p('stderr.out');
  const rcFile = p('rc.out');
  const runner = o.user ? `runuser -u ${q(o.user)} -- ` : '';
  const inner = `/usr/bin/time -o ${q(timeFile)} -f '%e %M' ${runner}timeout -k 5 ${LIMIT_S} ${cli(args)} < ${q(o.stdin ?? '/dev/null')} 2> ${q(errFile)}`;
  const script = o.pipe ? `${inner} | ${o.pipe} > ${q(outFile)}; echo "\${PIPESTATUS[0]}" > ${q(rcFile)}` : `${inner} > ${q(outFile)}; echo "$?" > ${q(rcFile)}`;
  spawnSync('bash', ['-c', script], { stdio: 'ignore', cwd: tmp });
  const read = (f: string) => {
    if (!existsSync(f)) return '';
    const fd = openSync(f, 'r');
    const b = Buffer.alloc(1 << 20);
    const n = readSync(fd, b);
    closeSync(fd);
    return b.subarray(0, n).toString('utf8');
  };
  // With a non-zero exit, time(1) writes "Command exited with non-zero status N" first: the figures are the last line.
  const t = read(timeFile).trim().split('\n').pop() ?? '';
  const [wall, kib] = t.split(' ').map(Number);
  const r: Run = { code: Number(read(rcFile).trim()), wall, peakMiB: kib / 1024, out: read(outFile), err: read(errFile) };
  for (const f of [timeFile, outFile, errFile, rcFile]) rmSync(f, { force: true });
  return r;
}

type Row = { input: string; command: string; run: Run | null; skip?: string; fail: string[] };
const rows: Row[] = [];

/** One row: `expect` the exit codes this input should give; `check` anything else that must hold (a reason when not). */
function row(input: string, command: string, r: Run | null, expect: number[], check?: (r: Run) => string | null, skip?: string): void {
  const fail: string[] = [];
  if (r) {
    if (r.code === null || ![0, 1, 2].includes(r.code)) fail.push(`exit ${r.code} is not 0/1/2`);
    else if (!expect.includes(r.code)) fail.push(`exit ${r.code}, expected ${expect.join(' or ')}`);
    if (/^\s+at \S/m.test(r.err) || /node:internal/.test(r.err)) fail.push('stack trace');
    const c = check?.(r);
    if (c) fail.push(c);
  }
  rows.push({ input, command, run: r, skip, fail });
  process.stderr.write(`  ${input}: ${r ? `exit ${r.code}, ${r.wall} s, ${r.peakMiB.toFixed(0)} MiB` : 'skipped'}${fail.length ? ' FAIL ' + fail.join('; ') : ''}\n`);
}

/** No raw ESC anywhere, and the escaped form shows the strings did reach the text (else the check proves nothing). */
const noEsc = (r: Run) => (r.out.includes('\x1b') || r.err.includes('\x1b') ? 'raw ESC in the output' : r.out.includes('\\u001b') ? null : 'the ESC strings are not in the output at all');

try {
  // The bundle is made (or checked) once before the first measured run.
  spawnSync(NODE, [BIN, 'profiles'], { stdio: 'ignore' });
  process.stderr.write(`hostile inputs (scratch ${tmp}):\n`);

  // 1. A large argument inside a modelled command.
  for (const mib of [10, 50]) {
    const f = p(`big-${mib}.jsonl`);
    writeBigLine(f, [], `{"t":0,"vm":"source","dir":"send","msg":{"execute":"migrate-set-parameters","arguments":{"tls-creds":"`, mib, `"},"id":1}}`, [line(1, 'source', 'recv', { return: {}, id: 1 })]);
    row(`a ${mib} MB string argument (tls-creds)`, `check-trace --profile qemu-7.2 big-${mib}.jsonl`, timed(['check-trace', '--profile', 'qemu-7.2', f]), [0]);
    rmSync(f);
  }

  // 2. Commands without replies.
  {
    const f = p('no-replies.jsonl');
    writeLines(f, 400_000, (i) => line(i, 'source', 'send', { execute: 'query-status', id: i }));
    row('400k commands without replies', 'check-trace --profile qemu-7.2 no-replies.jsonl', timed(['check-trace', '--profile', 'qemu-7.2', f]), [0]);
    rmSync(f);
  }

  // 3. Every line departing (migrate_cancel answered with an error no state gives).
  const departing = (file: string, n: number) =>
    writeLines(file, n, (i) => (i % 2 ? line(i, 'source', 'recv', { error: { class: 'GenericError', desc: 'no such error' }, id: i - 1 }) : line(i, 'source', 'send', { execute: 'migrate_cancel', id: i })));
  {
    const f = p('departing.jsonl');
    departing(f, 1_000_000);
    row('1M lines, each departing', 'check-trace --profile qemu-7.2 departing.jsonl', timed(['check-trace', '--profile', 'qemu-7.2', f]), [1]);
    rmSync(f);
  }

  // 4. Malformed QMP replies: the QMP client only reads what a QEMU it started answers.
  row('malformed QMP replies (`5`, `null`, `{"error": null}`)', 'conformance', null, [], undefined,
    'a conformance-runner item: the replies come from a QEMU the runner starts, not from a CLI input; model-tests/qmp.test.ts feeds them to the QMP client');

  // 7. A directory where a file is read or written, standard input from a directory.
  const dir = p('a-directory');
  mkdirSync(dir);
  row('a directory as --queries', 'permitted --profile qemu-7.2 --queries DIR', timed(['permitted', '--profile', 'qemu-7.2', '--queries', dir]), [2]);
  row('a directory as the trace', 'check-trace --profile qemu-7.2 DIR', timed(['check-trace', '--profile', 'qemu-7.2', dir]), [2]);
  row('a directory as the log', 'import-libvirt DIR', timed(['import-libvirt', dir]), [2]);
  row('standard input from a directory', 'permitted --profile qemu-7.2 < DIR', timed(['permitted', '--profile', 'qemu-7.2'], { stdin: dir }), [2]);
  row('standard input from a directory', 'check-trace --profile qemu-7.2 - < DIR', timed(['check-trace', '--profile', 'qemu-7.2', '-'], { stdin: dir }), [2]);
  row('standard input from a directory', 'import-libvirt - < DIR', timed(['import-libvirt', '-'], { stdin: dir }), [2]);
  const log = p('save-restore.log');
  copyFileSync(join(root, 'model-tests', 'fixtures', 'libvirt', 'real', '7.2-save-restore.txt'), log);
  row('--out a directory', 'import-libvirt LOG --out DIR', timed(['import-libvirt', log, '--out', dir]), [2]);
  row('--out in a missing folder', 'import-libvirt LOG --out /missing/x', timed(['import-libvirt', log, '--out', '/missing/x']), [2]);

  // 8. A reader that goes away.
  {
    const queries = p('many-queries.jsonl');
    writeFileSync(queries, (JSON.stringify({ side: 'source', status: 'active', command: 'migrate_cancel' }) + '\n').repeat(200_000));
    row('closed pipe (200k answers)', 'permitted --profile qemu-7.2 --queries F | head -1', timed(['permitted', '--profile', 'qemu-7.2', '--queries', queries], { pipe: 'head -1' }), [0]);
    rmSync(queries);
    const trace = p('departing-200k.jsonl');
    departing(trace, 200_000);
    row('closed pipe (100k findings)', 'check-trace --profile qemu-7.2 F | head -1', timed(['check-trace', '--profile', 'qemu-7.2', trace], { pipe: 'head -1' }), [0, 1]);
    rmSync(trace);
    row('closed pipe', 'matrix --profile qemu-7.2 | head -1', timed(['matrix', '--profile', 'qemu-7.2'], { pipe: 'head -1' }), [0]);
  }

  // 9. docs over previous documents with a read-only subfolder (as the docs test does it: as root, run as nobody).
  {
    const MARKER = '<!-- generated by `npx migstate docs --out docs/generated`: do not edit, regenerate -->';
    const base = p('docs-ro');
    const out = join(base, 'gen');
    const locked = join(out, 'charts');
    mkdirSync(locked, { recursive: true });
    writeFileSync(join(out, 'README.md'), MARKER + '\nold\n');
    writeFileSync(join(locked, 'x.md'), 'old chart\n');
    const asRoot = process.getuid?.() === 0;
    const runuser = spawnSync('bash', ['-c', 'command -v runuser && id nobody'], { stdio: 'ignore' }).status === 0;
    if (asRoot && !runuser) {
      row('docs --out over a read-only subfolder', 'docs --out OLD', null, [], undefined, 'running as root without runuser or user nobody: a read-only folder is no obstacle to root');
    } else {
      if (asRoot) spawnSync('chown', ['-R', 'nobody', base]);
      chmodSync(locked, 0o555);
      const r = timed(['docs', '--out', out], asRoot ? { user: 'nobody' } : {});
      row('docs --out over a read-only subfolder', `docs --out OLD${asRoot ? ' (as nobody)' : ''}`, r, [2], () => (readFileSync(join(out, 'README.md'), 'utf8') === MARKER + '\nold\n' ? null : 'the old documents were changed'));
      spawnSync('chmod', ['-R', 'u+w', base]);
    }
    rmSync(base, { recursive: true, force: true });
  }

  // 10. Lone CRs: only \n ends a line, so each "a\rb\n" is one (invalid) line and "a\r\n" a good one.
  {
    const f = p('lone-cr.jsonl');
    const qry = JSON.stringify({ side: 'source', status: 'active', command: 'migrate_cancel' });
    const n = 50_000;
    writeFileSync(f, `${qry}\r${qry}\n${qry}\r\n`.repeat(n));
    row('lone CRs (50k "q\\rq\\n" + 50k "q\\r\\n")', 'permitted --profile qemu-7.2 --queries F', timed(['permitted', '--profile', 'qemu-7.2', '--queries', f]), [0], (r) => {
      const got = r.out.split('\n').filter(Boolean).slice(0, 4);
      // The first MiB of the answers: they alternate invalid (line 1, 3, ...) and allowed.
      return got.length === 4 && /"invalid":"line 1:/.test(got[0]) && /"allowed":true/.test(got[1]) && /"invalid":"line 3:/.test(got[2]) ? null : `unexpected answers: ${got[0]?.slice(0, 60)}`;
    });
    rmSync(f);
  }

  // 11. ESC sequences in a command name and a status, printed as text.
  {
    const f = p('esc.jsonl');
    writeFileSync(f, [
      line(0, 'source', 'send', { execute: '\u001b[31mevil\u001b]0;title\u0007', id: 1 }),
      line(1, 'source', 'recv', { return: {}, id: 1 }),
      line(2, 'source', 'recv', { event: 'MIGRATION', data: { status: '\u001b[2J\u001b[Hcleared' }, timestamp: { seconds: 1, microseconds: 0 } }),
      line(3, 'source', 'send', { execute: 'query-migrate', id: 2 }),
      line(4, 'source', 'recv', { return: { status: '\u001b[1mbold' }, id: 2 }),
    ].join('\n') + '\n');
    row('ESC sequences in a command and statuses', 'check-trace --profile qemu-7.2 F --format text', timed(['check-trace', '--profile', 'qemu-7.2', f, '--format', 'text']), [0, 1], noEsc);
    rmSync(f);
  }

  // 14. import-libvirt on one huge line: a QEMU_MONITOR_SEND_MSG record whose message is that long.
  for (const mib of [50, 200]) {
    const f = p(`huge-${mib}.log`);
    // The real log's first records (monitor opened, greeting, qmp_capabilities), then the huge one on that monitor.
    const head = readFileSync(log, 'utf8').split('\n').slice(0, 5);
    const mon = /QEMU_MONITOR_NEW: mon=(0x[0-9a-f]+)/.exec(head.join('\n'))![1];
    const pre = `2026-12-04 22:02:07.866+0000: 3199: info : qemuMonitorSend:861 : QEMU_MONITOR_SEND_MSG: mon=${mon} msg=`;
    writeBigLine(f, head, `${pre}{"execute":"migrate-set-parameters","arguments":{"tls-creds":"`, mib, `"},"id":"libvirt-2"}`, [
      `2026-12-04 22:02:07.867+0000: 3220: info : qemuMonitorJSONIOProcessLine:208 : QEMU_MONITOR_RECV_REPLY: mon=${mon} reply={"return": {}, "id": "libvirt-2"}`,
    ]);
    row(`one ${mib} MB log line`, `import-libvirt huge-${mib}.log > /dev/null`, timed(['import-libvirt', f], { pipe: 'cat > /dev/null' }), [0]);
    rmSync(f);
  }

  // 13. A binary that is not QEMU.
  row('a --qemu that is not QEMU', 'conformance --qemu /bin/false', timed(['conformance', '--qemu', '/bin/false']), [2]);
} finally {
  cleanup();
}

const cell = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(/\|/g, '\\|');
const shorten = (s: string, n = 90) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
console.log('| input | command | exit code | wall time (s) | peak RSS (MiB) | first line of stderr | contract |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  if (!r.run) {
    console.log(`| ${cell(r.input)} | \`${cell(r.command)}\` | – | – | – | – | skipped: ${cell(r.skip ?? '')} |`);
    continue;
  }
  const first = r.run.err.split('\n').find((l) => l.trim()) ?? '';
  console.log(`| ${cell(r.input)} | \`${cell(r.command)}\` | ${r.run.code} | ${r.run.wall.toFixed(2)} | ${r.run.peakMiB.toFixed(0)} | ${first ? cell(shorten(first)) : '(none)'} | ${r.fail.length ? 'FAIL: ' + cell(r.fail.join('; ')) : 'ok'} |`);
}
const failed = rows.filter((r) => r.fail.length).length;
console.log(`\n${rows.length} inputs, ${rows.filter((r) => !r.run).length} skipped, ${failed} breaking the contract (exit 0/1/2 as expected, no stack trace, and each row's own check).`);
