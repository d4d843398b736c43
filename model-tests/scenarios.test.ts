// Issue 3: the scenarios from the material run end to end in the composed pair, for every profile,
// asserted step by step: each QMP reply, and status, run state, COLO, failover and return-path state.
import { describe, expect, it } from 'vitest';
import { PROFILES, buildReply, stepPair, startPair, type PairState, type Side } from '../machines/index.ts';
import { allScenarios, type SideExpect } from './scenarios.ts';

function check(s: PairState, vm: Side, e: SideExpect, where: string, p: (typeof PROFILES)[number]) {
  const snap = s[vm];
  if (e.exited !== undefined) expect(snap === null, `${where}: ${vm} exited`).toBe(e.exited);
  if (!snap) return;
  const c = snap.context;
  const got: Record<string, unknown> = {};
  const want: Record<string, unknown> = {};
  for (const k of ['status', 'runstate', 'colo', 'failover', 'rp'] as const) {
    if (e[k] === undefined) continue;
    got[k] = c[k];
    want[k] = e[k];
  }
  if (e.fdsets) {
    got.fdsets = buildReply('query-fdsets', c, p);
    want.fdsets = e.fdsets;
  }
  if (e.coloStatus) {
    got.coloStatus = buildReply('query-colo-status', c, p);
    want.coloStatus = e.coloStatus;
  }
  expect(got, `${where}: ${vm}`).toEqual(want);
}

describe.each(PROFILES.map((p) => [p.name, p] as const))('%s', (_n, p) => {
  it.each(allScenarios(p).map((s) => [s.name, s] as const))('%s', (_name, sc) => {
    let s = startPair(p, { incoming: sc.incoming, sourceUuid: sc.uuids?.source, destinationUuid: sc.uuids?.destination, cprTransfer: sc.cprTransfer, noDestination: sc.noDestination });
    sc.steps.forEach((st, i) => {
      const e = st.event;
      const where = `step ${i + 1} (${e.type === 'qmp' ? `${e.vm} ${e.command}` : e.type === 'sync' ? e.name : e.type === 'fault' ? e.fault : e.type})`;
      const r = stepPair(p, s, e);
      if (e.type === 'qmp') {
        const want = st.reply ?? 'ok';
        const got = r.reply && 'return' in r.reply ? 'ok' : r.reply && 'error' in r.reply ? r.reply.error.desc : r.reply && 'noMonitor' in r.reply ? 'no monitor' : 'exited';
        expect(got, `${where}: reply`).toBe(want);
      } else {
        expect(r.changed, `${where}: must be possible here`).toBe(true);
      }
      s = r.state;
      if (st.source) check(s, 'source', st.source, where, p);
      if (st.destination) check(s, 'destination', st.destination, where, p);
      if (st.channel) expect(s.channel.value, `${where}: channel`).toBe(st.channel);
    });
  });
});
