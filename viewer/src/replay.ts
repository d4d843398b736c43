// Replaying a QMP trace against the model: each process's possible states are a set of hypotheses,
// kept by trace/check.ts's TraceChecker over machines/inclusion.ts (the same as check-trace).
// Where the model cannot explain an observation, that step is a departure, and the replay goes on.
// Pure (no DOM): runs in the replay worker and in tests.
import { valueOfContext, type Profile, type Side, type SideState } from '../../machines/index.ts';
import { TraceChecker } from '../../trace/check.ts';
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
  /** The role whose chart the ids are of: the process's role if every hypothesis has it (a destination that migrated on is a source, F3). */
  role: Side;
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

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 120 ? s.slice(0, 117) + '...' : s;
};

/**
 * Replays a trace through trace/check.ts's TraceChecker (machines/inclusion.ts: one trace inclusion
 * for check-trace and the viewer) and shows, after each line, each process's possible states.
 */
export class Replayer {
  readonly checker: TraceChecker;

  constructor(p: Profile) {
    this.checker = new TraceChecker(p);
  }

  /** Feeds one trace line (`raw`: its text); returns what the step shows. Throws on a line that is not a trace line. */
  feed(line: TraceLine, raw: string = JSON.stringify(line)): ReplayStep {
    const { vm, dir, msg } = line;
    const before = this.checker.findings.length;
    const err = this.checker.feedParsed(line, raw);
    if (err) throw new Error(err);
    let summary: string;
    if (dir === 'send') {
      const command = typeof msg.execute === 'string' ? msg.execute : typeof msg['exec-oob'] === 'string' ? (msg['exec-oob'] as string) : null;
      summary = command ? `${vm} ← ${command}${msg.arguments ? ' ' + short(msg.arguments) : ''}` : `${vm} ← ${short(msg)}`;
    } else if ('QMP' in msg) summary = `${vm} → greeting ${short(msg.QMP)}`;
    else if ('return' in msg || 'error' in msg) summary = `${vm} → ${'error' in msg ? `error ${short(msg.error)}` : `return ${short(msg.return)}`}`;
    else if (typeof msg.event === 'string') summary = `${vm} → event ${msg.event}${msg.data ? ' ' + short(msg.data) : ''}`;
    else summary = `${vm} ${dir} ${short(msg)}`;
    const found = this.checker.findings.slice(before).filter((f) => f.kind !== 'pending');
    return {
      summary,
      sets: { source: this.checker.setIdOf('source'), destination: this.checker.setIdOf('destination') },
      departure: found.length ? found.map((f) => `line ${f.line}: ${f.kind}${f.command ? ` (${f.command})` : f.event ? ` (${f.event})` : ''}: expected ${short(f.expected)}, observed ${short(f.observed)}`).join('; ') : undefined,
    };
  }

  labels(vm: Side): string[] {
    return this.labelsOf(this.checker.statesOfSet(this.checker.setIdOf(vm)), vm);
  }

  /** "status / run state"; the role too where the hypotheses disagree on it (F3: a destination may have migrated on). */
  private labelsOf(h: readonly (SideState | null)[], vm: Side): string[] {
    const mixed = new Set(h.flatMap((x) => (x ? [x.side] : []))).size > 1;
    return [...new Set(h.map((x) => (x ? `${x.status} / ${x.runstate}${mixed && x.side !== vm ? ` (now a ${x.side})` : ''}` : 'exited')))];
  }

  private views = new Map<string, SetView>();
  /** The states of a set of hypotheses of process `vm`, as the charts show them. */
  describeSet(id: number, vm: Side): SetView {
    const key = `${vm}:${id}`;
    let v = this.views.get(key);
    if (!v) this.views.set(key, (v = this.describe(this.checker.statesOfSet(id), vm)));
    return v;
  }

  private describe(h: readonly (SideState | null)[], vm: Side): SetView {
    // The chart is the role's the hypotheses agree on; if they differ, the slot's, and only its states are marked (none sure).
    const roles = new Set(h.flatMap((x) => (x ? [x.side] : [])));
    const role = roles.size === 1 ? [...roles][0] : vm;
    const count = new Map<string, number>();
    for (const x of h) if (x && x.side === role) for (const id of new Set(activeIds(valueOfContext(x)))) count.set(id, (count.get(id) ?? 0) + 1);
    const sure: string[] = [];
    const possible: string[] = [];
    for (const [id, n] of count) (n === h.length ? sure : possible).push(id);
    return { role, sure, possible, labels: this.labelsOf(h, vm) };
  }
}
