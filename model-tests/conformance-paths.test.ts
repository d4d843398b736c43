// Conformance driven by the model's generated paths (qemu/path-plan.ts) against the real QEMU 7.2
// binary: the runnable paths of the plan (the cover of every status and status / run-state chart
// transition a real pair can reach; about 20 paths, well under a minute with two pairs at a time) run
// on real pairs with the scenario runner's comparison. They must reach every status of both sides
// that 7.2 reaches without special devices, and COLO start + failover on both sides. What the test
// leaves out, `migstate conformance --paths all` adds: the unrestricted generated paths with the
// reason each one that cannot run on a real pair is not runnable.
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getProfile } from '../machines/index.ts';
import { formatReport, runScenarios, type RunReport } from '../qemu/conformance.ts';
import { EdgeStepper, KNOWN_MODEL_DIVERGENCES, formatPlannedCoverage, planPaths, plannedCoverage, translate, type PathPlan, type PlannedPath } from '../qemu/path-plan.ts';
import { TEMP_PREFIX, disposeAll, livePids, liveTempDirs, pidAlive, startedProcesses } from '../qemu/vm.ts';
import { main } from '../cli/main.ts';
import { replayDepartures } from './helpers.ts';

const p = getProfile('qemu-7.2');
const ROOT = resolve(import.meta.dirname, '..');
const TRACES = join(ROOT, 'test-artifacts', 'conformance-paths');

/** What the subset must reach on the real binary. */
const STATUSES = {
  // wait-unplug needs a virtio-net failover pair with a guest that negotiated STANDBY.
  source: p.statuses.source.filter((s) => s !== 'wait-unplug'),
  destination: [...p.statuses.destination],
};
const COLO_EDGES = {
  source: ['source-status:active-[src.switchover.colo]->colo', 'source-status:colo-[src.status.failover]->completed'],
  destination: ['destination-status:active-[dst.status.colo]->colo', 'destination-status:colo-[dst.status.failover]->completed'],
};

/** The first paths of the plan, in order, that add a status or a COLO edge not reached yet. */
function subset(plan: PathPlan): PlannedPath[] {
  const need = new Set([
    ...STATUSES.source.map((s) => `source status ${s}`),
    ...STATUSES.destination.map((s) => `destination status ${s}`),
    ...COLO_EDGES.source.map((e) => `source/${e}`),
    ...COLO_EDGES.destination.map((e) => `destination/${e}`),
  ]);
  const out: PlannedPath[] = [];
  for (const x of plan.paths) {
    if (!x.covers.some((c) => need.has(c))) continue;
    out.push(x);
    for (const c of x.covers) need.delete(c);
  }
  expect([...need], 'targets no runnable path reaches in the model').toEqual([]);
  return out;
}

function migstateTempDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((d) => d.startsWith(TEMP_PREFIX)));
}

describe('the plan of runnable paths (qemu-7.2)', () => {
  let plan: PathPlan;

  it('is made from the model: a runnable path for every target the real pair can reach', { timeout: 120_000 }, () => {
    plan = planPaths(p);
    console.log(`plan: ${plan.paths.length} runnable paths, ${plan.stats.restrictedStates} states in the runnable search, ${plan.stats.seconds.toFixed(1)} s`);
    expect(plan.paths.length).toBeGreaterThanOrEqual(15);
    const covered = new Set(plan.paths.flatMap((x) => x.covers));
    // Every status of both sides but wait-unplug (no failover device on the pair).
    for (const side of ['source', 'destination'] as const) for (const s of STATUSES[side]) expect(covered.has(`${side} status ${s}`), `${side} ${s}`).toBe(true);
    expect(covered.has('source status wait-unplug')).toBe(false);
  });

  it('translates every path step by step as machines/pair.ts steps it (stepPair replayed alongside)', { timeout: 120_000 }, () => {
    const st = new EdgeStepper(p);
    for (const x of plan.paths) {
      const tr = translate(p, st, x.path, x.name, { check: true });
      expect(tr.runnable, x.name).toBe(true);
      // The scenario starts as the path does, and sets the path's capabilities on both sides first.
      const s = x.scenario;
      expect(s.incoming).toBe(x.path.start.input.incoming ?? 'defer');
      if (x.path.start.caps.length) expect(s.steps.slice(0, 2).map((y) => ('qmp' in y ? `${y.vm}:${y.qmp}` : ''))).toEqual(['source:migrate-set-capabilities', 'destination:migrate-set-capabilities']);
    }
  });

  it('says why a path cannot run: a command in a state QEMU leaves by itself', () => {
    const st = new EdgeStepper(p);
    // stop while the source is in setup and the destination listens: QEMU connects at once.
    const tr = translate(p, st, { start: { input: { incoming: 'uri' }, caps: ['events'] }, steps: [{ type: 'qmp', vm: 'source', command: 'migrate', arguments: { uri: 'tcp:127.0.0.1:4444' } }, { type: 'qmp', vm: 'source', command: 'stop' }] }, 'x');
    expect(tr.runnable).toBe(false);
    expect(!tr.runnable && tr.reason).toMatch(/source: stop in source=setup\/running .*QEMU leaves this state by itself \(connect\)/);
    // a known QEMU fault on the way: yank on a destination in postcopy-recover (F5)
    const f5 = translate(p, st, { start: { input: { incoming: 'uri' }, caps: ['events'] }, steps: [{ type: 'fault', fault: 'crash-source' }] }, 'y');
    expect(f5.runnable).toBe(true);
  });
});

describe('generated paths against the real qemu-system-x86_64', () => {
  let report: RunReport;
  let chosen: PlannedPath[];
  const tmpBefore = migstateTempDirs();

  afterAll(async () => {
    await disposeAll();
  });

  it('runs every runnable path on real pairs', { timeout: 300_000 }, async () => {
    const plan = planPaths(p);
    const needed = subset(plan);
    console.log(`the paths that reach every status and COLO start + failover: ${needed.map((x) => x.name).join(', ')} (of ${plan.paths.length}, all run)`);
    chosen = plan.paths;
    for (const k of KNOWN_MODEL_DIVERGENCES) console.log(`known model divergence (paths go around it): ${k.id}: ${k.what} (${k.trace})`);
    report = await runScenarios(
      chosen.map((x) => x.scenario),
      { profile: p, jobs: 2, tracesDir: TRACES },
    );
    console.log(formatReport(report));
    expect(report.results).toHaveLength(chosen.length);
  });

  it('finds no mismatch between the model and QEMU', () => {
    expect(report.mismatches.map((m) => `${m.scenario} step ${m.step} (${m.stepText}) [${m.kind}] predicted ${JSON.stringify(m.predicted)} observed ${JSON.stringify(m.observed)} trace ${m.trace}`)).toEqual([]);
  });

  it('every trace the paths recorded replays through check-trace with the same profile, owed events and all', () => {
    const files = report.results.flatMap((r) => r.traces);
    expect(files.length).toBeGreaterThanOrEqual(chosen.length);
    console.log(`round trip: ${files.length} traces replayed by check-trace`);
    expect(files.flatMap((f) => replayDepartures(p, f))).toEqual([]);
  });

  it('reaches every status of both sides that QEMU 7.2 reaches without special devices', () => {
    expect(report.coverage.statuses.source.missing).toEqual(['wait-unplug']);
    expect(report.coverage.statuses.destination.missing).toEqual([]);
  });

  it('exercises the chart transitions the paths were chosen for', () => {
    for (const side of ['source', 'destination'] as const) {
      const e = report.coverage.edges[side];
      console.log(`${side}: ${e.exercised.length} chart transitions exercised (+${e.possiblyOnly.length} on some explanation) of ${e.total}`);
    }
    expect(report.coverage.edges.source.exercised.length).toBeGreaterThanOrEqual(40);
    expect(report.coverage.edges.destination.exercised.length).toBeGreaterThanOrEqual(20);
  });

  it('exercises for certain the planned transitions, except those whose observations cannot tell', () => {
    const c = plannedCoverage(planPaths(p), chosen.length, report.results);
    console.log(formatPlannedCoverage(c));
    // What the observations cannot tell apart (events included): a COLO failover's stop from a
    // checkpoint's (a STOP either way); a VM that was not running (paused, prelaunch) going to
    // finish-migrate for postcopy or for completion (no STOP either way); a destination paused by
    // -S from one paused by the source's global state; a refused resume (no status change, no
    // event). Any of these may be left to some explanation only.
    const cannotTell = new Set([
      'source/run-state:running-[src.run.failover-stop]->colo',
      'destination/run-state:running-[dst.run.failover-stop]->colo',
      'source/run-state:paused-[src.run.postcopy-start]->finish-migrate',
      'source/run-state:prelaunch-[src.run.postcopy-start]->finish-migrate',
      'source/run-state:paused-[src.run.postcopy-start.pause]->finish-migrate',
      'source/run-state:prelaunch-[src.run.postcopy-start.pause]->finish-migrate',
      'destination/run-state:inmigrate-[dst.run.paused]->paused',
      'source/source-status:postcopy-paused-[src.resume-refused]->postcopy-paused',
    ]);
    for (const x of c.notCertain) if (cannotTell.has(x.edge)) expect(x.onSomeExplanation, x.edge).toBe(true);
    // The planner reaches these through migrate_cancel in a postcopy's pre-switchover, where 7.2's
    // migrate_fd_cancel races the woken migration thread (pre-switchover -> postcopy-active, then
    // cancelling; or cancelling at once): both ways are seen on the binary and both are the model's.
    // The scenario postcopy-pre-switchover-continue takes pause-released.postcopy for certain.
    const racy = new Set([
      'source/source-status:pre-switchover-[src.pause-released.postcopy]->postcopy-active',
      'source/source-status:postcopy-active-[src.cancel-set]->cancelling',
    ]);
    // Other races (a cancel that lands a moment later than planned, say) can send a path another way
    // QEMU allows: at most two others.
    const others = c.notCertain.filter((x) => !cannotTell.has(x.edge) && !racy.has(x.edge));
    expect(others.length, others.map((x) => x.edge).join(', ')).toBeLessThanOrEqual(2);
  });

  it('starts COLO and fails over on both sides', () => {
    for (const side of ['source', 'destination'] as const) {
      const seen = new Set([...report.coverage.edges[side].exercised, ...report.coverage.edges[side].possiblyOnly]);
      for (const e of COLO_EDGES[side]) expect(seen.has(e), `${side} ${e}`).toBe(true);
    }
  });

  it('leaves no QEMU, helper process, socket or temp folder behind', () => {
    expect(livePids()).toEqual([]);
    expect(liveTempDirs()).toEqual([]);
    expect(startedProcesses().filter((x) => pidAlive(x.pid)).map((x) => `${x.pid} ${x.what}`)).toEqual([]);
    expect([...migstateTempDirs()].filter((d) => !tmpBefore.has(d))).toEqual([]);
    for (const r of report.results) for (const t of r.traces) expect(existsSync(t)).toBe(true);
  });
});

describe('migstate conformance --paths (CLI)', () => {
  it('exits 2 on a bad --paths', async () => {
    for (const bad of ['0', '-1', 'some', '1.5', ''])
      expect(await main(['conformance', '--qemu', 'qemu-system-x86_64', '--paths', bad]), `--paths '${bad}'`).toBe(2);
  });

  it('runs the first N paths (and the named scenarios with --scenarios)', { timeout: 180_000 }, async () => {
    expect(await main(['conformance', '--qemu', 'qemu-system-x86_64', '--paths', '2', '--scenarios', 'kill-source-active', '--traces', join(TRACES, 'cli')])).toBe(0);
    expect(existsSync(join(TRACES, 'cli', 'path-001.jsonl'))).toBe(true);
    expect(existsSync(join(TRACES, 'cli', 'path-002.jsonl'))).toBe(true);
    expect(existsSync(join(TRACES, 'cli', 'path-003.jsonl'))).toBe(false);
    expect(existsSync(join(TRACES, 'cli', 'kill-source-active.jsonl'))).toBe(true);
    expect(livePids()).toEqual([]);
  });
});
