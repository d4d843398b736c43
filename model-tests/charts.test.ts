// Issue 2: every transition of every chart is taken, per profile and side, and lands where it says;
// every command is handled in every reachable state; every status of a profile is reachable.
import { describe, expect, it } from 'vitest';
import { PROFILES, SIDES, decide, matrixProbes, mayMove, stepSide, type ChartEdge } from '../machines/index.ts';
import { allSteps, alphabet, edgeId, edgesOf } from './helpers.ts';

const coverage: string[] = [];

describe.each(PROFILES.map((p) => [p.name, p] as const))('profile %s', (_name, p) => {
  describe.each(SIDES.map((s) => [s] as const))('%s', (side) => {
    const { reached, steps } = allSteps(p, side);
    const edges = edgesOf(p, side);

    it('takes every transition of its status and run-state charts, landing where the chart says', () => {
      const taken = new Map<string, ChartEdge>();
      for (const s of steps) {
        for (const e of s.taken) {
          taken.set(edgeId(e), e);
          const landed = e.chart === 'run-state' ? s.after.context.runstate : s.after.context.status;
          expect(landed, `${edgeId(e)} from ${JSON.stringify(s.before.value)}`).toBe(e.to);
          expect(s.after.matches((e.chart === 'run-state' ? { run: e.to } : { status: e.to }) as never)).toBe(true);
        }
      }
      const missing = edges.filter((e) => !taken.has(edgeId(e))).map(edgeId);
      coverage.push(`${p.name} ${side}: ${taken.size}/${edges.length} transitions, ${new Set(reached.map((r) => r.snapshot.context.status)).size}/${p.statuses[side].length} statuses`);
      expect(missing).toEqual([]);
    });

    it('reaches every status the profile has on this side', () => {
      const seen = new Set(reached.map((r) => r.snapshot.context.status));
      expect(p.statuses[side].filter((s) => !seen.has(s))).toEqual([]);
    });

    it('answers every command in every reachable state, with QEMU-shaped replies', () => {
      for (const r of reached) {
        for (const probe of matrixProbes(p)) {
          const d = decide(p, r.snapshot.context, probe.command, probe.arguments ?? {});
          if (d.allowed) {
            expect(d.reply).toBeTypeOf('object');
          } else {
            expect(d.error.class).toMatch(/^(GenericError|CommandNotFound|DeviceNotFound)$/);
            expect(d.error.desc.length).toBeGreaterThan(5);
            expect(d.error.desc).not.toMatch(/\{\w+\}/); // every placeholder filled
          }
        }
      }
    });

    it('a rejected command changes nothing; an accepted one changes only what its rule says', () => {
      for (const r of reached) {
        for (const probe of matrixProbes(p)) {
          const res = stepSide(p, r.snapshot, { type: 'qmp', command: probe.command, arguments: probe.arguments });
          if (!res.decision!.allowed) {
            expect(res.changed, `${probe.label} in ${JSON.stringify(r.snapshot.value)}`).toBe(false);
            continue;
          }
          const a = res.decision!.rule.accept!;
          expect(res.snapshot.context.status).toBe(a.status ?? r.snapshot.context.status);
          expect(res.snapshot.context.runstate).toBe(a.runstate ?? r.snapshot.context.runstate);
        }
      }
    });

    it('the search filter never skips an event that would move the state', () => {
      for (const r of reached) {
        for (const e of alphabet(p, side)) {
          if (mayMove(p, r.snapshot.context, e)) continue;
          expect(stepSide(p, r.snapshot, e).changed, `${JSON.stringify(e)} in ${JSON.stringify(r.snapshot.value)}`).toBe(false);
        }
      }
    });

    it('keeps the context mirror equal to the charts', () => {
      for (const r of reached) {
        const v = r.snapshot.value as { status: string; run: string };
        expect(r.snapshot.context.status).toBe(v.status);
        expect(r.snapshot.context.runstate).toBe(v.run);
      }
    });
  });
});

it('prints coverage', () => {
  console.log(`chart coverage:\n  ${coverage.join('\n  ')}`);
  expect(coverage.length).toBe(PROFILES.length * SIDES.length);
});
