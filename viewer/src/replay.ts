// Replaying a QMP trace against the model: each side's possible states are a set of hypotheses
// (machines/observe.ts); commands and their observed replies, MIGRATION and RESUME events narrow
// it. Where the model cannot explain an observation, that step is a departure, and the replay goes
// on from what the model would do. Pure (no DOM): runs in the replay worker and in tests.
import {
  applyCommand, decide, explain, startSide, stateKey, stepSide, type Hypothesis, type Observation, type Profile, type QmpArguments, type Side,
} from '../../machines/index.ts';
import { activeIds } from '../../diagrams/diagram.ts';

export interface TraceLine {
  t?: number;
  vm: Side;
  dir: 'send' | 'recv';
  msg: Record<string, unknown>;
}

/** Checks one parsed line of a trace; returns why it is not a trace line, or null. */
export function invalidLine(x: unknown): string | null {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return 'a trace line must be a JSON object {"t", "vm", "dir", "msg"}';
  const o = x as Record<string, unknown>;
  if (o.vm !== 'source' && o.vm !== 'destination') return `"vm" must be "source" or "destination" (got ${JSON.stringify(o.vm)})`;
  if (o.dir !== 'send' && o.dir !== 'recv') return `"dir" must be "send" or "recv" (got ${JSON.stringify(o.dir)})`;
  if (!o.msg || typeof o.msg !== 'object' || Array.isArray(o.msg)) return '"msg" must be a QMP message (a JSON object)';
  if (o.t !== undefined && typeof o.t !== 'number') return `"t" must be a number (got ${JSON.stringify(o.t)})`;
  return null;
}

/** What a side may be in: the active node ids every hypothesis shares, the others, and labels. */
export interface SetView {
  sure: string[];
  possible: string[];
  labels: string[];
}

export interface ReplayStep {
  /** One line of what happened ("source ← migrate {...}"). */
  summary: string;
  /** Each side's set of possible states after the step (see describeSet). */
  sets: Record<Side, number>;
  /** Why the model cannot explain this step, if it cannot. */
  departure?: string;
}

interface Pending {
  id: unknown;
  command: string;
  args: QmpArguments;
}

function startHypotheses(p: Profile, side: Side): Hypothesis[] {
  const inputs =
    side === 'source'
      ? [{ side }, { side, paused: true }]
      : [{ side, incoming: 'defer' as const }, { side, incoming: 'defer' as const, paused: true }, { side, incoming: 'uri' as const }, { side, incoming: 'uri' as const, paused: true }];
  return inputs.map((i) => ({ snapshot: startSide(p, i), assumed: [] }));
}

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 120 ? s.slice(0, 117) + '...' : s;
};

/** The observation a reply makes about the state (query-migrate's status, query-status's run state). */
function observationOf(command: string, ret: unknown): Observation | null {
  if (!ret || typeof ret !== 'object') return null;
  const r = ret as Record<string, unknown>;
  if (command === 'query-migrate') return { status: typeof r.status === 'string' ? r.status : 'none' };
  if (command === 'query-status' && typeof r.status === 'string') return { runstate: r.status };
  return null;
}

export class Replayer {
  private hyps: Record<Side, Hypothesis[]>;
  private pending: Record<Side, Pending[]> = { source: [], destination: [] };
  private deferred: Record<Side, Record<string, unknown>[]> = { source: [], destination: [] };
  private greeted: Record<Side, boolean> = { source: false, destination: false };
  // Memo: the same (set of states, observation) gives the same answer; traces repeat a lot.
  private setIds = new Map<string, number>();
  private sets: Hypothesis[][] = [];
  private memo = new Map<string, number>();

  constructor(private p: Profile) {
    this.hyps = { source: startHypotheses(p, 'source'), destination: startHypotheses(p, 'destination') };
  }

  private intern(h: Hypothesis[]): number {
    const k = h.map((x) => stateKey(x.snapshot)).sort().join('\n');
    let id = this.setIds.get(k);
    if (id === undefined) {
      id = this.sets.length;
      this.setIds.set(k, id);
      this.sets.push(h);
    }
    return id;
  }

  private cached(h: Hypothesis[], op: string, f: () => Hypothesis[]): Hypothesis[] {
    const key = `${this.intern(h)}|${op}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return this.sets[hit];
    const out = f();
    this.memo.set(key, this.intern(out));
    return out;
  }

  /** Feeds one trace line; returns what the step shows. */
  feed(line: TraceLine): ReplayStep {
    const { vm, dir, msg } = line;
    let summary = '';
    const departures: string[] = [];
    if (dir === 'send') {
      const command = typeof msg.execute === 'string' ? msg.execute : typeof msg['exec-oob'] === 'string' ? (msg['exec-oob'] as string) : null;
      if (command) {
        const args = (msg.arguments ?? {}) as QmpArguments;
        this.pending[vm].push({ id: msg.id, command, args });
        summary = `${vm} ← ${command}${msg.arguments ? ' ' + short(msg.arguments) : ''}`;
      } else summary = `${vm} ← ${short(msg)}`;
    } else if ('QMP' in msg) {
      summary = `${vm} → greeting ${short(msg.QMP)}`;
      // A second greeting on a monitor is a new QEMU process (e.g. a restarted destination): it
      // starts from the beginning.
      if (this.greeted[vm]) {
        this.hyps[vm] = startHypotheses(this.p, vm);
        this.pending[vm] = [];
        this.deferred[vm] = [];
        summary += ' (a new process)';
      }
      this.greeted[vm] = true;
    } else if ('return' in msg || 'error' in msg) {
      const i = this.pending[vm].findIndex((x) => msg.id === undefined || x.id === msg.id);
      const cmd = i >= 0 ? this.pending[vm].splice(i, 1)[0] : null;
      const outcome = 'error' in msg ? `error ${short(msg.error)}` : `return ${short(msg.return)}`;
      summary = `${vm} → ${cmd ? cmd.command + ': ' : ''}${outcome}`;
      if (!cmd) departures.push(`a reply with id ${JSON.stringify(msg.id)} to no command sent`);
      else if (cmd.command !== 'qmp_capabilities') departures.push(...this.reply(vm, cmd, msg));
      if (!this.pending[vm].length) {
        const evs = this.deferred[vm];
        this.deferred[vm] = [];
        for (const ev of evs) departures.push(...this.event(vm, ev));
      }
    } else if (typeof msg.event === 'string') {
      summary = `${vm} → event ${msg.event}${msg.data ? ' ' + short(msg.data) : ''}`;
      // QEMU emits the events a command causes before the command's reply: apply them after it.
      if (this.pending[vm].length) this.deferred[vm].push(msg);
      else departures.push(...this.event(vm, msg));
    } else summary = `${vm} ${dir} ${short(msg)}`;
    return { summary, sets: { source: this.intern(this.hyps.source), destination: this.intern(this.hyps.destination) }, departure: departures.length ? departures.join('; ') : undefined };
  }

  private reply(vm: Side, cmd: Pending, msg: Record<string, unknown>): string[] {
    const err = msg.error as { class?: string; desc?: string } | undefined;
    const observed = err ? { allowed: false as const, error: { class: String(err.class), desc: String(err.desc) } } : { allowed: true as const, reply: msg.return };
    const from = this.hyps[vm];
    const op = `cmd ${cmd.command} ${JSON.stringify(cmd.args)} ${JSON.stringify(observed.allowed ? true : observed.error)}`;
    let next = this.cached(from, op, () => applyCommand(this.p, from, cmd.command, cmd.args, observed));
    const out: string[] = [];
    if (!next.length) {
      const answers = [...new Set(from.map((h) => {
        const d = decide(this.p, h.snapshot.context, cmd.command, cmd.args);
        return d.allowed ? 'accepts it' : `answers ${d.error.class}: ${d.error.desc}`;
      }))];
      out.push(`QEMU ${observed.allowed ? 'accepted' : `answered ${observed.error.class}: ${observed.error.desc}`} to ${cmd.command}; in the states the model allows here (${this.labels(vm).join(', ')}) it ${answers.join(' or ')}`);
      // Go on from what the model would do.
      next = this.cached(from, `step ${cmd.command} ${JSON.stringify(cmd.args)}`, () => dedup(from.map((h) => ({ snapshot: stepSide(this.p, h.snapshot, { type: 'qmp', command: cmd.command, arguments: cmd.args }).snapshot, assumed: h.assumed }))));
    }
    const obs = observed.allowed ? observationOf(cmd.command, observed.reply) : null;
    if (obs) {
      const agreeing = this.cached(next, `obs ${JSON.stringify(obs)}`, () => explain(this.p, next, obs));
      if (!agreeing.length) out.push(`${cmd.command} reports ${JSON.stringify(obs)}, which the model cannot reach from ${this.labelsOf(next).join(', ')}`);
      else next = agreeing;
    }
    this.hyps[vm] = next;
    return out;
  }

  private event(vm: Side, msg: Record<string, unknown>): string[] {
    let obs: Observation | null = null;
    const data = (msg.data ?? {}) as Record<string, unknown>;
    if (msg.event === 'MIGRATION' && typeof data.status === 'string') obs = { status: data.status };
    else if (msg.event === 'RESUME') obs = { runstate: 'running' };
    if (!obs) return [];
    const from = this.hyps[vm];
    const o = obs;
    const next = this.cached(from, `obs ${JSON.stringify(o)}`, () => explain(this.p, from, o));
    if (!next.length) return [`event ${msg.event} ${short(msg.data ?? {})}: the model cannot get there by internal events from ${this.labels(vm).join(', ')}`];
    this.hyps[vm] = next;
    return [];
  }

  private labelsOf(h: Hypothesis[]): string[] {
    return [...new Set(h.map((x) => `${x.snapshot.context.status} / ${x.snapshot.context.runstate}`))];
  }

  labels(vm: Side): string[] {
    return this.labelsOf(this.hyps[vm]);
  }

  private views = new Map<number, SetView>();
  /** The states of a set of hypotheses, as the charts show them. */
  describeSet(id: number): SetView {
    let v = this.views.get(id);
    if (!v) this.views.set(id, (v = this.describe(this.sets[id])));
    return v;
  }

  private describe(h: Hypothesis[]): SetView {
    const count = new Map<string, number>();
    for (const x of h) for (const id of new Set(activeIds(x.snapshot.value))) count.set(id, (count.get(id) ?? 0) + 1);
    const sure: string[] = [];
    const possible: string[] = [];
    for (const [id, n] of count) (n === h.length ? sure : possible).push(id);
    return { sure, possible, labels: this.labelsOf(h) };
  }
}

function dedup(h: Hypothesis[]): Hypothesis[] {
  const seen = new Set<string>();
  return h.filter((x) => {
    const k = stateKey(x.snapshot);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
