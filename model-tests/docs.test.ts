// `migstate docs` as a user (and CI) runs it: a real process writing real folders. The generated
// documents are checked against the model itself, not against the generator's own data: every SVG
// parses as XML and draws every state of its chart, every Mermaid file names them, every matrix has
// one row per reachable state, the QEMU map lists every rule and transition with its reference, every
// hazard trace replays through the pair with the replies it shows. And the committed docs/generated/ must be what the
// model generates now (the CI staleness check).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';
import {
  CAP_VARIANTS, PROFILES, SYNC, answer, chartEdges, channelMachine, coloChart, decide, destinationStatusChart, exploreSide, failoverChart, getProfile, locate,
  matrixProbes, returnPathChart, runStateChart, sourceStatusChart, startPair, statePaths, stepPair,
  type ChartSpec, type PairEvent, type PairState, type PairStep, type Profile, type Side, type StateQuery,
} from '../machines/index.ts';
import { asIn } from '../machines/hazards.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'cli', 'bin.js');
const COMMITTED = join(ROOT, 'docs', 'generated');
const REGEN = 'npx migstate docs --out docs/generated';
const SIDES: readonly Side[] = ['source', 'destination'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every file under `dir`, relative path -> bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else out.set(relative(dir, f), readFileSync(f));
    }
  };
  walk(dir);
  return out;
}

/** Files that differ between two trees (missing on either side, or different bytes). */
function differences(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (!b.has(k)) out.push(`only in the new output: ${k}`);
  else if (!v.equals(b.get(k)!)) out.push(`differs: ${k}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`only in the committed tree: ${k}`);
  return out;
}

/** The charts of a side, read from the model's chart specs (independently of the generator). */
function specs(p: Profile, side: Side): ChartSpec[] {
  return [side === 'source' ? sourceStatusChart(p) : destinationStatusChart(p), runStateChart(p, side, side === 'source' ? 'running' : 'inmigrate'), coloChart(p, side), failoverChart(p, side), returnPathChart(p, side)];
}
/** Where the docs put a chart: charts/<profile>/<side>-<chart>, the status charts already naming their side. */
const chartBase = (p: Profile, side: Side, s: ChartSpec) => `charts/${p.name}/${s.chart.startsWith(side) ? s.chart : `${side}-${s.chart}`}`;

function parseSvg(text: string, name: string): Document {
  // Any error or fatal error of the parser fails (xmldom only warns on some of them by default).
  const parser = new DOMParser({
    onError: (level: string, msg: string) => {
      if (level !== 'warning') throw new Error(`${name}: ${level}: ${msg}`);
    },
  });
  const doc = parser.parseFromString(text, 'image/svg+xml') as unknown as Document;
  // xmldom accepts a bare '&' in attribute values; XML does not.
  const bare = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
  if (bare) throw new Error(`${name}: unescaped '&' at ${bare.index}`);
  return doc;
}

function dataNodes(doc: Document): Map<string, Element> {
  const out = new Map<string, Element>();
  const gs = doc.getElementsByTagName('g');
  for (let i = 0; i < gs.length; i++) {
    const g = gs[i];
    if (g.hasAttribute('data-node')) out.set(g.getAttribute('data-node')!, g);
  }
  return out;
}

/** Temporary folders made here, removed after the tests. */
const temps: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

let outA = '';
let outB = '';
let files = new Map<string, Buffer>();
const text = (rel: string) => {
  const b = files.get(rel);
  if (!b) throw new Error(`not generated: ${rel}`);
  return b.toString('utf8');
};

beforeAll(async () => {
  const base = tempDir('migstate-docs-');
  outA = join(base, 'a');
  outB = join(base, 'b');
  // B was written by an earlier run (the marker) and holds a file the model no longer makes.
  mkdirSync(outB);
  writeFileSync(join(outB, 'README.md'), '<!-- generated by `npx migstate docs --out docs/generated`: do not edit, regenerate -->\nold\n');
  writeFileSync(join(outB, 'stale.md'), 'from an older model\n');
  // Two separate processes at once: nothing may depend on the run (time, order of completion, ...).
  const gen = (out: string) => promisify(execFile)(process.execPath, [BIN, 'docs', '--out', out], { timeout: 400_000 });
  const [a, b] = await Promise.all([gen(outA), gen(outB)]);
  expect(a.stdout).toMatch(/^wrote \d+ files \(\d+ KiB\) to /);
  expect(b.stdout).toMatch(/^wrote \d+ files/);
  files = tree(outA);
}, 420_000);

describe('migstate docs: the output as a whole', () => {
  it('is deterministic: two runs write byte-identical trees', () => {
    const a = tree(outA);
    const b = tree(outB);
    expect(a.size).toBeGreaterThan(0);
    expect(differences(a, b)).toEqual([]);
  });

  it('replaces a folder it wrote before, leaving nothing of the old one and no temporary folder', () => {
    expect(existsSync(join(outB, 'stale.md'))).toBe(false);
    expect(readdirSync(join(outB, '..')).sort()).toEqual(['a', 'b']);
  });

  it('the committed docs/generated/ is what the model generates now', () => {
    expect(existsSync(COMMITTED), `docs/generated/ is missing: run \`${REGEN}\` and commit it`).toBe(true);
    const diff = differences(files, tree(COMMITTED));
    expect(diff, `docs/generated/ is stale (the model changed since it was generated): run \`${REGEN}\` and commit the result.\n${diff.slice(0, 20).join('\n')}`).toEqual([]);
  });

  it('stays modest in size (under 2 MiB)', () => {
    const bytes = [...files.values()].reduce((n, b) => n + b.length, 0);
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('the index links every generated file that exists, and only those', () => {
    const index = text('README.md');
    const links = [...index.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]).filter((l) => !l.startsWith('../'));
    expect(links.length).toBeGreaterThan(10);
    for (const l of links) expect(files.has(l), `README.md links ${l}`).toBe(true);
    for (const l of index.matchAll(/\]\((\.\.\/[^)#]+)\)/g)) expect(existsSync(join(COMMITTED, l[1])), `README.md links ${l[1]}`).toBe(true);
  });
});

describe('migstate docs: charts', () => {
  it('one SVG and one Mermaid file per chart of each side of each profile, and the channel', () => {
    const expected = new Set(['charts/channel.svg', 'charts/channel.mmd']);
    for (const p of PROFILES) for (const side of SIDES) for (const s of specs(p, side)) for (const ext of ['svg', 'mmd']) expected.add(`${chartBase(p, side, s)}.${ext}`);
    const got = [...files.keys()].filter((f) => f.endsWith('.svg') || f.endsWith('.mmd'));
    expect(got.sort()).toEqual([...expected].sort());
  });

  it('every SVG parses as XML and draws every state of its chart, labelled with its QEMU name', () => {
    for (const p of PROFILES)
      for (const side of SIDES)
        for (const s of specs(p, side)) {
          const name = `${chartBase(p, side, s)}.svg`;
          const doc = parseSvg(text(name), name);
          expect(doc.documentElement.tagName).toBe('svg');
          const nodes = dataNodes(doc);
          const want = statePaths(s.tree).map((x) => `${s.region}.${x}`);
          // The drawing's states are exactly the chart's (plus the process box and the region box).
          expect([...nodes.keys()].filter((k) => k.includes('.')).sort(), name).toEqual([...want].sort());
          for (const id of want) {
            const g = nodes.get(id)!;
            const label = g.getElementsByTagName('text')[0]?.textContent;
            expect(label, `${name} ${id}`).toBe(id.split('.').pop());
          }
        }
    const ch = parseSvg(text('charts/channel.svg'), 'channel.svg');
    const want = Object.keys((channelMachine.root as unknown as { states: Record<string, unknown> }).states);
    expect([...dataNodes(ch).keys()].filter(Boolean).sort()).toEqual([...want].sort());
  });

  it('every Mermaid file is a stateDiagram-v2 naming every state and every transition of its chart', () => {
    for (const p of PROFILES)
      for (const side of SIDES)
        for (const s of specs(p, side)) {
          const name = `${chartBase(p, side, s)}.mmd`;
          const mmd = text(name);
          const lines = mmd.split('\n').map((l) => l.trim());
          expect(lines).toContain('stateDiagram-v2');
          for (const path of statePaths(s.tree)) {
            const key = path.split('.').pop()!;
            const leaf = lines.some((l) => l.startsWith(`state "${key}" as `));
            const composite = lines.some((l) => new RegExp(`^state [A-Za-z0-9_]*${key.replace(/-/g, '_')} \\{$`).test(l));
            expect(leaf || composite, `${name}: state ${path}`).toBe(true);
          }
          // Every transition's label appears on an arrow line.
          const arrows = lines.filter((l) => l.includes(' --> ') && !l.startsWith('[*]'));
          for (const e of chartEdges(p, s)) {
            const label = e.meta.kind === 'qmp' ? e.meta.label : `(${e.meta.label})`;
            expect(arrows.some((l) => l.split(' : ')[1]?.split(', ').includes(label)), `${name}: ${e.from} -> ${e.to} on ${label}`).toBe(true);
          }
          // Mermaid ids are identifiers.
          for (const l of arrows) expect(l, name).toMatch(/^[A-Za-z_][A-Za-z0-9_]* --> [A-Za-z_][A-Za-z0-9_]* : .+$/);
        }
  });
});

describe('migstate docs: permission matrices', () => {
  /** The table rows of a matrix page: first cell -> cells. */
  function rows(md: string): { header: string[]; rows: Map<string, string[]>; errors: Set<string> } {
    const table = md.split('\n').filter((l) => l.startsWith('| '));
    const split = (l: string) => l.slice(2, -2).split(' | ');
    const header = split(table[0]);
    const out = new Map<string, string[]>();
    for (const l of table.slice(1)) {
      const cells = split(l);
      expect(out.has(cells[0]), `row ${cells[0]} twice`).toBe(false);
      out.set(cells[0], cells);
    }
    const errors = new Set([...md.matchAll(/^- (E\d+): /gm)].map((m) => m[1]));
    return { header, rows: out, errors };
  }

  it('has one row per reachable state of each side of each profile, a column per command, every cell answered', () => {
    for (const p of PROFILES)
      for (const side of SIDES) {
        const name = `matrix/${p.name}-${side}.md`;
        const { header, rows: got, errors } = rows(text(name));
        // Reachable states, found by searching the side machine under each capability set the matrix uses.
        const want = new Set<string>();
        for (const caps of CAP_VARIANTS) {
          if (!caps.every((c) => p.capabilities.includes(c))) continue;
          for (const r of exploreSide(p, side, caps)) {
            const c = r.context;
            want.add(side === 'destination' ? `${c.status} / ${c.runstate} / ${c.listening ? 'listening' : 'not listening'}` : `${c.status} / ${c.runstate}`);
          }
        }
        expect([...got.keys()].sort(), name).toEqual([...want].sort());
        expect(header.slice(2), name).toEqual(matrixProbes(p).map((x) => `\`${x.label}\``));
        for (const [k, cells] of got) {
          expect(cells.length, `${name} ${k}`).toBe(header.length);
          for (const c of cells.slice(2)) {
            const m = /^(✓|E\d+)( †\d+)?$/.exec(c);
            expect(m, `${name} ${k}: cell '${c}'`).not.toBeNull();
            if (m![1] !== '✓') expect(errors.has(m![1]), `${name}: ${m![1]} is listed`).toBe(true);
          }
        }
      }
  });

  it('each cell says what the model answers in the state `migstate permitted` finds for that row', () => {
    const columns = ['migrate-set-capabilities', 'migrate-incoming', 'cont', 'migrate_cancel'];
    for (const p of PROFILES)
      for (const side of SIDES) {
        const { header, rows: got } = rows(text(`matrix/${p.name}-${side}.md`));
        const probes = matrixProbes(p);
        let checked = 0;
        for (const [key, cells] of got) {
          const [status, runstate, listener] = key.split(' / ');
          const caps = cells[1] === 'default' ? [] : cells[1].slice(1, -1).split(', ');
          const q: StateQuery = { side, status, runstate, caps, ...(listener ? { listening: listener === 'listening' } : {}) };
          const found = locate(p, q);
          expect('found' in found, `${p.name} ${side} ${key}: ${'invalid' in found ? found.invalid : ''}`).toBe(true);
          if (!('found' in found)) continue;
          for (const c of columns) {
            const probe = probes.find((x) => x.label === c)!;
            const d = answer(p, found.found, probe.command, probe.arguments ?? {});
            expect(cells[header.indexOf(`\`${c}\``)].startsWith('✓'), `${p.name} ${side} ${key} ${c}`).toBe(d.allowed);
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(10);
      }
  });
});

describe('migstate docs: profile diffs', () => {
  it('one per profile and its base, and released QEMU against the proposal', () => {
    const want = PROFILES.filter((p) => p.base).map((p) => `diff/${p.base}..${p.name}.md`);
    want.push(`diff/${PROFILES[0].name}..${PROFILES[PROFILES.length - 1].name}.md`);
    expect([...files.keys()].filter((f) => f.startsWith('diff/')).sort()).toEqual([...new Set(want)].sort());
  });

  it('lists the statuses each side gains or loses', () => {
    for (const p of PROFILES.filter((x) => x.base)) {
      const base = getProfile(p.base!);
      const md = text(`diff/${base.name}..${p.name}.md`);
      for (const side of SIDES) {
        const line = md.split('\n').find((l) => l.startsWith(`| ${side} statuses |`))!;
        const [, added, removed] = line.split(' | ');
        const names = (cellText: string) => [...cellText.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort();
        expect(names(added), `${p.name} ${side} added`).toEqual(p.statuses[side].filter((s) => !base.statuses[side].includes(s)).sort());
        expect(names(removed), `${p.name} ${side} removed`).toEqual(base.statuses[side].filter((s) => !p.statuses[side].includes(s)).sort());
      }
    }
  });

  it('names a command the proposal newly blocks, in the state where the model blocks it, with the rule and its QEMU reference', () => {
    const master = getProfile('qemu-master');
    const proposed = getProfile('proposed');
    const at = (p: Profile) => {
      const r = locate(p, { side: 'destination', status: 'active', listening: true });
      if (!('found' in r)) throw new Error(r.invalid);
      return r.found;
    };
    const args = { capabilities: [{ capability: 'events', state: true }] };
    expect(answer(master, at(master), 'migrate-set-capabilities', args).allowed).toBe(true);
    const d = answer(proposed, at(proposed), 'migrate-set-capabilities', args);
    expect(d.allowed).toBe(false);
    const rule = d.rule!;
    const md = text('diff/qemu-master..proposed.md');
    const dest = md.slice(md.indexOf('### destination'));
    const row = dest.split('\n').find((l) => l.startsWith('| `migrate-set-capabilities` | newly blocked |'));
    expect(row).toBeDefined();
    expect(row).toContain('active / inmigrate / listening');
    expect(row).toContain(`\`${rule.id}\``);
    expect(row).toContain(rule.ref.replace(/\|/g, '\\|'));
  });

  it('lists every rule the newer profile adds, with its reference', () => {
    for (const p of PROFILES.filter((x) => x.base)) {
      const base = getProfile(p.base!);
      const md = text(`diff/${base.name}..${p.name}.md`);
      for (const r of p.rules.filter((x) => !base.rules.some((y) => y.id === x.id))) {
        const row = md.split('\n').find((l) => l.startsWith(`| added | \`${r.id}\` |`));
        expect(row, `${p.name}: rule ${r.id}`).toBeDefined();
        expect(row).toContain(r.ref.replace(/\|/g, '\\|'));
      }
    }
  });
});

describe('migstate docs: the QEMU map and the hazards', () => {
  it('maps every rule and transition of every profile, and every pair step, to the function it cites', () => {
    const md = text('qemu-map.md');
    // The section each row is in: '## file' then '### function'.
    const where = new Map<string, Set<string>>();
    let file = '';
    let fn = '';
    for (const l of md.split('\n')) {
      if (l.startsWith('## ')) file = l.slice(3);
      else if (l.startsWith('### ')) fn = l.slice(4);
      else if (l.startsWith('| ') && file && fn) {
        const id = /^\| [^|]+ \| `([^`]+)` \|/.exec(l)?.[1];
        if (id) where.set(id, (where.get(id) ?? new Set()).add(`${file}: ${fn}`));
      }
    }
    const check = (id: string, ref: string) => {
      const m = /^([^ :]+): ([A-Za-z_][A-Za-z0-9_]*)/.exec(ref);
      expect(m, `reference of ${id}: ${ref}`).not.toBeNull();
      expect([...(where.get(id) ?? [])], `${id} (${ref})`).toContain(`${m![1]}: ${m![2]}`);
    };
    for (const p of PROFILES) {
      for (const r of p.rules) check(r.id, r.ref);
      for (const t of p.transitions) check(t.id, t.ref);
    }
    for (const s of SYNC) check(s.name, s.ref);
  });

  it('reports hazards with a QMP trace each, which replays through the pair and ends with the hazardous command accepted', () => {
    const md = text('hazards.md');
    const proposed = getProfile('proposed');
    const blocks = [...md.matchAll(/^### (\S+) \d+\. (source|destination): ([^\n]+)\n[\s\S]*?```jsonl\n([\s\S]*?)```/gm)];
    expect(blocks.length).toBeGreaterThan(0);
    for (const [, profile, side, label, trace] of blocks) {
      const p = getProfile(profile);
      const lines = trace.trim().split('\n').map((l) => JSON.parse(l));
      // Replayed through the pair, every reply in the trace is the model's reply to that command.
      const replies = replayReplies(p, lines);
      expect(replies.length, `${profile} ${side} ${label}`).toBeGreaterThan(0);
      for (const r of replies) expect(r.written, `${profile} ${side} ${label}: ${r.command}`).toEqual(r.model);
      const last = lines[lines.length - 1];
      const sent = lines[lines.length - 2];
      expect(last).toMatchObject({ vm: side, dir: 'recv', msg: { return: {} } });
      expect(sent).toMatchObject({ vm: side, dir: 'send' });
      const cmd = sent.msg.execute as string;
      expect(label.startsWith(cmd), `${label} is ${cmd}`).toBe(true);
      // The proposal refuses that command there: replay the trace up to it, ask the proposal.
      const before = replay(p, lines.slice(0, -2));
      const ctx = before[side as Side]!.context;
      const d = decide(proposed, asIn(proposed, ctx), cmd, sent.msg.arguments ?? {});
      expect(d.allowed, `${profile} ${side} ${label}: proposed refuses`).toBe(false);
    }
    // Released QEMU's thread-000 hazard is among them: a capability change on a listening destination.
    expect(blocks.some(([, profile, side, label]) => profile === 'qemu-7.2' && side === 'destination' && label === 'migrate-set-capabilities')).toBe(true);
  });
});

/** The pair state a trace's lines lead to (start note, QMP commands, notes of internal steps and faults). */
function replay(p: Profile, lines: Record<string, any>[], onReply?: (command: string, reply: PairStep['reply'], i: number) => void): PairState {
  let s: PairState | null = null;
  for (const [i, l] of lines.entries()) {
    if (l.note?.start) {
      s = startPair(p, { incoming: l.note.start.incoming, sourcePaused: l.note.start.sourcePaused, destinationPaused: l.note.start.destinationPaused });
      continue;
    }
    if (!s) throw new Error('trace without a start note');
    let e: PairEvent | null = null;
    if (l.dir === 'send') e = { type: 'qmp', vm: l.vm, command: l.msg.execute, ...(l.msg.arguments ? { arguments: l.msg.arguments } : {}) };
    else if (l.note?.internal) e = { type: 'sync', name: l.note.internal };
    else if (l.note?.fault) e = { type: 'fault', fault: l.note.fault };
    else if (l.note?.restart) e = { type: 'restart-destination' };
    if (e) {
      const r = stepPair(p, s, e);
      if (e.type === 'qmp') onReply?.(e.command, r.reply, i);
      s = r.state;
    }
  }
  return s!;
}

/** For each command of a trace: the reply the trace gives and the model's ({return} or {error}, as QMP sends them). */
function replayReplies(p: Profile, lines: Record<string, any>[]): { command: string; written: unknown; model: unknown }[] {
  const out: { command: string; written: unknown; model: unknown }[] = [];
  replay(p, lines, (command, reply, i) => {
    const next = lines[i + 1];
    const written = next?.dir === 'recv' ? { ...next.msg, id: undefined } : next?.note;
    const model = reply && 'exited' in reply ? { exited: lines[i].vm } : { ...reply, id: undefined };
    out.push({ command, written, model });
  });
  return out;
}

describe('migstate docs: bad usage', () => {
  it('an unknown option, a missing --out value or no --out: exit 2 with the reason on stderr, nothing written', () => {
    for (const [args, msg] of [
      [['docs', '--bogus'], /Unknown option '--bogus'/],
      [['docs', '--out'], /--out.*argument missing/],
      [['docs'], /--out DIR is required/],
      [['docs', 'somewhere'], /Unexpected argument/],
    ] as const) {
      const r = run([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^migstate docs: /);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    }
  });

  it('a folder it cannot write in: exit 2, and no half-written folder left behind', () => {
    const base = tempDir('migstate-docs-bad-');
    const file = join(base, 'a-file');
    writeFileSync(file, 'x');
    for (const [out, msg] of [
      [join(base, 'missing', 'out'), /does not exist/],
      [join(file, 'out'), /is not a folder/],
      [file, /exists and is not a folder/],
      // /proc takes no new folders, not even from root.
      ['/proc/migstate-docs', /cannot create a folder in \/proc/],
    ] as const) {
      const r = run(['docs', '--out', out]);
      expect(r.code, out).toBe(2);
      expect(r.err, out).toMatch(msg);
    }
    expect(readdirSync(base)).toEqual(['a-file']);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('refuses to replace a folder it did not write (a wrong --out cannot wipe docs/)', () => {
    const base = tempDir('migstate-docs-other-');
    const other = join(base, 'docs');
    mkdirSync(other);
    writeFileSync(join(other, 'findings.md'), 'precious\n');
    const r = run(['docs', '--out', other]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refusing to replace .*not written by migstate docs/);
    expect(readdirSync(base)).toEqual(['docs']);
    expect(readdirSync(other)).toEqual(['findings.md']);
    expect(statSync(join(other, 'findings.md')).size).toBe(9);
  });
});

describe('migstate docs over previous documents it cannot remove', () => {
  it('exits 2 naming the folder, before it writes anything (no half-swapped output, no folder left beside it)', () => {
    const { MARKER, INDEX } = { MARKER: '<!-- generated by `npx migstate docs --out docs/generated`: do not edit, regenerate -->', INDEX: 'README.md' };
    const base = mkdtempSync(join(tmpdir(), 'migstate-docs-ro-'));
    const out = join(base, 'gen');
    const locked = join(out, 'charts');
    mkdirSync(locked, { recursive: true });
    writeFileSync(join(out, INDEX), MARKER + '\nold\n');
    writeFileSync(join(locked, 'x.md'), 'old chart\n');
    // As root, a read-only folder can still be changed: the command runs as nobody there.
    const root = process.getuid?.() === 0;
    if (root) spawnSync('chown', ['-R', 'nobody', base]);
    spawnSync('chmod', ['0555', locked]);
    try {
      const cmd = [process.execPath, join(ROOT, 'cli', 'bin.js'), 'docs', '--out', out];
      const r = root ? spawnSync('runuser', ['-u', 'nobody', '--', ...cmd], { encoding: 'utf8', timeout: 120_000 }) : spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`cannot replace the previous documents: ${locked} cannot be changed`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readdirSync(base)).toEqual(['gen']);
      expect(readFileSync(join(out, INDEX), 'utf8')).toBe(MARKER + '\nold\n');
    } finally {
      spawnSync('chmod', ['-R', 'u+w', base]);
      rmSync(base, { recursive: true, force: true });
    }
  });
});
