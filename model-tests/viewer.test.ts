// The viewer in a real browser: headless Chromium (the system's, never downloaded) against a Vite
// server started here on 127.0.0.1. A user's scenarios: a precopy with pause-before-switchover
// clicked through, QEMU's exact errors on blocked commands, the matrix diff, trace replay (good,
// departing, malformed, 100 MB, three processes with names of their own), exports. No request may leave this machine. Screenshots go to
// test-artifacts/ (gitignored).
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { PROFILES, chartEdges, sideMachine, sourceStatusChart, destinationStatusChart, runStateChart } from '../machines/index.ts';
import { DEFAULT_REGIONS, sideDiagram } from '../diagrams/charts.ts';
import { decodeSteps, encodeSteps } from '../viewer/src/url.ts';
import { DEFAULT_CONFIG, Simulation, toTrace, type SimStep } from '../viewer/src/sim.ts';
import { defaultSlots, invalidLine, isNote, Replayer, type TraceLine } from '../viewer/src/replay.ts';
import type { PairEvent } from '../machines/index.ts';
import { hasBrowser, startViewer, watchRequests } from './browser.ts';

const COLO_CAPS = { capabilities: ['x-colo', 'events'].map((capability) => ({ capability, state: true })) };
const URI = { uri: 'tcp:127.0.0.1:4444' };
/** qemu-colo.rst's primary failover after one checkpoint cycle (qemu-7.2), as pair events. */
function coloFailoverSteps(): PairEvent[] {
  const q = (vm: 'source' | 'destination', command: string, args?: Record<string, unknown>): PairEvent => (args ? { type: 'qmp', vm, command, arguments: args } : { type: 'qmp', vm, command });
  const y = (name: string): PairEvent => ({ type: 'sync', name });
  return [
    q('destination', 'migrate-set-capabilities', COLO_CAPS),
    q('destination', 'migrate-incoming', URI),
    q('source', 'migrate-set-capabilities', COLO_CAPS),
    q('source', 'migrate', URI),
    ...['connect', 'converge', 'complete', 'checkpoint-ready', 'checkpoint-request', 'checkpoint-reply', 'vmstate-send', 'vmstate-size', 'vmstate-received', 'vmstate-loaded'].map(y),
    { type: 'fault', fault: 'crash-destination' },
    q('source', 'x-colo-lost-heartbeat'),
    y('failover-bh:source'),
    y('failover-done:source'),
  ];
}

const ROOT = resolve(import.meta.dirname, '..');
const ART = join(ROOT, 'test-artifacts');

// ---- pure parts (no browser) ---------------------------------------------------------------------

describe('viewer data', () => {
  it('draws exactly the model’s chart edges (chartEdges) for every profile, side and region', () => {
    for (const p of PROFILES)
      for (const side of ['source', 'destination'] as const) {
        const specs = [side === 'source' ? sourceStatusChart(p) : destinationStatusChart(p), runStateChart(p, side, side === 'source' ? 'running' : 'inmigrate')];
        const d = sideDiagram(p, side, DEFAULT_REGIONS);
        const drawn = new Set(d.edges.flatMap((e) => e.transitions.map((t) => `${e.source}|${e.target}|${t.label}|${t.meta.rule ?? t.meta.transition}`)));
        const model = new Set(
          specs.flatMap((s) => chartEdges(p, s).map((e) => `${s.region}.${e.from}|${s.region}.${e.to}|${e.meta.label}|${e.meta.rule ?? e.meta.transition}`)),
        );
        expect([...drawn].sort(), `${p.name} ${side}`).toEqual([...model].sort());
        expect(sideMachine(p, side)).toBeTruthy();
      }
  });

  it('round-trips pair steps through the URL encoding; old links map to the pair’s steps', () => {
    const steps: SimStep[] = [
      { event: { type: 'qmp', vm: 'source', command: 'migrate', arguments: { uri: 'tcp:127.0.0.1:4444' } } },
      { event: { type: 'qmp', vm: 'destination', command: 'query-status' } },
      { event: { type: 'sync', name: 'connect' } },
      { event: { type: 'fault', fault: 'crash-destination' } },
      { event: { type: 'restart-destination', incoming: 'uri' } },
      { event: { type: 'restart-destination' } },
    ];
    expect(decodeSteps(encodeSteps(steps))).toEqual(steps);
    // A link from before the pair: each side's half of a synchronised step becomes that step, once.
    const old = decodeSteps(JSON.stringify([['s', 'migrate'], ['s', '!setup-done'], ['d', '!source-connected'], ['s', '!converged'], ['s', '!switchover-done'], ['d', '!load-done'], ['s', '!cleanup-done']]));
    expect(old.map((x) => (x.event.type === 'sync' ? x.event.name : x.event.type))).toEqual(['qmp', 'connect', 'converge', 'complete', 'cleanup']);
    expect(() => decodeSteps('[["x", "y"]]')).toThrow(/not a step/);
  });

  it('the exported trace of a COLO primary failover (with a crash and a restarted destination) replays without departure', () => {
    const sim = new Simulation({ ...DEFAULT_CONFIG, profile: 'qemu-7.2' });
    for (const s of coloFailoverSteps()) sim.send(s);
    expect(sim.state.source?.context.status).toBe('completed');
    expect(sim.state.destination).toBeNull();
    sim.send({ type: 'qmp', vm: 'destination', command: 'query-status' }); // exited: not in the trace
    sim.send({ type: 'restart-destination' });
    sim.send({ type: 'qmp', vm: 'destination', command: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:4444' } });
    const trace = toTrace(sim);
    const r = new Replayer(PROFILES.find((p) => p.name === 'qemu-7.2')!);
    const departures = trace
      .trim()
      .split('\n')
      .map((l, i) => [i + 1, r.feed(JSON.parse(l)).departure] as const)
      .filter(([, d]) => d);
    expect(departures).toEqual([]);
    expect(trace).toContain('"status":"colo"');
    expect(trace.match(/"QMP"/g)?.length).toBe(3);
  });
});

describe('viewer replay of traces with more processes than the pair', () => {
  const p72 = () => PROFILES.find((p) => p.name === 'qemu-7.2')!;
  const fixture = join(ROOT, 'model-tests', 'fixtures', 'traces', 'qemu-7.2', 'three-processes-a-b-c.jsonl');

  it('accepts any process name of 1 to 64 printable characters; note lines are no steps', () => {
    const msg = { execute: 'query-status' };
    for (const vm of ['source', 'destination', 'A', 'src-host-1', 'host 2 (B)', 'x'.repeat(64)]) expect(invalidLine({ t: 0, vm, dir: 'send', msg }), vm).toBeNull();
    for (const vm of ['', 'x'.repeat(65), 'a\nb', 3, null, undefined]) expect(invalidLine({ t: 0, vm, dir: 'send', msg }), String(vm)).toMatch(/"vm" must be a process name of 1 to 64 printable characters/);
    expect(isNote({ t: 1, note: { launch: 'C' } })).toBe(true);
    expect(isNote({ t: 1, vm: 'C', dir: 'send', msg, note: {} })).toBe(false);
  });

  it('fills the two chart slots with source and destination where the trace has them, else with the first processes', () => {
    expect(defaultSlots([])).toEqual(['source', 'destination']);
    expect(defaultSlots(['source'])).toEqual(['source', 'destination']);
    expect(defaultSlots(['destination', 'source', 'C'])).toEqual(['source', 'destination']);
    expect(defaultSlots(['B', 'A', 'C'])).toEqual(['B', 'A']);
    expect(defaultSlots(['C', 'destination'])).toEqual(['C', 'destination']);
    expect(defaultSlots(['source', 'C'])).toEqual(['source', 'C']);
    expect(defaultSlots(['A'])).toEqual(['A', 'destination']);
  });

  it('replays the recorded A→B→C under either naming: each process ends in its own state, with the chart of its role', () => {
    const text = readFileSync(fixture, 'utf8');
    for (const [names, rename] of [
      [['destination', 'source', 'C'], (t: string) => t],
      [['B', 'A', 'C'], (t: string) => t.replaceAll('"vm":"source"', '"vm":"A"').replaceAll('"vm":"destination"', '"vm":"B"')],
    ] as const) {
      const r = new Replayer(p72());
      const steps = rename(text)
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l))
        .filter((o) => !isNote(o)) as TraceLine[];
      const departures = steps.map((l) => r.feed(l).departure).filter((d) => d);
      expect(departures).toEqual([]);
      expect(r.checker.processes()).toEqual(names);
      const [dst, src, c] = names.map((vm) => r.describeSet(r.checker.setIdOf(vm), vm));
      expect([src.role, src.roles, src.labels, src.sure.filter((x) => /^(status|run)\./.test(x)).sort()]).toEqual(['source', ['source'], ['completed / postmigrate'], ['run.postmigrate', 'status.completed']]);
      // The destination that migrated on (F3) is a source now.
      expect([dst.role, dst.roles, dst.labels]).toEqual(['source', ['source'], ['completed / postmigrate']]);
      expect([c.role, c.roles, c.labels, c.sure.filter((x) => /^(status|run)\./.test(x)).sort()]).toEqual(['destination', ['destination'], ['completed / running'], ['run.running', 'status.completed']]);
    }
    // Right after its greeting, a process with a name of its own may be either.
    const r = new Replayer(p72());
    const greet = JSON.parse(text.split('\n').find((l) => l.includes('"vm":"C"') && l.includes('"QMP"'))!);
    const v = r.describeSet(r.feed(greet).set, 'C');
    expect(v.roles).toEqual(['source', 'destination']);
    expect(v.sure).toEqual([]);
    expect(v.labels).toEqual(expect.arrayContaining(['none / inmigrate (as a destination)', 'none / running (as a source)']));
  });
});

// ---- in the browser ------------------------------------------------------------------------------

describe.skipIf(!hasBrowser)('viewer in headless Chromium', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let page: Page;
  let base = '';
  let external: string[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    ({ server, browser, base } = await startViewer());
    const ctx = await browser.newContext({ viewport: { width: 1800, height: 1250 }, acceptDownloads: true });
    page = await ctx.newPage();
    external = await watchRequests(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const side = (s: 'source' | 'destination') => page.locator(`section[data-side=${s}]`);
  const cmd = (s: 'source' | 'destination', label: string) => side(s).getByRole('button', { name: label, exact: true });
  const pair = () => page.locator('section[data-side=pair]');
  const step = (name: string) => pair().getByRole('button', { name, exact: true });
  const channel = () => pair().locator('svg .state.active').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort());
  const active = (s: 'source' | 'destination') => side(s).locator('svg .state.active').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort());
  const why = async (s: 'source' | 'destination', label: string) => {
    const id = await cmd(s, label).getAttribute('aria-describedby');
    return page.locator(`#${id}`).innerText();
  };
  const open = async (hash = '') => {
    await page.goto('about:blank');
    await page.goto(base + hash);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  };

  it('precopy with pause-before-switchover, clicked through; blocked commands show QEMU’s error', async () => {
    await open();
    expect(await active('source')).toEqual(['run.running', 'status.none']);
    expect(await channel()).toEqual(['closed']);
    // Synchronised steps that cannot happen are greyed, with why (on hover).
    expect(await step('connect').isDisabled()).toBe(true);
    await step('connect').locator('..').hover();
    await expect.poll(() => step('connect').getAttribute('title')).toMatch(/^cannot happen now: the source must be in setup/);
    // migrate-set-capabilities with pause-before-switchover (arguments edited in the panel).
    const args = side('source').getByRole('textbox', { name: 'arguments of migrate-set-capabilities (JSON)' });
    await args.fill('{"capabilities":[{"capability":"pause-before-switchover","state":true}]}');
    await cmd('source', 'migrate-set-capabilities').click();
    await expect.poll(() => side('source').locator('.state-line').innerText()).toContain('pause-before-switchover');
    await cmd('source', 'migrate').click();
    expect(await active('source')).toEqual(['run.running', 'status.setup']);
    // Nobody listens yet: the connection can only be refused.
    expect(await step('connect').isDisabled()).toBe(true);
    expect(await step('connect-refused').isEnabled()).toBe(true);
    // Destination: migrate-incoming twice.
    await cmd('destination', 'migrate-incoming').click();
    expect(await why('destination', 'migrate-incoming')).toContain('The incoming migration has already been started');
    await cmd('destination', 'migrate-incoming').click();
    await expect.poll(() => side('destination').locator('output.reply').innerText()).toContain('The incoming migration has already been started');
    // connect moves both processes and the channel at once.
    await step('connect').click();
    expect(await active('source')).toEqual(['run.running', 'status.active']);
    expect(await active('destination')).toEqual(['run.inmigrate', 'status.active']);
    expect(await channel()).toEqual(['connected']);
    await step('converge').click();
    // converge stops the VM (finish-migrate) while the status is still active; switchover-start
    // (migration_maybe_pause) then enters pre-switchover.
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.active']);
    await step('switchover-start').click();
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.pre-switchover']);
    // The edges just taken are marked.
    expect(await side('source').locator('svg g.edge.taken').count()).toBeGreaterThan(0);
    // cont in finish-migrate: blocked, with QEMU's words and function.
    expect(await cmd('source', 'cont').getAttribute('class')).toContain('send');
    const contWhy = await why('source', 'cont');
    expect(contWhy).toContain('GenericError: Migration is not finalized yet');
    expect(contWhy).toContain('qmp_cont');
    await cmd('source', 'cont').click(); // sent anyway: the error reply, no step
    await expect.poll(() => side('source').locator('output.reply').innerText()).toContain('Migration is not finalized yet');
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.pre-switchover']);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ART, 'viewer-pre-switchover.png') });
    await cmd('source', 'migrate-continue').click();
    await expect.poll(() => side('source').locator('output.reply').innerText()).toContain('migrate-continue → {"return":{}}');
    // migrate-continue only posts pause_sem: the migration thread leaves pre-switchover afterwards.
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.pre-switchover']);
    await step('pause-released').click();
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.device']);
    await step('complete').click();
    // completed shows before the VM leaves finish-migrate (migration_iteration_finish at cleanup);
    // the destination runs the VM, and both ends closed the channel.
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.completed']);
    expect(await active('destination')).toEqual(['run.running', 'status.completed']);
    expect(await channel()).toEqual(['closed']);
    await step('cleanup').click();
    expect(await active('source')).toEqual(['run.postmigrate', 'status.completed']);
    // Steps that cannot happen are disabled.
    expect(await step('connect').isDisabled()).toBe(true);
    expect(await step('complete').isDisabled()).toBe(true);
    await side('destination').scrollIntoViewIfNeeded();
    await side('destination').screenshot({ path: join(ART, 'viewer-destination-completed.png') });
    // Undo takes back the last step; the URL holds the steps (deep link).
    await page.getByRole('button', { name: 'Undo' }).click();
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.completed']);
    await page.waitForFunction(() => !document.body.dataset.urlPending);
    const url = page.url();
    expect(url).toContain('steps=');
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForSelector('body[data-ready=true]');
    expect(await active('source')).toEqual(['run.finish-migrate', 'status.completed']);
    expect(await active('destination')).toEqual(['run.running', 'status.completed']);
    expect(await step('cleanup').isEnabled()).toBe(true);
  }, 120_000);

  it('clicking a transition shows its QEMU reference', async () => {
    await open();
    // migrate from none to setup (7.2 also draws none -> failed for a URI of an unknown scheme).
    // migrate to setup is drawn from several states as one bundle: its label names them all, none first.
    await side('source').locator('svg text.tl[aria-label^="transition migrate: none"][aria-label$=" to setup"]').first().click();
    const info = await side('source').locator('.chart .info').innerText();
    expect(info).toMatch(/QEMU: migration\/migration\.c: qmp_migrate/);
    expect(info).toContain('rule: migrate.start');
  });

  it('permission matrix: a table, and the diff qemu-7.2 → proposed marks changed cells', async () => {
    await open('#view=matrix');
    await page.waitForSelector('table.matrix tbody tr', { timeout: 60_000 });
    expect(await page.locator('table.matrix th.col').count()).toBeGreaterThan(10);
    await page.locator('.matrix-view').getByRole('combobox', { name: 'profile', exact: true }).selectOption('qemu-7.2');
    await page.getByRole('combobox', { name: 'side' }).selectOption('destination');
    await page.locator('.matrix-view .controls input[type=checkbox]').first().check();
    await page.getByRole('combobox', { name: 'compare with profile' }).selectOption('proposed');
    await page.waitForSelector('table.matrix.diff td.changed', { timeout: 60_000 });
    const changed = await page.locator('table.matrix.diff td.changed').count();
    expect(changed).toBeGreaterThan(0);
    expect(await page.locator('.matrix-view .status').innerText()).toMatch(/qemu-7\.2 → proposed, destination: \d+ cells? change/);
    await page.locator('table.matrix.diff td.changed button').first().click();
    expect(await page.locator('.matrix-detail').innerText()).toContain('proposed');
    await page.screenshot({ path: join(ART, 'viewer-matrix-diff.png') });
  }, 120_000);

  it('exports the chart as SVG (parses, holds the states) and PNG, and the simulation as a trace', async () => {
    await open('#profile=qemu-7.2&caps=pause-before-switchover&steps=' + encodeURIComponent(JSON.stringify([['d', 'migrate-incoming', { uri: 'tcp:127.0.0.1:4444' }], ['s', 'migrate', { uri: 'tcp:127.0.0.1:4444' }], ['sync', 'connect']])));
    const [svgDl] = await Promise.all([page.waitForEvent('download'), side('source').getByRole('button', { name: 'Export the chart as SVG (source)' }).click()]);
    const svgPath = join(ART, 'export-source.svg');
    await svgDl.saveAs(svgPath);
    const svg = readFileSync(svgPath, 'utf8');
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, root: doc.documentElement.nodeName, states: [...doc.querySelectorAll('[data-node]')].map((e) => e.getAttribute('data-node')), active: [...doc.querySelectorAll('.state.active')].map((e) => e.getAttribute('data-node')) };
    }, svg);
    expect(parsed.error).toBeNull();
    expect(parsed.root).toBe('svg');
    expect(parsed.states).toEqual(expect.arrayContaining(['status.none', 'status.active', 'status.pre-switchover', 'status.completed', 'run.finish-migrate']));
    expect(parsed.active.sort()).toEqual(['run.running', 'status.active']);
    const [pngDl] = await Promise.all([page.waitForEvent('download'), side('source').getByRole('button', { name: 'Export the chart as PNG (source)' }).click()]);
    const pngPath = join(ART, 'export-source.png');
    await pngDl.saveAs(pngPath);
    expect(readFileSync(pngPath).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const [trDl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export trace' }).click()]);
    const trPath = join(ART, 'export-simulation.jsonl');
    await trDl.saveAs(trPath);
    const lines = readFileSync(trPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ vm: 'source', dir: 'recv', msg: { QMP: { version: { qemu: { major: 7, minor: 2 } } } } });
    expect(lines.find((l) => l.dir === 'send' && l.msg.execute !== 'qmp_capabilities')).toMatchObject({ vm: 'source', msg: { execute: 'migrate-set-capabilities' } });
    expect(lines.some((l) => l.msg.execute === 'migrate')).toBe(true);
  }, 120_000);

  it('replays a trace step by step, the charts following; departures are flagged', async () => {
    // A trace of a precopy, with one departure: QEMU accepting a second migrate-incoming.
    const t = (i: number) => i / 10;
    const L = (i: number, vm: string, dir: string, msg: object) => JSON.stringify({ t: t(i), vm, dir, msg });
    const hello = (vm: string, id: string) => [
      L(0, vm, 'recv', { QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: '' }, capabilities: ['oob'] } }),
      L(0, vm, 'send', { execute: 'qmp_capabilities', id }),
      L(0, vm, 'recv', { return: {}, id }),
    ];
    const trace = [
      ...hello('source', 'h1'),
      ...hello('destination', 'h2'),
      L(0, 'destination', 'send', { execute: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:4444' }, id: 1 }),
      // QEMU 7.2 sends MIGRATION setup as it starts listening, whatever the events capability says.
      L(1, 'destination', 'recv', { event: 'MIGRATION', data: { status: 'setup' } }),
      L(1, 'destination', 'recv', { return: {}, id: 1 }),
      L(2, 'source', 'send', { execute: 'migrate', arguments: { uri: 'tcp:127.0.0.1:4444' }, id: 2 }),
      L(3, 'source', 'recv', { return: {}, id: 2 }),
      L(4, 'source', 'send', { execute: 'query-migrate', id: 3 }),
      L(5, 'source', 'recv', { return: { status: 'active' }, id: 3 }),
      L(6, 'destination', 'send', { execute: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:4444' }, id: 4 }),
      L(7, 'destination', 'recv', { return: {}, id: 4 }),
      L(8, 'source', 'send', { execute: 'query-migrate', id: 5 }),
      L(9, 'source', 'recv', { return: { status: 'completed' }, id: 5 }),
    ].join('\n');
    const path = join(ART, 'replay-sample.jsonl');
    writeFileSync(path, trace + '\n');
    await open('#view=replay');
    await page.getByLabel('open a trace file').setInputFiles(path);
    await page.waitForSelector('.replay-view[data-loaded=true]', { timeout: 60_000 });
    expect(await page.locator('.replay-view .status').innerText()).toMatch(/17 steps replayed against qemu-7\.2/);
    const deps = await page.locator('ol.departures li').allInnerTexts();
    expect(deps.length).toBeGreaterThanOrEqual(1);
    expect(deps[0]).toMatch(/^step 15 \(line 15\): destination accepted migrate-incoming, .*\[unexpected-accept\]$/);
    const replaySrc = page.locator('.replay-charts .chart').first();
    const replayActive = () => replaySrc.locator('svg .state.active, svg .state.possible').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
    // Step through: once query-migrate answered active the source is in active.
    for (let i = 0; i < 12; i++) await page.getByRole('button', { name: 'next ⟩' }).click();
    await expect.poll(() => page.locator('.replay-view').getAttribute('data-step')).toBe('12');
    await expect.poll(replayActive).toContain('status.active');
    await page.getByRole('button', { name: 'departure ⟩⟩' }).click();
    await expect.poll(() => page.locator('.replay-view').getAttribute('data-step')).toBe('14');
    expect(await page.locator('.step-detail .dep').innerText()).toMatch(/Departure/);
    await page.locator('.stepper input[type=range]').fill('16');
    await expect.poll(() => page.locator('.replay-view').getAttribute('data-step')).toBe('16');
    await expect.poll(replayActive).toContain('status.completed');
    await page.screenshot({ path: join(ART, 'viewer-replay.png') });
  }, 120_000);

  it('replays the simulation it exported without departure', async () => {
    await open('#view=replay&profile=qemu-7.2&caps=events&steps=' + encodeURIComponent(JSON.stringify([['d', 'migrate-incoming', { uri: 'tcp:127.0.0.1:4444' }], ['s', 'migrate', { uri: 'tcp:127.0.0.1:4444' }], ['sync', 'connect'], ['sync', 'converge'], ['sync', 'complete'], ['sync', 'cleanup'], ['s', 'cont']])));
    await page.getByRole('button', { name: 'replay the current simulation' }).click();
    await page.waitForSelector('.replay-view[data-loaded=true]', { timeout: 60_000 });
    expect(await page.locator('.replay-view .status').innerText()).toContain('no departure from the model');
  }, 120_000);

  it('a malformed trace gives a readable error', async () => {
    const path = join(ART, 'replay-malformed.jsonl');
    writeFileSync(path, '{"t":0,"vm":"source","dir":"send","msg":{"execute":"query-status","id":1}}\nthis is not JSON\n');
    await open('#view=replay');
    await page.getByLabel('open a trace file').setInputFiles(path);
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.innerText(), { timeout: 30_000 }).toMatch(/Cannot replay replay-malformed\.jsonl: line 2: not valid JSON/);
    await page.screenshot({ path: join(ART, 'viewer-replay-malformed.png') });
  }, 60_000);

  it('a 100 MB trace does not freeze the page', async () => {
    const path = join(tmpdir(), 'migstate-big-trace-v2.jsonl');
    if (!existsSync(path) || readFileSync(path, { encoding: null }).length < 100e6) {
      const out = createWriteStream(path);
      out.write('{"t":0,"vm":"source","dir":"recv","msg":{"QMP":{"version":{"qemu":{"major":7,"minor":2,"micro":0},"package":""},"capabilities":["oob"]}}}\n');
      out.write('{"t":0,"vm":"source","dir":"send","msg":{"execute":"qmp_capabilities","id":0}}\n{"t":0,"vm":"source","dir":"recv","msg":{"return":{},"id":0}}\n');
      let size = 0;
      let id = 0;
      const pad = 'x'.repeat(40);
      while (size < 100e6) {
        let chunk = '';
        for (let i = 0; i < 2000; i++) {
          id++;
          chunk += `{"t":${id},"vm":"source","dir":"send","msg":{"execute":"query-status","id":${id},"arguments":{}}}\n{"t":${id},"vm":"source","dir":"recv","msg":{"return":{"status":"running","running":true,"singlestep":false,"pad":"${pad}"},"id":${id}}}\n`;
        }
        size += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((r) => out.end(() => r()));
    }
    await open('#view=replay');
    // Watch the main thread: the longest gap between animation frames while the file is read.
    await page.evaluate(() => {
      const w = window as unknown as { __gaps: number[]; __stop: boolean };
      w.__gaps = [];
      w.__stop = false;
      let last = performance.now();
      const tick = (now: number) => {
        w.__gaps.push(now - last);
        last = now;
        if (!w.__stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const t0 = Date.now();
    await page.getByLabel('open a trace file').setInputFiles(path);
    await expect.poll(() => page.locator('.replay-view .status').innerText(), { timeout: 60_000 }).toMatch(/Reading… [1-9]/);
    // Stepping works while it reads. The step is served by the replay worker between two of its
    // reading slices (it yields every 100 ms of its own time, longer in wall time when the CI runs
    // QEMU pairs beside this test): that wait is not the page freezing, which the frame gaps and
    // the evaluate round trip below measure.
    const tStep = Date.now();
    await page.getByRole('button', { name: 'next ⟩' }).click();
    await expect.poll(() => page.locator('.replay-view').getAttribute('data-step'), { timeout: 15_000 }).toBe('1');
    const stepMs = Date.now() - tStep;
    const tEval = Date.now();
    await page.evaluate(() => 1);
    const evalMs = Date.now() - tEval;
    await page.waitForTimeout(3000);
    const status = await page.locator('.replay-view .status').innerText();
    const gaps = await page.evaluate(() => {
      const w = window as unknown as { __gaps: number[]; __stop: boolean };
      w.__stop = true;
      return w.__gaps;
    });
    const maxGap = Math.max(...gaps.slice(2));
    console.log(`100 MB trace: after ${((Date.now() - t0) / 1000).toFixed(1)} s: "${status}"; longest frame gap ${maxGap.toFixed(0)} ms; evaluate round trip ${evalMs} ms; a step while reading ${stepMs} ms`);
    // Generous: on this 2-core machine other jobs may run; a frozen page would show seconds.
    expect(maxGap).toBeLessThan(1000);
    expect(evalMs).toBeLessThan(500);
    await page.screenshot({ path: join(ART, 'viewer-replay-big.png') });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  }, 180_000);

  it('keyboard: tabs by arrow keys, commands are named buttons', async () => {
    await open();
    await page.getByRole('tab', { name: 'Simulation' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Permission matrix' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    await cmd('source', 'migrate').focus();
    await page.keyboard.press('Enter');
    expect(await active('source')).toEqual(['run.running', 'status.setup']);
  });

  it('inspector logs the actors’ events; nothing connects anywhere by default', async () => {
    await open();
    await cmd('source', 'migrate').click();
    await page.getByRole('tab', { name: 'Inspector' }).click();
    const log = await page.locator('.inspector table.log').innerText();
    expect(log).toContain('"command":"migrate"');
    expect(log).toMatch(/snapshot\s+source/);
    await page.screenshot({ path: join(ART, 'viewer-inspector.png') });
    // Clear empties the log shown, and the next step's events come in alone.
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.locator('.inspector table.log tbody tr').count()).toBe(0);
    expect(await page.locator('.inspector .count').textContent()).toBe('0 entries');
    await page.getByRole('tab', { name: 'Simulation' }).click();
    await cmd('source', 'migrate_cancel').click();
    await page.getByRole('tab', { name: 'Inspector' }).click();
    const after = await page.locator('.inspector table.log').innerText();
    expect(after).toContain('"command":"migrate_cancel"');
    expect(after).not.toMatch(/"command":"migrate"[,}]/);
  });

  it('COLO primary failover (qemu-colo.rst) clicked through: checkpoint, crash, failover; QEMU’s errors after it', async () => {
    await open('#profile=qemu-7.2');
    // Show the COLO and failover regions of both charts.
    for (const s of ['source', 'destination'] as const)
      for (const r of ['COLO', 'failover']) await side(s).getByRole('checkbox', { name: r, exact: true }).check();
    await expect.poll(() => active('source'), { timeout: 30_000 }).toEqual(['colo.none', 'failover.none', 'run.running', 'status.none']);
    await expect.poll(() => active('destination'), { timeout: 30_000 }).toEqual(['colo.none', 'failover.none', 'run.inmigrate', 'status.none']);
    const caps = JSON.stringify(COLO_CAPS);
    for (const s of ['destination', 'source'] as const) await side(s).getByRole('textbox', { name: 'arguments of migrate-set-capabilities (JSON)' }).fill(caps);
    await cmd('destination', 'migrate-set-capabilities').click();
    await cmd('destination', 'migrate-incoming').click();
    await cmd('source', 'migrate-set-capabilities').click();
    await expect.poll(() => side('source').locator('.state-line').innerText()).toContain('events, x-colo');
    await cmd('source', 'migrate').click();
    for (const name of ['connect', 'converge', 'complete']) await step(name).click();
    expect(await active('source')).toEqual(['colo.primary.waiting-ready', 'failover.none', 'run.finish-migrate', 'status.colo']);
    await step('checkpoint-ready').click();
    expect(await active('source')).toEqual(['colo.primary.running', 'failover.none', 'run.running', 'status.colo']);
    expect(await active('destination')).toEqual(['colo.secondary.running', 'failover.none', 'run.running', 'status.colo']);
    // One checkpoint cycle: both VMs stop, the state goes over, both run again.
    await step('checkpoint-request').click();
    await step('checkpoint-reply').click();
    expect(await active('source')).toEqual(['colo.primary.checkpoint.stopped', 'failover.none', 'run.colo', 'status.colo']);
    expect(await active('destination')).toEqual(['colo.secondary.checkpoint.replied', 'failover.none', 'run.colo', 'status.colo']);
    for (const name of ['vmstate-send', 'vmstate-size', 'vmstate-received']) await step(name).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ART, 'viewer-colo-checkpoint.png') });
    await step('vmstate-loaded').click();
    expect(await active('source')).toEqual(['colo.primary.running', 'failover.none', 'run.running', 'status.colo']);
    // Failover is not possible while COLO runs: the bottom half needs a failover request.
    expect(await step('failover-bh:source').isDisabled()).toBe(true);
    // qemu-colo.rst, primary failover: the secondary dies; the primary declares the heartbeat lost.
    await step('crash-destination').click();
    expect(await channel()).toEqual(['broken']);
    expect(await active('source')).toEqual(['colo.exited', 'failover.none', 'run.running', 'status.colo']);
    expect(await side('destination').locator('.chart').getAttribute('class')).toContain('exited');
    expect(await active('destination')).toEqual([]);
    expect(await side('destination').locator('.state-line').innerText()).toContain('exited');
    await cmd('source', 'x-colo-lost-heartbeat').click();
    await expect.poll(() => side('source').locator('output.reply').innerText()).toBe('x-colo-lost-heartbeat → {"return":{}}');
    await step('failover-bh:source').click();
    await step('failover-done:source').click();
    expect(await active('source')).toEqual(['colo.none', 'failover.completed', 'run.running', 'status.completed']);
    // After the failover: QEMU's exact errors.
    expect(await why('source', 'x-colo-lost-heartbeat')).toContain("GenericError: The feature 'colo' is not enabled");
    await cmd('source', 'x-colo-lost-heartbeat').click();
    await expect.poll(() => side('source').locator('output.reply').innerText()).toContain("The feature 'colo' is not enabled");
    expect(await side('source').getByRole('textbox', { name: 'arguments of yank (JSON)' }).inputValue()).toBe('{"instances":[{"type":"migration"}]}');
    expect(await why('source', 'yank')).toContain('DeviceNotFound: Instance not found');
    await cmd('source', 'yank').click();
    await expect.poll(() => side('source').locator('output.reply').innerText()).toContain('"class":"DeviceNotFound","desc":"Instance not found"');
    expect(await active('source')).toEqual(['colo.none', 'failover.completed', 'run.running', 'status.completed']);
    // The destination is gone: its commands answer nothing.
    await cmd('destination', 'query-status').click();
    await expect.poll(() => side('destination').locator('output.reply').innerText()).toBe('query-status → {"exited":true}');
    expect(await page.locator('ol.history li').last().innerText()).toContain('the process has exited');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ART, 'viewer-colo-failover.png'), fullPage: true });
    await pair().screenshot({ path: join(ART, 'viewer-colo-pair.png') });
    // The deep link reproduces it.
    await page.waitForFunction(() => !document.body.dataset.urlPending);
    const url = page.url();
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForSelector('body[data-ready=true]');
    expect(await active('source')).toEqual(['run.running', 'status.completed']);
    expect(await channel()).toEqual(['broken']);
    // And the simulation, exported as a trace, replays without departure.
    await page.getByRole('tab', { name: 'Trace replay' }).click();
    await page.getByRole('button', { name: 'replay the current simulation' }).click();
    await page.waitForSelector('.replay-view[data-loaded=true]', { timeout: 60_000 });
    expect(await page.locator('.replay-view .status').innerText()).toContain('no departure from the model');
  }, 180_000);

  it('a destination that migrates on (F3) is shown as the source it now is: chart, commands, pair steps, replay', async () => {
    const done = [['d', 'migrate-incoming', URI], ['s', 'migrate', URI], ['sync', 'connect'], ['sync', 'converge'], ['sync', 'complete'], ['sync', 'cleanup']];
    await open('#profile=qemu-7.2&steps=' + encodeURIComponent(JSON.stringify(done)));
    const dst = side('destination');
    const nodes = () => dst.locator('svg [data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
    expect(await dst.getAttribute('data-role')).toBe('destination');
    expect(await dst.locator('h2').innerText()).toBe('Destination (incoming)');
    expect(await active('destination')).toEqual(['run.running', 'status.completed']);
    expect(await nodes()).not.toContain('status.pre-switchover'); // the destination chart has no such status
    // A completed destination may migrate on (rule migrate.start.dst): it becomes a source.
    expect(await why('destination', 'migrate')).toContain('[migrate.start.dst]');
    await cmd('destination', 'migrate').click();
    await expect.poll(() => dst.getAttribute('data-role')).toBe('source');
    expect(await dst.locator('h2').innerText()).toBe('Destination process, now a source (outgoing; F3)');
    // Its chart is the source chart, with its state marked there (the destination chart has no setup in 7.2).
    await expect.poll(nodes, { timeout: 30_000 }).toContain('status.pre-switchover');
    await expect.poll(() => active('destination')).toEqual(['run.running', 'status.setup']);
    expect(await dst.locator('svg g.edge.taken').count()).toBe(0);
    expect(await page.locator('ol.history li').last().innerText()).toContain('dst now a source');
    // Its commands are judged as a source's: a second migrate is refused, migrate_cancel cancels.
    const line = await dst.locator('.state-line').innerText();
    expect(line).toMatch(/^destination process, now a source \(F3/);
    expect(line).not.toContain('listening');
    expect(await why('destination', 'migrate')).toContain("GenericError: There's a migration process in progress");
    expect(await why('destination', 'migrate_cancel')).toContain('status → cancelling');
    // The pair's steps say why they cannot move it: its peer would be a third process.
    expect(await pair().locator('.state-line').innerText()).toContain('the destination process is now a source');
    await step('failover-relaunch').locator('..').hover();
    await expect.poll(() => step('failover-relaunch').getAttribute('title')).toMatch(/^cannot happen now: failover-relaunch cannot move the destination process, now a source \(setup \/ running\)/);
    await dst.scrollIntoViewIfNeeded();
    await dst.screenshot({ path: join(ART, 'viewer-destination-now-source.png') });
    // Replay of the exported simulation: the destination's chart turns into the source chart at the reply to its migrate.
    await page.getByRole('tab', { name: 'Trace replay' }).click();
    await page.getByRole('button', { name: 'replay the current simulation' }).click();
    await page.waitForSelector('.replay-view[data-loaded=true]', { timeout: 60_000 });
    expect(await page.locator('.replay-view .status').innerText()).toContain('no departure from the model');
    const replayDst = page.locator('.replay-charts .chart').nth(1);
    await page.getByRole('button', { name: 'next ⟩' }).click();
    await expect.poll(() => replayDst.getAttribute('data-role')).toBe('destination');
    await page.locator('.stepper input[type=range]').fill('1000');
    await expect.poll(() => replayDst.getAttribute('data-role')).toBe('source');
    await expect.poll(() => replayDst.locator('svg .state.active').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort()), { timeout: 30_000 }).toEqual(['run.running', 'status.setup']);
    expect(await replayDst.locator('svg [data-node=status\\.pre-switchover]').count()).toBe(1);
    expect(await page.locator('.step-detail').innerText()).toContain('destination process, now a source: setup / running');
    // Back in the simulation: cancelling, a source status, is marked; undo turns it back into the destination.
    await page.getByRole('tab', { name: 'Simulation' }).click();
    await cmd('destination', 'migrate_cancel').click();
    await expect.poll(() => active('destination')).toEqual(['run.running', 'status.cancelling']);
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => dst.getAttribute('data-role')).toBe('destination');
    await expect.poll(nodes, { timeout: 30_000 }).not.toContain('status.pre-switchover');
    await expect.poll(() => active('destination')).toEqual(['run.running', 'status.completed']);
    expect(await dst.locator('h2').innerText()).toBe('Destination (incoming)');
    expect(await dst.locator('.state-line').innerText()).toMatch(/^destination: status completed/);
  }, 120_000);

  // ---- traces with more processes than the pair, and names of their own -----------------------------

  /** The recorded A→B→C of the real QEMU 7.2 (three-processes-a-b-c: source, destination, C). */
  const THREE = join(ROOT, 'model-tests', 'fixtures', 'traces', 'qemu-7.2', 'three-processes-a-b-c.jsonl');
  /** The same trace with source and destination named A and B: every role follows from the lines. */
  const renamed = (text: string) => text.replaceAll('"vm":"source"', '"vm":"A"').replaceAll('"vm":"destination"', '"vm":"B"');
  /** The steps of a trace: its lines other than blank ones and notes, in order. */
  const stepsOf = (text: string) =>
    text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { vm?: string; note?: unknown; msg: Record<string, unknown> })
      .filter((o) => o.note === undefined);
  const slot = (n: 1 | 2) => page.locator(`.replay-slot[data-slot="${n}"]`);
  const slotChart = (n: 1 | 2) => slot(n).locator('.chart');
  const slotMarked = (n: 1 | 2) => slotChart(n).locator('svg .state.active, svg .state.possible').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort());
  const slotSure = (n: 1 | 2) => slotChart(n).locator('svg .state.active').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort());
  const slotPossible = (n: 1 | 2) => slotChart(n).locator('svg .state.possible').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort());
  /** The step of the `nth` reply of process `vm` whose return matches `pred`. */
  const replyStep = (steps: ReturnType<typeof stepsOf>, vm: string, pred: (r: Record<string, unknown>) => boolean, nth = 0) =>
    steps.map((s, i) => (s.vm === vm && s.msg.return && typeof s.msg.return === 'object' && pred(s.msg.return as Record<string, unknown>) ? i : -1)).filter((i) => i >= 0)[nth] ?? -1;
  const slotNodes = (n: 1 | 2) => slotChart(n).locator('svg [data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
  const proc = (name: string) => page.locator(`.step-detail ul.processes li[data-process="${name}"]`);
  const listed = () => page.locator('.step-detail ul.processes li').evaluateAll((els) => els.map((e) => e.getAttribute('data-process')));
  const goStep = async (i: number) => {
    await page.locator('.stepper input[type=range]').fill(String(i));
    await expect.poll(() => page.locator('.replay-view').getAttribute('data-step')).toBe(String(i));
  };
  const replayFile = async (path: string) => {
    await open('#view=replay&profile=qemu-7.2');
    await page.getByLabel('open a trace file').setInputFiles(path);
    await page.waitForSelector('.replay-view[data-loaded=true]', { timeout: 60_000 });
    expect(await page.getByRole('alert').isHidden()).toBe(true);
  };

  it('replays a recorded trace of three QEMUs (source → destination → C): every process listed with its states and role; a chart slot switched to C follows it', async () => {
    const text = readFileSync(THREE, 'utf8');
    const steps = stepsOf(text);
    expect(new Set(steps.map((s) => s.vm))).toEqual(new Set(['source', 'destination', 'C']));
    await replayFile(THREE);
    // The note lines of the runner are no steps; the trace conforms.
    expect(await page.locator('.replay-view .status').innerText()).toMatch(new RegExp(`^three-processes-a-b-c\\.jsonl: ${steps.length} steps of 3 processes \\(destination, source, C\\) replayed against qemu-7\\.2 .*no departure from the model`));
    // The first step: the destination's greeting. C has no lines yet; the slots show source and destination.
    expect(await page.locator('.replay-view').getAttribute('data-step')).toBe('0');
    expect(await listed()).toEqual(['destination', 'source', 'C']);
    expect(await proc('C').innerText()).toBe('C: no lines yet');
    expect(await proc('destination').getAttribute('class')).toContain('current');
    expect(await page.getByRole('combobox', { name: 'process in chart 1' }).inputValue()).toBe('source');
    expect(await page.getByRole('combobox', { name: 'process in chart 2' }).inputValue()).toBe('destination');
    expect(await page.getByRole('combobox', { name: 'process in chart 2' }).locator('option').allInnerTexts()).toEqual(['destination', 'source', 'C']);
    // C's greeting: a fresh QEMU whose start its lines have not decided yet.
    const cGreeting = steps.findIndex((s) => s.vm === 'C' && 'QMP' in s.msg);
    await goStep(cGreeting);
    expect(await proc('C').getAttribute('class')).toContain('current');
    const cFresh = await proc('C').innerText();
    expect(cFresh).toMatch(/^C \(role not yet known\): one of 3: /);
    expect(cFresh).toContain('none / inmigrate (as a destination)');
    expect(cFresh).toContain('none / running (as a source)');
    // The end: the source and the destination that migrated on (F3) completed as sources; C runs the VM.
    await goStep(steps.length - 1);
    expect(await proc('source').innerText()).toBe('source: completed / postmigrate chart 1');
    expect(await proc('destination').innerText()).toBe('destination process, now a source: completed / postmigrate chart 2');
    expect(await proc('C').innerText()).toBe('C (destination): completed / running');
    expect(await proc('destination').getAttribute('data-role')).toBe('source');
    expect(await proc('C').getAttribute('data-role')).toBe('destination');
    await expect.poll(() => slotChart(2).getAttribute('data-role')).toBe('source');
    await expect.poll(() => slotMarked(2), { timeout: 30_000 }).toEqual(['run.postmigrate', 'status.completed']);
    await expect.poll(() => slotNodes(2), { timeout: 30_000 }).toContain('status.pre-switchover'); // the source chart
    // Chart 2 shows C instead: the destination chart, completed / running marked.
    await page.getByRole('combobox', { name: 'process in chart 2' }).selectOption('C');
    await expect.poll(() => slotChart(2).getAttribute('data-role')).toBe('destination');
    expect(await slotChart(2).getAttribute('data-process')).toBe('C');
    await expect.poll(() => slotNodes(2), { timeout: 30_000 }).not.toContain('status.pre-switchover');
    await expect.poll(() => slotMarked(2), { timeout: 30_000 }).toEqual(['run.running', 'status.completed']);
    expect(await slot(2).locator('.slot-info').innerText()).toBe('C (destination): the destination chart');
    expect(await proc('C').innerText()).toBe('C (destination): completed / running chart 2');
    // The slot keeps C while stepping. Back where C first answered query-status with inmigrate: a
    // destination, its run state sure, its migration status not yet (the query-migrate beside it
    // may have been answered before the incoming migration started).
    const cInmigrate = replyStep(steps, 'C', (r) => r.status === 'inmigrate');
    expect(cInmigrate).toBeGreaterThan(cGreeting);
    await goStep(cInmigrate);
    expect(await proc('C').innerText()).toMatch(/^C \(destination\): one of 3: .*none \/ inmigrate/);
    await expect.poll(() => slotSure(2)).toEqual(['run.inmigrate']);
    expect(await slotPossible(2)).toEqual(expect.arrayContaining(['status.active', 'status.none']));
    // Its next query-migrate answer (listening, no status) leaves one state.
    const cListening = replyStep(steps, 'C', (r) => 'socket-address' in r && !('status' in r), 1);
    expect(cListening).toBeGreaterThan(cInmigrate);
    await goStep(cListening);
    expect(await proc('C').innerText()).toBe('C (destination): none / inmigrate chart 2');
    await expect.poll(() => slotSure(2)).toEqual(['run.inmigrate', 'status.none']);
    expect(await slotPossible(2)).toEqual([]);
    // And the destination, back then, was the destination still.
    expect(await proc('destination').innerText()).toBe('destination: completed / running');
    await page.screenshot({ path: join(ART, 'viewer-replay-three-processes.png') });
  }, 120_000);

  it('replays the same trace with names of its own (A, B, C): the roles follow from the lines, the first two processes fill the slots', async () => {
    const text = renamed(readFileSync(THREE, 'utf8'));
    const steps = stepsOf(text);
    const path = join(ART, 'replay-three-processes-named.jsonl');
    writeFileSync(path, text);
    await replayFile(path);
    expect(await page.locator('.replay-view .status').innerText()).toContain(`${steps.length} steps of 3 processes (B, A, C)`);
    expect(await page.locator('.replay-view .status').innerText()).toContain('no departure from the model');
    // B greeted first (it was the destination): it is the first process, in chart 1, and A in chart 2.
    expect(await page.getByRole('combobox', { name: 'process in chart 1' }).inputValue()).toBe('B');
    expect(await page.getByRole('combobox', { name: 'process in chart 2' }).inputValue()).toBe('A');
    expect(await listed()).toEqual(['B', 'A', 'C']);
    // At first nothing says which of A and B listens.
    expect(await proc('B').innerText()).toMatch(/^B \(role not yet known\): one of 3: .*none \/ inmigrate \(as a destination\)/);
    // Once B answered query-status with inmigrate, it is a destination.
    await goStep(replyStep(steps, 'B', (r) => r.status === 'inmigrate'));
    expect(await proc('B').innerText()).toMatch(/^B \(destination\): one of 3: .*none \/ inmigrate chart 1$/);
    expect(await proc('A').innerText()).toMatch(/^A \(role not yet known\): /);
    await expect.poll(() => slotChart(1).getAttribute('data-role')).toBe('destination');
    await expect.poll(() => slotSure(1), { timeout: 30_000 }).toEqual(['run.inmigrate']);
    await goStep(replyStep(steps, 'B', (r) => 'socket-address' in r && !('status' in r), 1));
    expect(await proc('B').innerText()).toBe('B (destination): none / inmigrate chart 1');
    await expect.poll(() => slotSure(1), { timeout: 30_000 }).toEqual(['run.inmigrate', 'status.none']);
    // A answered query-status with running: a source.
    expect(await proc('A').innerText()).toBe('A (source): none / running chart 2');
    await expect.poll(() => slotChart(2).getAttribute('data-role')).toBe('source');
    await expect.poll(() => slotSure(2), { timeout: 30_000 }).toEqual(['run.running', 'status.none']);
    // The end: B migrated on and is a source now, completed; A too; C runs the VM.
    await goStep(steps.length - 1);
    expect(await proc('A').innerText()).toBe('A (source): completed / postmigrate chart 2');
    expect(await proc('B').innerText()).toBe('B (source): completed / postmigrate chart 1');
    expect(await proc('C').innerText()).toBe('C (destination): completed / running');
    await expect.poll(() => slotChart(1).getAttribute('data-role')).toBe('source');
    await expect.poll(() => slotMarked(1), { timeout: 30_000 }).toEqual(['run.postmigrate', 'status.completed']);
    await page.getByRole('combobox', { name: 'process in chart 1' }).selectOption('C');
    await expect.poll(() => slotChart(1).getAttribute('data-role')).toBe('destination');
    await expect.poll(() => slotMarked(1), { timeout: 30_000 }).toEqual(['run.running', 'status.completed']);
    expect(await proc('C').innerText()).toBe('C (destination): completed / running chart 1');
    expect(await proc('B').innerText()).toBe('B (source): completed / postmigrate');
  }, 120_000);

  it('a departure of the third process is shown at its step, on that process', async () => {
    // C's last query-migrate answers failed instead of completed: a departure on C, and on no one else.
    // A blank line near the top is no step, and moves no departure off its step.
    const good = renamed(readFileSync(THREE, 'utf8'));
    const lines = good.split('\n');
    lines.splice(2, 0, '');
    const at = lines.map((l, i) => (l.includes('"vm":"C"') && l.includes('"return":{"status":"completed"}') ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at].replace('"status":"completed"', '"status":"failed"');
    const text = lines.join('\n');
    const path = join(ART, 'replay-three-processes-departure.jsonl');
    writeFileSync(path, text);
    const index = stepsOf(lines.slice(0, at + 1).join('\n')).length - 1;
    await replayFile(path);
    expect(await page.locator('.replay-view .status').innerText()).toContain('1 departure from the model');
    const deps = page.locator('ol.departures li');
    expect(await deps.count()).toBe(1);
    expect(await deps.first().getAttribute('data-process')).toBe('C');
    expect(await deps.first().innerText()).toMatch(new RegExp(`^step ${index + 1} \\(line ${at + 1}\\): C reports migration status failed \\(query-migrate\\); the model expects completed \\[unexpected-status\\]`));
    // Slot 2 shows C; the departure link goes to the step.
    await page.getByRole('combobox', { name: 'process in chart 2' }).selectOption('C');
    await deps.first().getByRole('button').click();
    await expect.poll(() => page.locator('.replay-view').getAttribute('data-step')).toBe(String(index));
    expect(await page.locator('.step-detail .dep').innerText()).toMatch(/^⚠ Departure: C reports migration status failed \(query-migrate\)/);
    expect(await page.locator('.step-detail').getAttribute('class')).toContain('departure');
    const flagged = await page.locator('.step-detail ul.processes li.departure').evaluateAll((els) => els.map((e) => e.getAttribute('data-process')));
    expect(flagged).toEqual(['C']);
    expect(await proc('C').innerText()).toContain('⚠ departure');
    expect(await slot(2).getAttribute('class')).toContain('departure');
    expect(await slot(1).getAttribute('class')).not.toContain('departure');
    expect(await slot(2).locator('.slot-info').innerText()).toContain('⚠ departure at this step');
    // One step earlier, nothing is flagged.
    await goStep(index - 1);
    expect(await page.locator('.step-detail ul.processes li.departure').count()).toBe(0);
    expect(await slot(2).getAttribute('class')).not.toContain('departure');
  }, 120_000);

  it('no request left this machine', () => {
    expect(external).toEqual([]);
  });
});
