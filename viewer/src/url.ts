// Deep links: the URL's hash holds the view, the profile, the capabilities, the start options and
// the steps taken, so a link reproduces a simulation exactly.
import { FAULTS, SYNC, type Fault, type PairEvent, type QmpArguments, type Side } from '../../machines/index.ts';
import { DEFAULT_CONFIG, type SimConfig, type SimStep } from './sim.ts';

export interface UrlState {
  tab: string;
  config: SimConfig;
  steps: SimStep[];
  matrix?: { a?: string; b?: string; side?: string; diff?: boolean; show?: string; changedRows?: boolean };
  /** The trace replay's step (0-based; `rstep` in the hash, 1-based): replay-view.ts keeps it there. */
  replayStep?: number;
}

// One step a list: ['s' | 'd', command, arguments?] a QMP command to the source or destination;
// ['sync', name] a synchronised step; ['fault', fault]; ['restart', incoming?] a fresh destination.
type Encoded = [string, string?, unknown?];

export function encodeSteps(steps: SimStep[]): string {
  const list: Encoded[] = steps.map(({ event: e }) => {
    if (e.type === 'qmp') {
      const side = e.vm === 'source' ? 's' : 'd';
      return e.arguments ? [side, e.command, e.arguments] : [side, e.command];
    }
    if (e.type === 'sync') return ['sync', e.name];
    if (e.type === 'fault') return ['fault', e.fault];
    return e.incoming ? ['restart', e.incoming] : ['restart'];
  });
  return JSON.stringify(list);
}

/** Links written before the pair (['s', '!setup-done']): the synchronised step that takes that event. */
function legacyStep(vm: Side, type: string): PairEvent | null {
  const spec = SYNC.find((x) => x.steps.some((s) => s.vm === vm && s.event === type && !s.optional)) ?? SYNC.find((x) => x.steps.some((s) => s.vm === vm && s.event === type));
  return spec ? { type: 'sync', name: spec.name } : null;
}

export function decodeSteps(text: string): SimStep[] {
  const list = JSON.parse(text) as Encoded[];
  if (!Array.isArray(list)) throw new Error('steps must be a list');
  const out: SimStep[] = [];
  for (const item of list) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') throw new Error(`not a step: ${JSON.stringify(item)}`);
    const [k, e, a] = item;
    let event: PairEvent | null;
    if (k === 's' || k === 'd') {
      const vm: Side = k === 's' ? 'source' : 'destination';
      if (typeof e !== 'string') throw new Error(`a command name is missing: ${JSON.stringify(item)}`);
      if (e.startsWith('!')) {
        event = legacyStep(vm, e.slice(1));
        // The old link gave each side's half of a synchronised step: keep one.
        const prev = out[out.length - 1]?.event;
        if (!event || (prev?.type === 'sync' && event.type === 'sync' && prev.name === event.name)) continue;
      } else event = a ? { type: 'qmp', vm, command: e, arguments: a as QmpArguments } : { type: 'qmp', vm, command: e };
    } else if (k === 'sync' && typeof e === 'string') event = { type: 'sync', name: e };
    else if (k === 'fault' && (FAULTS as readonly string[]).includes(e ?? '')) event = { type: 'fault', fault: e as Fault };
    else if (k === 'restart') event = e === 'uri' || e === 'defer' ? { type: 'restart-destination', incoming: e } : { type: 'restart-destination' };
    else throw new Error(`not a step: ${JSON.stringify(item)}`);
    out.push({ event });
  }
  return out;
}

export function writeUrl(s: UrlState): string {
  const q = new URLSearchParams();
  q.set('view', s.tab);
  q.set('profile', s.config.profile);
  if (s.config.caps.length) q.set('caps', s.config.caps.join(','));
  if (s.config.incoming !== 'defer') q.set('incoming', s.config.incoming);
  const paused = [s.config.pausedSource && 'source', s.config.pausedDestination && 'destination'].filter(Boolean).join(',');
  if (paused) q.set('paused', paused);
  if (s.steps.length) q.set('steps', encodeSteps(s.steps));
  if (s.matrix) {
    if (s.matrix.a) q.set('ma', s.matrix.a);
    if (s.matrix.side) q.set('mside', s.matrix.side);
    if (s.matrix.diff && s.matrix.b) q.set('mdiff', s.matrix.b);
    // The diff's filters: the kinds of cell shown (when not all), and whether unchanged rows are hidden.
    if (s.matrix.show) q.set('mshow', s.matrix.show);
    if (s.matrix.changedRows) q.set('mrows', 'changed');
  }
  if (s.replayStep !== undefined) q.set('rstep', String(s.replayStep + 1));
  return '#' + q.toString();
}

export function readUrl(hash: string, profiles: string[]): { state: UrlState; problems: string[] } {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const problems: string[] = [];
  const profile = q.get('profile') ?? DEFAULT_CONFIG.profile;
  const config: SimConfig = {
    profile: profiles.includes(profile) ? profile : (problems.push(`unknown profile '${profile}'`), DEFAULT_CONFIG.profile),
    caps: (q.get('caps') ?? '').split(',').filter(Boolean),
    incoming: q.get('incoming') === 'uri' ? 'uri' : 'defer',
    pausedSource: (q.get('paused') ?? '').split(',').includes('source'),
    pausedDestination: (q.get('paused') ?? '').split(',').includes('destination'),
  };
  let steps: SimStep[] = [];
  const st = q.get('steps');
  if (st)
    try {
      steps = decodeSteps(st);
    } catch (e) {
      problems.push(`the steps in the link cannot be read: ${(e as Error).message}`);
    }
  const mdiff = q.get('mdiff');
  const rstep = Number(q.get('rstep'));
  return {
    state: { tab: q.get('view') ?? 'sim', config, steps, matrix: { a: q.get('ma') ?? undefined, side: q.get('mside') ?? undefined, b: mdiff ?? undefined, diff: !!mdiff, show: q.get('mshow') ?? undefined, changedRows: q.get('mrows') === 'changed' }, replayStep: Number.isInteger(rstep) && rstep >= 1 ? rstep - 1 : undefined },
    problems,
  };
}
