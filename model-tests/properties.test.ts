// fast-check model-based tests of the pair: random sequences of QMP commands (on either side),
// synchronised steps and faults. The model is the pair (stepPair); the "real system" is an adapter
// behind an interface, so the same commands can later drive two real QEMU processes. After every
// command the replies must agree and every claimed invariant must hold. Failures shrink to a minimal
// sequence; fast-check prints the seed and the path to replay it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProfile, profileNames, startPair, stepPair, enabledInternal, SYNC, FAULTS, type PairState, type PairEvent, type PairReply, type Profile, type Side } from '../machines/index.ts';
import { invariantsFor, knownViolations } from '../machines/invariants.ts';
import { pairProbes, eventText } from '../machines/explore-pair.ts';
import type { MigrationPairSystem } from './pair-system.ts';

export type { MigrationPairSystem };

/** The model itself as a system under test. */
export class ModelPairSystem implements MigrationPairSystem {
  state: PairState;
  constructor(readonly p: Profile) {
    this.state = startPair(p);
  }
  async start(input: { incoming: 'defer' | 'uri'; sourcePaused: boolean; destinationPaused: boolean }) {
    this.state = startPair(this.p, input);
  }
  async qmp(vm: Side, command: string, args?: Record<string, unknown>) {
    const r = stepPair(this.p, this.state, args ? { type: 'qmp', vm, command, arguments: args } : { type: 'qmp', vm, command });
    this.state = r.state;
    return r.reply!;
  }
  async settle(sync: string) {
    this.state = stepPair(this.p, this.state, { type: 'sync', name: sync }).state;
  }
  async fault(f: (typeof FAULTS)[number]) {
    this.state = stepPair(this.p, this.state, { type: 'fault', fault: f }).state;
  }
  async observe(vm: Side) {
    const c = this.state[vm]?.context;
    return c ? { status: c.status, runstate: c.runstate } : null;
  }
  async stop() {}
}

interface Model {
  p: Profile;
  state: PairState;
  log: string[];
}

function checkInvariants(m: Model) {
  const known = new Set(knownViolations(m.p).map((k) => k.invariant));
  const bad = invariantsFor(m.p).filter((i) => !known.has(i.name) && !i.holds(m.state, m.p)).map((i) => i.name);
  expect(bad, `after: ${m.log.join(' ; ')}`).toEqual([]);
}

class Cmd implements fc.AsyncCommand<Model, MigrationPairSystem> {
  constructor(readonly e: PairEvent) {}
  check(m: Readonly<Model>): boolean {
    if (this.e.type === 'qmp') return true;
    // internal steps and faults only where they can happen
    return enabledInternal(m.p, m.state).some((x) => JSON.stringify(x) === JSON.stringify(this.e));
  }
  async run(m: Model, real: MigrationPairSystem): Promise<void> {
    const r = stepPair(m.p, m.state, this.e);
    m.state = r.state;
    m.log.push(eventText(this.e));
    if (this.e.type === 'qmp') {
      const got = await real.qmp(this.e.vm, this.e.command, this.e.arguments);
      expect(got, eventText(this.e)).toEqual(r.reply);
    } else if (this.e.type === 'sync') await real.settle(this.e.name);
    else if (this.e.type === 'fault') await real.fault(this.e.fault);
    for (const vm of ['source', 'destination'] as const) {
      const c = m.state[vm]?.context;
      expect(await real.observe(vm)).toEqual(c ? { status: c.status, runstate: c.runstate } : null);
    }
    checkInvariants(m);
  }
  toString(): string {
    return eventText(this.e);
  }
}

function commandsFor(p: Profile) {
  const qmp: PairEvent[] = [];
  for (const vm of ['source', 'destination'] as const)
    for (const x of pairProbes(p, vm)) qmp.push(x.arguments ? { type: 'qmp', vm, command: x.command, arguments: x.arguments } : { type: 'qmp', vm, command: x.command });
  const caps = ['postcopy-ram', 'return-path', 'x-colo', 'pause-before-switchover'];
  const setCaps = fc.tuple(fc.constantFrom<Side>('source', 'destination'), fc.subarray(caps)).map(([vm, cs]) => new Cmd({ type: 'qmp', vm, command: 'migrate-set-capabilities', arguments: { capabilities: cs.map((capability) => ({ capability, state: true })) } }));
  const internal: PairEvent[] = [...SYNC.map((s) => ({ type: 'sync', name: s.name }) as PairEvent), ...FAULTS.map((f) => ({ type: 'fault', fault: f }) as PairEvent)];
  return [
    fc.constantFrom(...qmp).map((e) => new Cmd(e)),
    setCaps,
    // internal steps weigh more: a migration needs many of them
    fc.constantFrom(...internal).map((e) => new Cmd(e)),
    fc.constantFrom(...internal).map((e) => new Cmd(e)),
    fc.constantFrom(...internal).map((e) => new Cmd(e)),
  ];
}

describe.each(profileNames().map((n) => [n] as const))('%s: random command sequences against the model adapter', (name) => {
  const p = getProfile(name);
  it('replies agree and every invariant holds after every command', { timeout: 120_000 }, async () => {
    const start = fc.record({ incoming: fc.constantFrom<'defer' | 'uri'>('defer', 'uri'), sourcePaused: fc.boolean(), destinationPaused: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(start, fc.commands(commandsFor(p), { maxCommands: 40 }), async (input, cmds) => {
        const real = new ModelPairSystem(p);
        await real.start(input);
        const model: Model = { p, state: startPair(p, input), log: [`start ${JSON.stringify(input)}`] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await real.stop();
      }),
      { numRuns: 150, verbose: 1 },
    );
  });
});
