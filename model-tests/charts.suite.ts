// Issue 2 and 3: every transition of every chart (status, run state, COLO, failover, return path)
// is taken, per profile and side, and lands where it says; every command is handled in every
// reachable state; every status of a profile is reachable. One test file per profile runs this.
import { describe, expect, it } from 'vitest';
import { SIDES, decide, exploreSide, getProfile, matrixProbes, mayMove, stepSide, type ChartEdge } from '../machines/index.ts';
import { allSteps, alphabet, edgeId, edgesOf } from './helpers.ts';

export function chartSuite(profileName: string): void {
  const p = getProfile(profileName);
  const coverage: string[] = [];
  describe.each(SIDES.map((s) => [s] as const))(`${profileName} %s`, (side) => {
    const { reached, steps } = allSteps(p, side);
    const edges = edgesOf(p, side);

    it('takes every transition of its five charts, landing where the chart says', () => {
      const taken = new Map<string, ChartEdge>();
      for (const s of steps) {
        for (const e of s.taken) {
          taken.set(edgeId(e), e);
          const field = { status: 'status', run: 'runstate', colo: 'colo', failover: 'failover', rp: 'rp' } as const;
          expect(s.after.context[field[e.region]], `${edgeId(e)} from ${JSON.stringify(s.before.value)}`).toBe(e.to);
        }
      }
      const missing = edges.filter((e) => !taken.has(edgeId(e))).map(edgeId);
      const statuses = new Set(reached.map((r) => r.snapshot.context.status)).size;
      coverage.push(`${profileName} ${side}: ${taken.size}/${edges.length} transitions, ${statuses}/${p.statuses[side].length} statuses, ${reached.length} states`);
      console.log(coverage.at(-1));
      expect(missing).toEqual([]);
    });

    it('reaches every status the profile has on this side', () => {
      const seen = new Set(reached.map((r) => r.snapshot.context.status));
      expect(p.statuses[side].filter((s) => !seen.has(s))).toEqual([]);
    });

    it('answers every command in every reachable state: QEMU-shaped, and a rejection changes nothing but what its row says QEMU leaves (Reject.status / outgoing)', () => {
      for (const r of reached) {
        for (const probe of matrixProbes(p)) {
          const d = decide(p, r.snapshot.context, probe.command, probe.arguments ?? {});
          if (d.allowed) {
            expect(d.reply).toBeTypeOf('object');
            const a = d.rule.accept!;
            expect(d.next.status).toBe(a.status ?? r.snapshot.context.status);
            expect(d.next.runstate).toBe(a.runstate ?? r.snapshot.context.runstate);
          } else {
            expect(d.error.class).toMatch(/^(GenericError|CommandNotFound|DeviceNotFound)$/);
            expect(d.error.desc).not.toMatch(/\{\w+\}/); // every placeholder filled
            const leaves = d.rule?.reject?.status !== undefined || d.rule?.reject?.outgoing !== undefined;
            expect(mayMove(p, r.snapshot.context, { type: 'qmp', command: probe.command, arguments: probe.arguments })).toBe(leaves);
            if (leaves) {
              expect(d.next!.status).toBe(d.rule!.reject!.status ?? r.snapshot.context.status);
              expect(d.next!.outgoing).toBe(d.rule!.reject!.outgoing ?? r.snapshot.context.outgoing);
              expect(d.next!.runstate).toBe(r.snapshot.context.runstate);
            } else expect(d.next).toBeUndefined();
          }
        }
      }
    });

    it('the search filter never skips an event that would move the state (default caps and x-colo)', () => {
      // Every event stepped in every state is ~40 xstate steps a state: the first 1,500 states in
      // breadth-first order (the same every run) reach every region, so the check stays affordable.
      for (const caps of [[], ['x-colo', 'return-path']]) {
        for (const r of exploreSide(p, side, caps).slice(0, 1500)) {
          for (const e of alphabet(p, side)) {
            if (mayMove(p, r.snapshot.context, e)) continue;
            const step = stepSide(p, r.snapshot, e);
            // By design: a process that takes the other role leaves this side's search (explore.ts mayMove).
            if (step.decision?.allowed && step.decision.rule.accept!.becomes) continue;
            expect(step.changed, `${JSON.stringify(e)} in ${JSON.stringify(r.snapshot.value)}`).toBe(false);
          }
        }
      }
    }, 240_000);

    it('keeps the context mirror equal to the charts', () => {
      for (const r of reached) {
        const v = r.snapshot.value as Record<string, unknown>;
        expect(r.snapshot.context.status).toBe(v.status);
        expect(r.snapshot.context.runstate).toBe(v.run);
        expect(r.snapshot.matches({ colo: r.snapshot.context.colo.split('.').reduceRight<unknown>((acc, k) => (acc === null ? k : { [k]: acc }), null) } as never)).toBe(true);
        expect(r.snapshot.context.failover).toBe(v.failover);
        expect(r.snapshot.context.rp).toBe(v.rp);
      }
    });
  });
}
