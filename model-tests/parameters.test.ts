// Every migration parameter of a profile against the real binary of its version: one QEMU per
// binary, and for each parameter (generated from the profile's ParamSpecs and migrate_params_check
// tests, so a new parameter is tested as soon as it is modelled) its default, the boundary values
// of its type and of its range tests, the values just outside them on both ends, a negative
// integer (the unsigned reading), values of the wrong type, the reply to query-migrate-parameters
// after every change the binary takes, the cross-parameter and capability tests, and the order in
// which the errors answer. The model answers through the project's own rule engine (locate, then
// decide with the state each accepted command leaves), as `permitted` and the observed replay do.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decide, getProfile, locate, type ParamCheck, type ParamSpec, type ParamValue, type Profile, type SideState } from '../machines/index.ts';
import { Vm, disposeAll, livePids, makeTempDir, removeTempDir } from '../qemu/vm.ts';

const ROOT = join(import.meta.dirname, '..');
const QEMU10 = join(ROOT, '.cache', 'qemu-10.0', 'bin', 'qemu-system-x86_64');

type Args = Record<string, unknown>;
/** One command of the run: set parameters (or capabilities), then, if the binary took it, the query. */
interface Step {
  label: string;
  command: 'migrate-set-parameters' | 'migrate-set-capabilities';
  args: Args;
}

const WIDTH: Partial<Record<ParamSpec['type'], number>> = { uint8: 255, uint32: 0xffffffff };

/** A value of another type than the parameter's (the visitor's type error). */
function wrongTypes(spec: ParamSpec): unknown[] {
  switch (spec.type) {
    case 'bool':
      return [1, 'true', null];
    case 'enum':
      return [1, null, 'no-such-value'];
    case 'StrOrNull':
      return [1, true, []];
    case 'str-list':
      return ['x', [1]];
    case 'BitmapMigrationNodeAlias-list':
      return ['x', [1], [{}], [{ 'node-name': 'n', alias: 'a', bitmaps: [{ name: 'b' }] }], [{ 'node-name': 'n', alias: 'a', bitmaps: [], extra: 1 }]];
    default:
      // A fraction, a string, a boolean, a number above uint64.
      return [1.5, '1', true, 2 ** 64 * 2];
  }
}

/** Values the type takes, at and next to each bound the type and the range tests have. */
function valuesOf(spec: ParamSpec, checks: readonly ParamCheck[], stored: (name: string) => ParamValue): unknown[] {
  const out: unknown[] = [spec.default];
  switch (spec.type) {
    case 'bool':
      return [...out, !spec.default];
    case 'enum':
      return [...out, ...(spec.values ?? [])];
    case 'StrOrNull':
      return [...out, 'x', null];
    case 'str-list':
      return [...out, ['/usr/bin/true', '-x']];
    case 'BitmapMigrationNodeAlias-list':
      return [
        ...out,
        [{ 'node-name': 'n', alias: 'a', bitmaps: [{ name: 'b', alias: 'x', transform: { persistent: true } }] }],
        [{ 'node-name': 'n', alias: '1a', bitmaps: [] }],
        [{ 'node-name': 'n', alias: 'a', bitmaps: [] }, { 'node-name': 'n', alias: 'b', bitmaps: [] }],
        [{ 'node-name': 'n', alias: 'a', bitmaps: [] }, { 'node-name': 'm', alias: 'a', bitmaps: [] }],
        [{ 'node-name': 'n', alias: 'a', bitmaps: [{ name: 'b', alias: 'x' }, { name: 'c', alias: 'x' }] }],
        [{ 'node-name': 'n'.repeat(32), alias: 'a', bitmaps: [] }],
      ];
  }
  const bounds = new Set<number>([0, 1, -1, 2 ** 53]);
  const w = WIDTH[spec.type];
  if (w !== undefined) [w, w + 1].forEach((x) => bounds.add(x));
  for (const c of checks) {
    if (c.kind === 'range' && c.param === spec.name) {
      const min = typeof c.min === 'number' ? c.min : c.min ? (stored(c.min.param) as number) : undefined;
      if (min !== undefined) [min - 1, min].forEach((x) => bounds.add(x));
      if (c.max !== undefined) [c.max, c.max + 1].forEach((x) => bounds.add(x));
    }
    if (c.kind === 'power-of-two' && c.param === spec.name) {
      [c.min - 1, c.min, c.min + 1, c.min * 2].forEach((x) => bounds.add(x));
      if (c.max !== undefined) [c.max, c.max * 2].forEach((x) => bounds.add(x));
    }
  }
  return [...out, ...[...bounds].filter((x) => x !== spec.default).sort((a, b) => a - b)];
}

/** Another value for a parameter a capability test reads (it then fails). */
function otherValue(spec: ParamSpec): unknown {
  return spec.type === 'enum' ? spec.values!.find((v) => v !== spec.default) : 'x';
}

type Outcome = 'accepted' | { class: string; desc: string };

class Judge {
  readonly mismatches: string[] = [];
  commands = 0;
  private state: SideState;
  constructor(
    private readonly p: Profile,
    private readonly vm: Vm,
  ) {
    const loc = locate(p, { side: 'source', status: 'none', runstate: 'running' });
    if ('invalid' in loc) throw new Error(loc.invalid);
    this.state = loc.found.context;
  }
  stored(name: string): ParamValue {
    const spec = this.p.parameters.find((x) => x.name === name)!;
    return name in this.state.params ? this.state.params[name] : spec.default;
  }
  /** Sends the command to both; compares the answers, and the query after a change the binary took. */
  async step(s: Step): Promise<Outcome> {
    const d = decide(this.p, this.state, s.command, s.args);
    const model: Outcome = d.allowed ? 'accepted' : d.error;
    const r = await this.vm.client.execute(s.command, s.args);
    this.commands++;
    const real: Outcome = r.ok ? 'accepted' : { class: r.error.class, desc: r.error.desc };
    if (JSON.stringify(model) !== JSON.stringify(real))
      this.mismatches.push(`${s.label}: ${s.command} ${JSON.stringify(s.args).slice(0, 200)}: model ${JSON.stringify(model)}, QEMU ${JSON.stringify(real)}`);
    if (d.allowed) this.state = d.next;
    if (real === 'accepted' && s.command === 'migrate-set-parameters') await this.query(s.label);
    return real;
  }
  async query(label: string): Promise<void> {
    const d = decide(this.p, this.state, 'query-migrate-parameters', {});
    const r = await this.vm.client.execute('query-migrate-parameters');
    this.commands++;
    const canon = (x: unknown) => JSON.stringify(x, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
    const model = d.allowed ? canon(d.reply) : 'refused';
    const real = r.ok ? canon(r.return) : 'refused';
    if (model !== real) this.mismatches.push(`${label}: query-migrate-parameters: model ${model}, QEMU ${real}`);
  }
}

async function judgeAll(p: Profile, vm: Vm): Promise<Judge> {
  const j = new Judge(p, vm);
  await j.query('defaults');
  const set = (label: string, args: Args) => j.step({ label, command: 'migrate-set-parameters', args });
  // Each parameter: every value, then back to its default (block-bitmap-mapping, once set, stays reported).
  for (const spec of p.parameters) {
    for (const v of [...valuesOf(spec, p.paramChecks, (n) => j.stored(n)), ...wrongTypes(spec)]) {
      const took = (await set(spec.name, { [spec.name]: v })) === 'accepted';
      if (took && JSON.stringify(j.stored(spec.name)) !== JSON.stringify(spec.default)) await set(`${spec.name} reset`, { [spec.name]: spec.default });
    }
  }
  // A test that reads another parameter: move that one, then test again at the bounds it gives.
  for (const c of p.paramChecks) {
    if (c.kind !== 'range' || typeof c.min !== 'object') continue;
    const other = c.min.param;
    await set(`${c.id} vs ${other}`, { [c.param]: 50 });
    await set(`${c.id} vs ${other}`, { [other]: 60 });
    await set(`${c.id} vs ${other}`, { [other]: 40, [c.param]: 45 });
    await set(`${c.id} vs ${other}`, { [c.param]: 39 });
    const spec = (n: string) => p.parameters.find((x) => x.name === n)!;
    await set(`${c.id} vs ${other} reset`, { [other]: spec(other).default, [c.param]: spec(c.param).default });
  }
  // Capability tests: with the capabilities on, each parameter they read moved away (then another
  // command, which shows whether the test reads the stored values), then everything back.
  for (const c of p.paramChecks) {
    if (c.kind !== 'conflict') continue;
    const caps = (state: boolean, names: readonly string[]) => ({ capabilities: names.map((capability) => ({ capability, state })) });
    let on = [...c.caps];
    if ((await j.step({ label: c.id, command: 'migrate-set-capabilities', args: caps(true, on) })) !== 'accepted') {
      on = ['multifd', ...c.caps];
      if ((await j.step({ label: c.id, command: 'migrate-set-capabilities', args: caps(true, on) })) !== 'accepted') continue;
    }
    for (const k of Object.keys(c.differs)) {
      const spec = p.parameters.find((x) => x.name === k)!;
      await set(`${c.id}: ${k}`, { [k]: otherValue(spec) });
      await set(`${c.id}: after ${k}`, { 'downtime-limit': 400 });
      await set(`${c.id}: ${k} reset`, { [k]: spec.default, 'downtime-limit': 300 });
    }
    await j.step({ label: `${c.id} off`, command: 'migrate-set-capabilities', args: caps(false, [...on].reverse()) });
  }
  // Which error answers first: type errors in the schema's order (whatever the arguments' order),
  // before an unknown member; an unknown member before migrate_params_check; its tests in its order.
  const ints = p.parameters.filter((x) => x.type === 'uint8' || x.type === 'size' || x.type === 'uint64');
  const [first, last] = [ints[0], ints[ints.length - 1]];
  await set('order: types', { [last.name]: 'x', [first.name]: 'y' });
  await set('order: unknown', { 'no-such-parameter': 1 });
  await set('order: type before unknown', { 'no-such-parameter': 1, [last.name]: 'x' });
  const ranges = p.paramChecks.filter((c): c is Extract<ParamCheck, { kind: 'range' }> => c.kind === 'range' && c.max !== undefined);
  const [r1, r2] = [ranges[0], ranges[ranges.length - 1]];
  await set('order: unknown before range', { [r1.param]: r1.max! + 1, 'no-such-parameter': 1 });
  await set('order: checks', { [r2.param]: r2.max! + 1, [r1.param]: r1.max! + 1 });
  await set('empty', {});
  return j;
}

const binaries: { profile: string; qemu: string; missing?: string }[] = [
  { profile: 'qemu-7.2', qemu: 'qemu-system-x86_64' },
  {
    profile: 'qemu-10.0',
    qemu: QEMU10,
    missing: existsSync(QEMU10) ? undefined : `${QEMU10} is missing: run scripts/fetch-qemu-10.0.sh (bash .ci/run does)`,
  },
];

afterAll(async () => {
  await disposeAll();
  expect(livePids()).toEqual([]);
});

describe.each(binaries)('migration parameters: $profile against its binary', ({ profile, qemu, missing }) => {
  const p = getProfile(profile);
  it.skipIf(!!missing)(`every parameter of ${profile}: types, ranges, defaults, the query, the order of the errors${missing ? ` (skipped: ${missing})` : ''}`, { timeout: 120_000 }, async () => {
    const dir = makeTempDir();
    const vm = await Vm.launch({ name: 'source', qemu, dir });
    try {
      const j = await judgeAll(p, vm);
      console.log(`${profile}: ${p.parameters.length} parameters, ${p.paramChecks.length} migrate_params_check tests, ${j.commands} commands compared`);
      expect(j.mismatches).toEqual([]);
      expect(j.commands).toBeGreaterThan(200);
    } finally {
      await vm.dispose();
      removeTempDir(dir);
    }
  });
});
