// One QEMU process in one role: its migration-status chart and its run-state chart as parallel
// regions of one machine, with the process's data (capabilities, parameters, ...) as context.
// QMP commands arrive as one event type; the profile's rule table decides, `snapshot.can()` answers
// "permitted?", and a rejected command takes no transition.
import { setup, assign, transition, type SnapshotFrom, type StateValue } from 'xstate';
import { chartConfig, type Region } from './chart.ts';
import { coloChart } from './colo.ts';
import { failoverChart } from './failover.ts';
import { returnPathChart } from './return-path.ts';
import type { Profile, SideState, ChartTransition } from './profile.ts';
import { applyEffects } from './effects.ts';
import { contextKey } from './state-key.ts';
import { decide, evalCond, movingRule, type Decision } from './rules.ts';
import { sourceStatusChart } from './source-status.ts';
import { destinationStatusChart } from './destination-status.ts';
import { runStateChart } from './run-state.ts';
import type { IncomingMode, RunState, Side, SideEvent, QmpArguments } from './vocabulary.ts';

export interface SideInput {
  side: Side;
  /** Destination: how -incoming was given. */
  incoming?: IncomingMode;
  /** Started with -S (source: prelaunch; destination: autostart off). */
  paused?: boolean;
  /** Started with -uuid (system/vl.c: qemu_uuid, qemu_uuid_set). */
  uuid?: string;
  /** Destination: started with a further `-incoming cpr,...` (cpr-transfer): SideState.cprLoading. */
  cpr?: boolean;
}

/**
 * Whether a command reaches the process. With `-incoming cpr` (cpr-transfer, QEMU >= 10.0) qemu_init
 * waits in cpr_state_load for the source's cpr state before it creates the monitor (system/vl.c:
 * qemu_init), so until the pair step cpr-transfer no command is read: no answer, no effect. The one
 * reading of SideState.cprLoading for that: the pair (its reply and its reason), the searches and the
 * path planner (no such step), the matrix (no such row).
 */
export function monitorUp(c: SideState): boolean {
  return !c.cprLoading;
}

/** Whether the profile has destinations started with `-incoming cpr` (its dst.cpr-loaded transitions). */
export function hasIncomingCpr(p: Profile): boolean {
  return p.transitions.some((t) => t.event === 'cpr-loaded');
}

// Decisions are pure functions of (context, event); both are immutable, so cache by identity: a
// guard may be asked about the same event several times in one step.
const decisionCache = new WeakMap<object, WeakMap<object, Decision>>();
function decideFor(p: Profile, context: SideState, event: SideEvent): Decision | null {
  if (event.type !== 'qmp') return null;
  let m = decisionCache.get(context);
  if (!m) decisionCache.set(context, (m = new WeakMap()));
  let d = m.get(event);
  if (!d) {
    d = decide(p, context, event.command, event.arguments ?? {});
    m.set(event, d);
  }
  return d;
}

/** The data changes a chart transition makes along the way (effects.ts: the same table as the commands'). */
export function applyTransitionEffects(s: SideState, t: ChartTransition): SideState {
  return applyEffects(s, t.effects);
}

export function initialSideState(input: SideInput): SideState {
  const dest = input.side === 'destination';
  const runstate: RunState = dest ? 'inmigrate' : input.paused ? 'prelaunch' : 'running';
  return {
    side: input.side,
    status: 'none',
    runstate,
    caps: [],
    params: {},
    incoming: dest ? (input.incoming ?? 'defer') : null,
    listening: false,
    incomingStarted: false,
    autostart: !input.paused,
    startPostcopy: false,
    resumeRequested: false,
    vmOldState: runstate,
    exitOnError: true,
    blocked: [],
    colo: 'none',
    failover: 'none',
    rp: 'closed',
    lastMode: 'none',
    yankRegistered: false,
    coloEnabled: false,
    pausePosted: false,
    cancelRequested: false,
    postcopyStarted: false,
    parked: false,
    globalState: 'running',
    outgoing: 'none',
    fds: [],
    fdsets: [],
    transport: 'none',
    uuid: input.uuid ?? null,
    wasSuspended: false,
    cprLoading: dest && input.cpr ? (input.incoming ?? 'defer') : false,
  };
}

function buildSideMachine(p: Profile, side: Side, initialRun: RunState) {
  const transitionsById = new Map(p.transitions.map((t) => [t.id, t]));
  const statusSpec = side === 'source' ? sourceStatusChart(p) : destinationStatusChart(p);
  const runSpec = runStateChart(p, side, initialRun);
  return setup({
    types: {
      context: {} as SideState,
      events: {} as SideEvent,
      input: {} as SideInput,
    },
    guards: {
      /** The first matching row of the rule table for this command is `rule`, and it accepts (or refuses, leaving the status changed). */
      ruleFires: ({ context, event }, params: { rule: string }) => {
        return movingRule(decideFor(p, context, event)) === params.rule;
      },
      /** Accepted (or refused, leaving data changed), and no chart moves: only the process's data changes (or nothing). */
      acceptedInPlace: ({ context, event }) => {
        const d = decideFor(p, context, event);
        if (!d) return false;
        if (!d.allowed) return !!d.next && !d.rule!.reject!.status;
        return !d.rule.accept!.status && !d.rule.accept!.runstate && !d.rule.accept!.failover;
      },
      transitionEnabled: ({ context }, params: { transition: string }) =>
        evalCond(transitionsById.get(params.transition)!.when, context, {}, p) !== false,
    },
    actions: {
      applyQmp: assign(({ context, event }) => {
        const d = decideFor(p, context, event)!;
        return d.next ?? context;
      }),
      applyTransition: assign(({ context }, params: { transition: string }) =>
        applyTransitionEffects(context, transitionsById.get(params.transition)!),
      ),
      /** Mirrors a region's new leaf into the data the rules read. */
      enterRegion: assign((_, params: { field: string; value: string }) => ({ [params.field]: params.value }) as Partial<SideState>),
    },
  }).createMachine({
    id: side,
    type: 'parallel',
    context: ({ input }) => initialSideState(input),
    on: {
      qmp: { guard: 'acceptedInPlace', actions: 'applyQmp', meta: { ref: 'the rule table', label: 'qmp', kind: 'qmp' } },
    },
    states: {
      status: chartConfig(p, statusSpec) as never,
      run: chartConfig(p, runSpec) as never,
      colo: chartConfig(p, coloChart(p, side)) as never,
      failover: chartConfig(p, failoverChart(p, side)) as never,
      rp: chartConfig(p, returnPathChart(p, side)) as never,
    },
  });
}

export type SideMachine = ReturnType<typeof buildSideMachine>;
export type SideSnapshot = SnapshotFrom<SideMachine>;
export type { Region };

const machineCache = new WeakMap<Profile, Map<string, SideMachine>>();
/** The side machine of a profile (built once). `initialRun` picks the run state it boots in. */
export function sideMachine(p: Profile, side: Side, initialRun?: RunState): SideMachine {
  const run = initialRun ?? (side === 'destination' ? 'inmigrate' : 'running');
  let m = machineCache.get(p);
  if (!m) machineCache.set(p, (m = new Map()));
  const key = `${side}/${run}`;
  let machine = m.get(key);
  if (!machine) m.set(key, (machine = buildSideMachine(p, side, run)));
  return machine;
}

/**
 * A QEMU in one role as it starts, before `-incoming URI` is acted on (startSide does that; the
 * viewer acts on it after the setup form's capabilities). The machine is resolved at its initial
 * configuration, whose context already mirrors each region's initial leaf, so it is the snapshot
 * xstate's `initialTransition` gives (model-tests/fast-step.test.ts compares them for every
 * profile and input) without running the entry actions, which on the viewer's cold start cost
 * about a tenth of its script's time to the first render (120 -> 109 ms, interleaved loads).
 */
export function bootSide(p: Profile, input: SideInput): SideSnapshot {
  const init = initialSideState(input);
  return sideMachine(p, input.side, init.runstate).resolveState({ value: valueOfContext(init) as StateValue, context: init });
}

/**
 * A freshly started QEMU in one role. `-incoming URI` is QEMU calling qmp_migrate_incoming()
 * itself at start-up (system/vl.c: qemu_init), so it is that command applied before anything else.
 */
export function startSide(p: Profile, input: SideInput): SideSnapshot {
  let snap = bootSide(p, input);
  // With -incoming cpr the URI is listened on only once the cpr state is loaded (dst.cpr-loaded.listen).
  if (input.side === 'destination' && input.incoming === 'uri' && !input.cpr) {
    snap = stepSide(p, snap, { type: 'qmp', command: 'migrate-incoming', arguments: { uri: 'tcp:127.0.0.1:0' } }).snapshot;
  }
  return snap;
}

export interface StepResult {
  snapshot: SideSnapshot;
  /** For a QMP command: QEMU's decision (reply or error). */
  decision: Decision | null;
  /** Whether any chart or data changed. */
  changed: boolean;
}

/** Sends one event to a side, purely (xstate's `transition`). */
export function stepSide(p: Profile, snap: SideSnapshot, event: SideEvent): StepResult {
  const machine = snap.machine as SideMachine;
  const decision = event.type === 'qmp' ? decideFor(p, snap.context, event) : null;
  if (decision?.allowed && decision.rule.accept!.becomes) {
    // The process takes the other role (Accept.becomes): the other role's machine, resolved at the
    // state the rule leads to (its context mirrors every region).
    const c = decision.next;
    const other = sideMachine(p, c.side);
    return { snapshot: other.resolveState({ value: valueOfContext(c) as StateValue, context: c }), decision, changed: true };
  }
  const [next] = transition(machine, snap, event);
  return { snapshot: next, decision, changed: next !== snap && stateKey(next) !== stateKey(snap) };
}

/** The state value of a side machine whose context is `c` (the context mirrors every region; COLO's leaf is a path). */
export function valueOfContext(c: SideState): Record<string, unknown> {
  const nest = (path: string): unknown => {
    const parts = path.split('.');
    let v: unknown = parts[parts.length - 1];
    for (let i = parts.length - 2; i >= 0; i--) v = { [parts[i]]: v };
    return v;
  };
  return { status: c.status, run: c.runstate, colo: nest(c.colo), failover: nest(c.failover), rp: nest(c.rp) };
}

/**
 * A key that identifies a side's state: chart configuration and all the data the rules read. The
 * context mirrors every region (state-key.ts), so this is the data's key: the same string as
 * fast-step.ts contextKey, and cached with it.
 */
export function stateKey(s: SideSnapshot): string {
  return contextKey(s.context);
}

export function qmp(command: string, args?: QmpArguments): SideEvent {
  return args ? { type: 'qmp', command, arguments: args } : { type: 'qmp', command };
}

/** The data view the rules read. The context mirrors the charts; this is that mirror. */
export function viewOf(snap: SideSnapshot): SideState {
  return snap.context;
}
