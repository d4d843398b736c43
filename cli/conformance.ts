// `migstate conformance`: plays the conformance scenarios, and with --paths the model's generated
// paths (qemu/path-plan.ts), against a real QEMU binary and compares every answer and every observed
// status with the model. Exit 0: all match; 1: mismatches; 2: bad arguments (unknown profile or
// scenario, bad --paths, missing binary).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { getProfile } from '../machines/profiles/index.ts';
import type { Profile } from '../machines/profile.ts';
import { formatReport, runScenarios, type Scenario } from '../qemu/conformance.ts';
import { KVM_SCENARIOS, SCENARIOS } from '../qemu/scenarios.ts';
import { formatPlan, formatPlannedCoverage, planPaths, plannedCoverage } from '../qemu/path-plan.ts';
import { disposeAll, kvmUsable, reapLeftovers } from '../qemu/vm.ts';
import { UsageError, write } from './io.ts';

/** The binary as given (a path, or a name looked up on PATH), if it is an executable file. */
export function findBinary(q: string): string | null {
  const candidates = q.includes('/') ? [resolve(q)] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, q));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return null;
}

export /**
 * --scenarios all | NAME,... : `all` is every scenario, and the KVM ones where KVM is usable; a
 * KVM scenario named where KVM is not usable is an error (it cannot run here).
 */
function selectScenarios(spec: string | undefined): Scenario[] {
  const kvm = kvmUsable();
  if (spec === undefined || spec === 'all') return kvm ? [...SCENARIOS, ...KVM_SCENARIOS] : SCENARIOS;
  const known = [...SCENARIOS, ...KVM_SCENARIOS];
  const names = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !known.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`unknown scenario(s): ${unknown.join(', ')} (scenarios: ${known.map((s) => s.name).join(', ')})`);
  const chosen = known.filter((s) => names.includes(s.name));
  const needKvm = chosen.filter((s) => s.accel === 'kvm');
  if (needKvm.length && !kvm) throw new UsageError(`${needKvm.map((s) => s.name).join(', ')} need(s) KVM, and /dev/kvm is not usable here`);
  return chosen;
}

/** The version a QEMU binary reports (`QEMU emulator version 10.0.2 (...)`: "10.0.2"); a UsageError if it does not answer. */
export function binaryVersion(qemu: string): string {
  const r = spawnSync(qemu, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  const m = /QEMU emulator version (\d+\.\d+\.\d+)/.exec(r.stdout ?? '');
  if (!m) throw new UsageError(`--qemu ${qemu}: ${r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `'--version' printed no QEMU version (exit ${r.status}): ${(r.stdout + r.stderr).trim().slice(0, 200)}`}`);
  return m[1];
}

/** --paths all | N (the first N paths of the plan). */
export function pathsCount(spec: string | undefined): number | 'all' | null {
  if (spec === undefined) return null;
  if (spec === 'all') return 'all';
  if (!/^[1-9][0-9]{0,4}$/.test(spec)) throw new UsageError(`--paths must be 'all' or a positive integer (the first N generated paths), not '${spec}'`);
  return Number(spec);
}

export async function conformanceCmd(args: string[]): Promise<number> {
  let o: Record<string, string | boolean | undefined>;
  try {
    o = parseArgs({
      args,
      options: { qemu: { type: 'string' }, profile: { type: 'string' }, jobs: { type: 'string' }, scenarios: { type: 'string' }, paths: { type: 'string' }, traces: { type: 'string' }, json: { type: 'boolean' }, reap: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // What a run killed with SIGKILL left (its QEMU processes, temp folders and sockets) is ended first.
  const reaped = reapLeftovers();
  if (reaped.runs && o.json !== true)
    process.stderr.write(`reaped what ${reaped.runs} killed run(s) left: ${reaped.processes.length} process(es)${reaped.processes.length ? ` (${reaped.processes.map((x) => `${x.pid} ${x.what}`).join(', ')})` : ''}, ${reaped.dirs.length} temp folder(s)\n`);
  if (o.reap === true) {
    if (o.json === true) await write(JSON.stringify(reaped) + '\n');
    else if (!reaped.runs) await write('nothing to reap: no killed run left anything behind\n');
    return 0;
  }
  if (typeof o.qemu !== 'string' || o.qemu === '') throw new UsageError('--qemu PATH is required (the qemu-system-x86_64 binary to test)');
  const qemu = findBinary(o.qemu);
  if (!qemu) throw new UsageError(`--qemu ${o.qemu}: no such executable`);
  let p: Profile;
  try {
    p = getProfile(typeof o.profile === 'string' ? o.profile : 'qemu-7.2');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const version = binaryVersion(qemu);
  // A profile checked against a binary (qemu-7.2) judges that version only; the others are readings
  // of the source or designs, compared with whatever binary is given.
  if (/^\d+\.\d+$/.test(p.qemuVersion) && !version.startsWith(p.qemuVersion + '.'))
    throw new UsageError(`--profile ${p.name} describes QEMU ${p.qemuVersion}, but ${qemu} is QEMU ${version}; give the profile of that version`);
  if (!/^\d+\.\d+$/.test(p.qemuVersion) && o.json !== true) process.stderr.write(`note: ${p.name} is not a binary's profile (${p.qemuVersion}); comparing it with QEMU ${version}\n`);
  const jobs = o.jobs === undefined ? 1 : Number(o.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 16) throw new UsageError('--jobs must be an integer from 1 to 16');
  const nPaths = pathsCount(o.paths as string | undefined);
  // --paths alone runs paths only; with --scenarios both; neither: every scenario.
  const scenarios = nPaths !== null && o.scenarios === undefined ? [] : selectScenarios(o.scenarios as string | undefined);
  const tracesDir = resolve(typeof o.traces === 'string' ? o.traces : join('test-artifacts', 'conformance', new Date().toISOString().replace(/[:.]/g, '-')));
  const json = o.json === true;
  try {
    let plan: ReturnType<typeof planPaths> | null = null;
    let runs = scenarios;
    if (nPaths !== null) {
      if (!json) process.stderr.write(`planning the paths of ${p.name} (the model's explorer and the runnable search)...\n`);
      plan = planPaths(p, { analyse: true });
      const chosen = plan.paths.slice(0, nPaths === 'all' ? plan.paths.length : nPaths);
      if (!json) process.stderr.write(formatPlan(plan, chosen.length));
      runs = [...scenarios, ...chosen.map((x) => x.scenario)];
    }
    const report = await runScenarios(runs, {
      profile: p,
      qemu,
      jobs,
      tracesDir,
      onResult: json ? undefined : (r) => process.stderr.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.durationMs} ms)\n`),
    });
    const planOut = plan && {
      targets: plan.targets.length,
      runnablePaths: plan.paths.length,
      selected: runs.length - scenarios.length,
      generated: plan.generated.map((g) => ({ targets: g.targets, runnable: g.runnable, reason: g.reason, replacedBy: g.replacedBy })),
      notRunnableTargets: plan.notRunnableTargets,
      unreachable: plan.unreachable,
      paths: plan.paths.slice(0, runs.length - scenarios.length).map((x) => ({ name: x.name, adds: x.adds, description: x.scenario.description })),
      coverage: plannedCoverage(plan, runs.length - scenarios.length, report.results.slice(scenarios.length)),
    };
    if (json) await write(JSON.stringify({ ...report, plan: planOut, tracesDir }, null, 1) + '\n');
    else await write((plan ? formatPlan(plan, runs.length - scenarios.length) + '\n' : '') + formatReport(report) + (planOut ? formatPlannedCoverage(planOut.coverage) : '') + `traces: ${tracesDir}\n`);
    return report.mismatches.length ? 1 : 0;
  } finally {
    await disposeAll();
  }
}
