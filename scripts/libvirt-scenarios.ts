// Runs the libvirt scenarios (model-tests/libvirt/scenarios.ts) with private libvirtd daemons and
// real QEMU, writes OUTDIR/<scenario>[.src|.dst].log and OUTDIR/summary.json, and for each log what
// `migstate import-libvirt LOG | migstate check-trace --profile PROFILE -` says.
//
//   npx tsx scripts/libvirt-scenarios.ts OUTDIR [--qemu PATH|10.0] [--only NAME,...] [--jobs N] [--profile P] [--no-check]
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importAndCheck } from '../model-tests/libvirt/check.ts';
import { libvirtUnavailable, SYSTEM_QEMU } from '../model-tests/libvirt/libvirtd.ts';
import { QEMU_10_WRAPPER, SCENARIOS, runScenarios } from '../model-tests/libvirt/scenarios.ts';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const flag = (name: string) => {
  const i = argv.indexOf(name);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
};
let qemu = opt('--qemu') ?? SYSTEM_QEMU;
if (qemu === '10.0') qemu = QEMU_10_WRAPPER;
const only = opt('--only');
const jobs = Number(opt('--jobs') ?? 2);
const noCheck = flag('--no-check');
const profile = opt('--profile') ?? (qemu === QEMU_10_WRAPPER ? 'qemu-10.0' : 'qemu-7.2');
const outDir = argv[0];
if (!outDir || argv.length !== 1) {
  console.error('usage: npx tsx scripts/libvirt-scenarios.ts OUTDIR [--qemu PATH|10.0] [--only NAME,...] [--jobs N] [--profile P] [--no-check]');
  console.error(`scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const why = libvirtUnavailable();
if (why) {
  console.error(`libvirt-scenarios: cannot run: ${why}`);
  process.exit(3);
}
const names = only ? only.split(',') : SCENARIOS.map((s) => s.name);
const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}`);
  process.exit(2);
}
const list = SCENARIOS.filter((s) => names.includes(s.name));
const t0 = Date.now();
const results = await runScenarios(list, resolve(outDir), {
  qemu,
  jobs,
  onDone: (r) => {
    const bad = r.steps.filter((s) => !s.ok).map((s) => `virsh ${s.args[0]} → ${s.code}: ${s.stderr.split('\n')[0]}`);
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.scenario} (${r.seconds.toFixed(1)} s)${r.error ? ` error: ${r.error}` : ''}${bad.length ? `\n       ${bad.join('\n       ')}` : ''}`);
  },
});
const summary = results.map((r) => ({
  ...r,
  logs: r.logs.map((l) => {
    if (noCheck) return l;
    const c = importAndCheck(join(resolve(outDir), l.file), profile);
    return { ...l, check: { profile, ...c } };
  }),
}));
writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ qemu, profile, seconds: (Date.now() - t0) / 1000, scenarios: summary }, null, 2) + '\n');
for (const s of summary)
  for (const l of s.logs as { file: string; check?: ReturnType<typeof importAndCheck> }[])
    if (l.check) console.log(`${l.check.checkCode === 0 ? 'conforms ' : 'departs  '} ${l.file}: ${l.check.checkStderr.split('\n').pop()}${l.check.checkCode === 0 ? '' : `\n          ${l.check.departures[0] ?? ''}`}`);
console.log(`${results.filter((r) => r.ok).length}/${results.length} scenarios ran as expected in ${((Date.now() - t0) / 1000).toFixed(0)} s; logs and summary.json in ${outDir}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
