// The migstate CLI as a user runs it: a real process, real standard input and output.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '..', 'cli', 'bin.js');
function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

describe('migstate profiles', () => {
  it('lists the four profiles, one line each, deltas naming their base', () => {
    const r = run(['profiles']);
    expect(r.code).toBe(0);
    const ls = r.out.trim().split('\n');
    expect(ls.map((l) => l.split(/\s+/)[0])).toEqual(['qemu-7.2', 'qemu-10.0', 'qemu-master', 'proposed']);
    expect(ls[1]).toContain('(delta on qemu-7.2)');
    expect(ls[2]).toContain('(delta on qemu-10.0)');
    expect(ls[3]).toContain('(delta on qemu-master)');
  });
});

describe('migstate permitted', () => {
  const queries = [
    // the thread-000 hazard: 7.2 accepts a capability change on a listening destination
    { side: 'destination', status: 'none', listening: true, command: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'postcopy-ram', state: true }] } },
    { side: 'source', status: 'active', command: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'events', state: true }] } },
    { side: 'source', status: 'pre-switchover', caps: ['pause-before-switchover'], runstate: 'finish-migrate', command: 'cont' },
    { side: 'destination', status: 'none', incoming: 'uri', command: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:1' } },
    { side: 'source', status: 'colo', coloMode: 'primary', caps: ['x-colo'], command: 'x-colo-lost-heartbeat' },
  ];
  it('answers each query in order with QEMU 7.2 exact replies', () => {
    const r = run(['permitted', '--profile', 'qemu-7.2'], queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
    expect(r.code).toBe(0);
    expect(lines(r.out)).toEqual([
      { allowed: true, error: null },
      { allowed: false, error: { class: 'GenericError', desc: "There's a migration process in progress" } },
      { allowed: false, error: { class: 'GenericError', desc: 'Migration is not finalized yet' } },
      { allowed: false, error: { class: 'GenericError', desc: 'The incoming migration has already been started' } },
      { allowed: true, error: null },
    ]);
  });
  it('answers differently per profile where QEMU differs (proposed blocks the hazard)', () => {
    // master and proposed report `setup` as soon as the destination listens; 7.2 reports no status
    const q = { ...queries[0], status: 'setup' };
    expect(lines(run(['permitted', '--profile', 'qemu-master'], JSON.stringify(q) + '\n').out)).toEqual([{ allowed: true, error: null }]);
    expect(lines(run(['permitted', '--profile', 'proposed'], JSON.stringify(q) + '\n').out)).toEqual([
      { allowed: false, error: { class: 'GenericError', desc: "There's a migration process in progress" } },
    ]);
    expect(lines(run(['permitted', '--profile', 'proposed'], JSON.stringify(queries[0]) + '\n').out)[0].invalid).toMatch(/unreachable in profile proposed/);
  });
  it('reads queries from a file with --queries, and --explain names the rule and the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migstate-cli-'));
    writeFileSync(join(dir, 'q.jsonl'), JSON.stringify(queries[2]) + '\n');
    const r = run(['permitted', '--profile', 'qemu-7.2', '--queries', join(dir, 'q.jsonl'), '--explain']);
    const [a] = lines(r.out);
    expect(a.rule).toBe('cont.finish-migrate');
    expect(a.ref).toBe('monitor/qmp-cmds.c: qmp_cont');
    expect(a.path).toContain('converged');
  });
  it('bad lines get {"invalid"} naming the line, and the rest still run', () => {
    const input = ['not json', JSON.stringify({ side: 'source', status: 'bogus', command: 'cont' }), JSON.stringify({ side: 'source', status: 'none', command: 'no-such-command' }),
      JSON.stringify({ side: 'source', status: 'postcopy-recover-setup', command: 'cont' }), JSON.stringify({ side: 'elsewhere', status: 'none', command: 'cont' }), JSON.stringify(queries[1])].join('\n');
    const r = run(['permitted', '--profile', 'qemu-7.2'], input + '\n');
    expect(r.code).toBe(0);
    const out = lines(r.out);
    expect(out).toHaveLength(6);
    expect(out[0].invalid).toMatch(/^line 1: not valid JSON/);
    expect(out[1].invalid).toMatch(/^line 2: status 'bogus' does not exist on the source in profile qemu-7.2/);
    expect(out[2].invalid).toMatch(/^line 3: unknown command 'no-such-command'/);
    expect(out[3].invalid).toMatch(/^line 4: status 'postcopy-recover-setup' does not exist/); // master has it, 7.2 not
    expect(out[4].invalid).toMatch(/^line 5: 'side' must be/);
    expect(out[5]).toEqual({ allowed: false, error: { class: 'GenericError', desc: "There's a migration process in progress" } });
  });
  it('an unknown profile, a missing file or an unknown option: exit 2 with a clear message, nothing on stdout', () => {
    for (const [args, msg] of [
      [['permitted', '--profile', 'qemu-1.0'], /unknown profile 'qemu-1.0' \(known: qemu-7.2, qemu-10.0, qemu-master, proposed\)/],
      [['permitted', '--profile', 'qemu-7.2', '--queries', '/nonexistent/q.jsonl'], /cannot read \/nonexistent\/q.jsonl: no such file/],
      [['permitted', '--profile', 'qemu-7.2', '--bogus'], /Unknown option '--bogus'/],
      [['permitted'], /--profile is required/],
      [['no-such-subcommand'], /unknown command 'no-such-subcommand'/],
    ] as const) {
      const r = run([...args], '');
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    }
  });
});

describe('migstate matrix', () => {
  it('prints the qemu-7.2 table in markdown: states x commands, errors listed, capability cells explained', () => {
    const r = run(['matrix', '--profile', 'qemu-7.2', '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('### qemu-7.2: source');
    expect(r.out).toContain('### qemu-7.2: destination');
    expect(r.out).toMatch(/\| active \/ running \| default \|/);
    expect(r.out).toMatch(/- E\d+: GenericError: There's a migration process in progress/);
    expect(r.out).toContain('Cells that depend on capabilities (†)');
  });
  it('json for one side: every row has a cell per column, each allowed or with QEMU error', () => {
    const r = run(['matrix', '--profile', 'qemu-master', '--format', 'json', '--side', 'destination']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.side).toBe('destination');
    const statuses = new Set(m.rows.map((x: { status: string }) => x.status));
    for (const s of ['none', 'setup', 'active', 'postcopy-active', 'postcopy-paused', 'completed', 'failed', 'colo']) expect(statuses.has(s), s).toBe(true);
    for (const row of m.rows) {
      expect(row.cells).toHaveLength(m.columns.length);
      for (const c of row.cells) expect(c.allowed || (c.error.class && c.error.desc)).toBeTruthy();
    }
  });
  it('bad arguments exit 2', () => {
    expect(run(['matrix', '--profile', 'qemu-7.2', '--format', 'xml']).code).toBe(2);
    expect(run(['matrix', '--profile', 'qemu-7.2', '--side', 'both']).code).toBe(2);
  });
});

describe('machines/ is pure', () => {
  it('imports no Node, DOM or I/O module, and nothing outside machines/', () => {
    const dir = resolve(import.meta.dirname, '..', 'machines');
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const subpaths = (JSON.parse(readFileSync(resolve(dir, '..', 'package.json'), 'utf8')) as { imports?: Record<string, Record<string, string>> }).imports ?? {};
    for (const f of files) {
      const src = readFileSync(join(dir, f), 'utf8');
      const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      // xstate and @xstate/graph are pure libraries (no I/O); nothing else from outside. A subpath
      // import (package.json "imports", '#…') must lead into machines/ under every condition.
      for (const i of imports) expect(i === 'xstate' || i === '@xstate/graph' || i.startsWith('./') || i.startsWith('../') || i.startsWith('#'), `${f} imports ${i}`).toBe(true);
      for (const i of imports.filter((x) => x.startsWith('#'))) {
        const targets = Object.values(subpaths[i] ?? {});
        expect(targets.length, `${f} imports ${i}, which package.json does not map`).toBeGreaterThan(0);
        for (const t of targets) expect(resolve(dir, '..', t).startsWith(dir + '/'), `${f} imports ${i} -> ${t}`).toBe(true);
      }
      for (const i of imports) if (i.startsWith('../')) expect(join(dir, f, '..', i).startsWith(dir), `${f} imports ${i}`).toBe(true);
      // In the code, not in comments (which may well say "the process.").
      const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
      expect(code, f).not.toMatch(/\b(process\.|require\(|document\.|window\.|globalThis\.fetch|fetch\()/);
    }
  });
});

describe('migstate CMD --help', () => {
  const top = run(['--help']).out;
  const cmds = [...top.matchAll(/^ {2}migstate ([a-z-]+)/gm)].map((m) => m[1]);
  it('the overview lists every command, and each answers --help, -h and `help CMD` with its usage on stdout, exit 0', () => {
    expect(cmds.length).toBeGreaterThanOrEqual(10);
    for (const c of cmds) {
      for (const args of [[c, '--help'], [c, '-h'], ['help', c], [c, '--profile', 'no-such', '--help']]) {
        const r = run(args);
        expect(r.code, args.join(' ')).toBe(0);
        expect(r.out, args.join(' ')).toMatch(new RegExp(`^Usage: migstate ${c}`));
        expect(r.out).toMatch(/Exit codes: 0/);
      }
    }
  });
  it("each command's help explains every option its usage line in the overview names", () => {
    for (const line of top.split('\n').filter((l) => /^ {2}migstate [a-z-]+/.test(l))) {
      const c = line.trim().split(/\s+/)[1];
      const help = run([c, '--help']).out;
      for (const opt of line.match(/--[a-z-]+/g) ?? []) expect(help, `${c} ${opt}`).toMatch(new RegExp(`^ {2}${opt}\\b`, 'm'));
    }
  });
  it('an unknown option is still a usage error (exit 2) naming the option', () => {
    const r = run(['explore', '--profile', 'qemu-7.2', '--no-such']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no-such/);
  });
});

describe('migstate with unreadable inputs, outputs and closed pipes (exit 2 with the reason, never a stack trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migstate-cli-io-'));
  const noTrace = (r: { err: string }) => expect(r.err).not.toMatch(/\n\s+at |node:internal|triggerUncaughtException/);
  it('a directory as the input file, for each command that reads one', () => {
    for (const args of [['permitted', '--profile', 'qemu-7.2', '--queries', dir], ['check-trace', '--profile', 'qemu-7.2', dir], ['import-libvirt', dir]]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(`${dir} is a directory, not a file`);
      noTrace(r);
    }
  });
  it('standard input redirected from a directory', () => {
    for (const args of [['check-trace', '--profile', 'qemu-7.2', '-'], ['permitted', '--profile', 'qemu-7.2']]) {
      const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${args.join(' ')} < "${dir}"`], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('standard input is a directory, not a file');
      expect(r.stdout).toBe('');
    }
  });
  it('import-libvirt --out a directory, or in a folder that does not exist', () => {
    const log = resolve(import.meta.dirname, 'fixtures', 'libvirt', 'krempa-2020-12-01-background-snapshot.txt');
    const a = run(['import-libvirt', log, '--out', dir]);
    expect(a.code).toBe(2);
    expect(a.err).toContain(`--out ${dir} is a directory, not a file`);
    const b = run(['import-libvirt', log, '--out', join(dir, 'missing', 'x.jsonl')]);
    expect(b.code).toBe(2);
    expect(b.err).toContain('cannot write: no such folder');
    noTrace(a);
    noTrace(b);
  });
  it('a reader that goes away (| head -1) ends the command quietly', () => {
    const q = JSON.stringify({ side: 'source', status: 'active', command: 'migrate_cancel' });
    writeFileSync(join(dir, 'many.jsonl'), (q + '\n').repeat(200_000));
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" permitted --profile qemu-7.2 --queries "${join(dir, 'many.jsonl')}" | head -1`], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  it('only \\n ends a query line: a lone \\r is part of the line', () => {
    const q = JSON.stringify({ side: 'source', status: 'active', command: 'migrate_cancel' });
    const r = run(['permitted', '--profile', 'qemu-7.2'], `${q}\r${q}\n${q}\r\n`);
    const out = lines(r.out);
    expect(out).toHaveLength(2);
    expect(out[0].invalid).toMatch(/^line 1: not valid JSON/);
    expect(out[1]).toEqual({ allowed: true, error: null });
  });
});

describe('splitLines (the CLI reads every input through it)', () => {
  async function collect(chunks: string[]): Promise<string[]> {
    const { splitLines } = await import('../cli/io.ts');
    async function* gen() {
      yield* chunks;
    }
    const out: string[] = [];
    for await (const b of splitLines(gen())) out.push(...b);
    return out;
  }
  it('joins a line that spans many chunks once, and keeps lines, empty lines and a last line without \\n', async () => {
    expect(await collect(['ab', 'cd', 'e\nf', '', 'g\n\nh'])).toEqual(['abcde', 'fg', '', 'h']);
    expect(await collect(['\n'])).toEqual(['']);
    expect(await collect([])).toEqual([]);
    const long = Array.from({ length: 1000 }, (_, i) => String(i % 10).repeat(1000));
    expect(await collect([...long, '\nend\n'])).toEqual([long.join(''), 'end']);
  });
});
