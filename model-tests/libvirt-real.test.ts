// libvirt as a real component: private libvirtd daemons (model-tests/libvirt/libvirtd.ts: own
// config, sockets, run/state/cache/log folders, each in its own mount namespace) drive real QEMU 7.2
// through real virsh scenarios (model-tests/libvirt/scenarios.ts: save/restore, managedsave, dumps,
// a memory snapshot, aborted save, truncated restore, daemon restart, and live migrations: precopy,
// p2p, aborted, destination killed, multifd+xbzrle+auto-converge, mt compression, postcopy, postcopy
// after precopy, postcopy paused and resumed). Each log is then imported and checked by the real CLI:
//   node cli/bin.js import-libvirt LOG | node cli/bin.js check-trace --profile qemu-7.2 -
// The same on QEMU 10.0 (scripts/fetch-qemu-10.0.sh), checked with qemu-10.0; where libvirt 9.0 and
// 10.0 disagree (xbzrle with multifd, mt compression) the scenario expects the refusal, a finding.
// MIGSTATE_LIBVIRT_LOGS=DIR keeps the logs and summary.json in DIR/7.2 and DIR/10.0 (otherwise temp folders, removed).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importAndCheck } from './libvirt/check.ts';
import { libvirtUnavailable } from './libvirt/libvirtd.ts';
import { QEMU_10_WRAPPER, SCENARIOS, logFiles, runScenarios, type ScenarioResult } from './libvirt/scenarios.ts';

const why = libvirtUnavailable();
const BINARIES = [
  { version: '7.2', profile: 'qemu-7.2', qemu: undefined, missing: null },
  { version: '10.0', profile: 'qemu-10.0', qemu: QEMU_10_WRAPPER, missing: existsSync(QEMU_10_WRAPPER) ? null : `no QEMU 10.0 at ${QEMU_10_WRAPPER} (scripts/fetch-qemu-10.0.sh)` },
] as const;

function libvirtSuite(bin: (typeof BINARIES)[number]): void {
  const skip = why ?? bin.missing;
  const PROFILE = bin.profile;
  describe.skipIf(skip !== null)(`libvirt 9.0 + QEMU ${bin.version}: real virsh scenarios${skip ? ` — skipped: ${skip}` : ''}`, () => {
    const keep = process.env.MIGSTATE_LIBVIRT_LOGS ? join(process.env.MIGSTATE_LIBVIRT_LOGS, bin.version) : undefined;
    let outDir = '';
    const results = new Map<string, ScenarioResult>();

    beforeAll(async () => {
      if (keep) mkdirSync((outDir = keep), { recursive: true });
      else outDir = mkdtempSync(join(tmpdir(), 'migstate-libvirt-logs-'));
      for (const r of await runScenarios(SCENARIOS, outDir, { jobs: 2, qemu: bin.qemu })) results.set(r.scenario, r);
      writeFileSync(join(outDir, 'summary.json'), JSON.stringify([...results.values()], null, 2) + '\n');
    }, 20 * 60_000);

    afterAll(() => {
      if (!keep && outDir) rmSync(outDir, { recursive: true, force: true });
    });

    for (const s of SCENARIOS) {
      describe(s.name, () => {
        it(`virsh: ${s.what}`, () => {
          const r = results.get(s.name);
          expect(r, 'the scenario ran').toBeDefined();
          const failed = r!.steps.filter((x) => !x.ok).map((x) => `${x.on}: virsh ${x.args.join(' ')} → ${x.code} (expected ${x.expect}): ${x.stderr}`);
          expect({ error: r!.error, failed }).toEqual({ error: null, failed: [] });
        });

        for (const { file } of logFiles(s))
          it(`${file}: import-libvirt | check-trace --profile ${PROFILE} conforms`, () => {
            const r = results.get(s.name);
            expect(r?.logs.some((l) => l.file === file), 'the log was written').toBe(true);
            const c = importAndCheck(join(outDir, file), PROFILE);
            expect(c.importCode, c.importStderr).toBe(0);
            expect(c.traceLines).toBeGreaterThan(0);
            expect(c.checkCode, `${c.checkStderr}\n${c.departures.join('\n')}`).toBe(0);
          });
      });
    }
  });
}

for (const bin of BINARIES) libvirtSuite(bin);
