// Replaying a QMP trace against the model: each process's possible states are a set of hypotheses,
// kept by trace/check.ts's TraceChecker over machines/inclusion.ts (the same as check-trace).
// Where the model cannot explain an observation, that step is a departure, and the replay goes on.
// Pure (no DOM): runs in the replay worker and in tests.
import { valueOfContext, type Profile, type Side, type SideState } from '../../machines/index.ts';
import { isDeparture, TraceChecker } from '../../trace/check.ts';
import { MAX_VM_NAME, VMS, isVmName } from '../../trace/format.ts';
import { activeIds } from '../../diagrams/diagram.ts';
import { describeFinding, seqMsgOfRecord, type SeqMsg } from '../../diagrams/sequence.ts';

export interface TraceLine {
  t?: number;
  /** The process: `source` and `destination` fix its start; any other name leaves it to its lines (docs/trace-format.md, Processes). */
  vm: string;
  dir: 'send' | 'recv';
  msg: Record<string, unknown>;
}

/** The names whose start is fixed; any other name is a process whose role its lines decide. */
export const isFixedName = (vm: string): vm is Side => (VMS as readonly string[]).includes(vm);

/**
 * The processes the two charts show by default: `source` and `destination` where the trace has them;
 * else the first processes in the order they appeared (names the trace lacks show no states).
 */
export function defaultSlots(processes: readonly string[]): [string, string] {
  const first = processes.includes('source') ? 'source' : (processes.find((p) => p !== 'destination') ?? 'source');
  const second = processes.includes('destination') ? 'destination' : (processes.find((p) => p !== first && p !== 'source') ?? 'destination');
  return [first, second];
}

/** A note line ({"t", "note": {...}}, e.g. the conformance runner's): no QMP message, not a step. */
export function isNote(x: unknown): boolean {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  return 'note' in o && o.vm === undefined && o.dir === undefined && o.msg === undefined;
}

/**
 * Checks one parsed line of a trace (not a note); returns why it is not a trace line, or null.
 * A quick first look in the words of the viewer; trace/format.ts (through the checker) has the last word.
 */
export function invalidLine(x: unknown): string | null {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return 'a trace line must be a JSON object {"t", "vm", "dir", "msg"}';
  const o = x as Record<string, unknown>;
  if (!isVmName(o.vm))
    return `"vm" must be a process name of 1 to ${MAX_VM_NAME} printable characters ("source", "destination" or any other; got ${JSON.stringify(typeof o.vm === 'string' && o.vm.length > 40 ? o.vm.slice(0, 40) + '…' : o.vm)})`;
  if (o.dir !== 'send' && o.dir !== 'recv') return `"dir" must be "send" or "recv" (got ${JSON.stringify(o.dir)})`;
  if (!o.msg || typeof o.msg !== 'object' || Array.isArray(o.msg)) return '"msg" must be a QMP message (a JSON object)';
  if (o.t !== undefined && typeof o.t !== 'number') return `"t" must be a number (got ${JSON.stringify(o.t)})`;
  return null;
}

/** What a process may be in: the active node ids every hypothesis shares, the others, and labels. */
export interface SetView {
  /**
   * The role whose chart the ids are of: the role every hypothesis has (a destination that migrated
   * on is a source, F3); where they differ, `source`'s or `destination`'s fixed role, and for any
   * other name the role most hypotheses have (its start is still open).
   */
  role: Side;
  /** The roles the hypotheses have: one once known, two while it is open, none before the process's first line. */
  roles: Side[];
  sure: string[];
  possible: string[];
  labels: string[];
}

export interface ReplayStep {
  /** One line of what happened ("source ← migrate {...}"). */
  summary: string;
  /** The process of the line. */
  vm: string;
  /** Its set of possible states after the step (see describeSet); a line moves only its own process. */
  set: number;
  /** Why the model cannot explain this step, if it cannot. */
  departure?: string;
}

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 120 ? s.slice(0, 117) + '...' : s;
};

/** A step's message in one line of text ("source ← migrate {...}", "source → return: active"). */
export function summaryOf(m: SeqMsg): string {
  switch (m.kind) {
    case 'greeting':
      return `${m.vm} → greeting${m.version ? ` (QEMU ${m.version})` : ''}`;
    case 'command':
      return `${m.vm} ← ${m.oob ? 'exec-oob ' : ''}${m.command}${m.args && m.args !== '{}' ? ' ' + short(JSON.parse(m.args)) : ''}`;
    case 'return':
      return `${m.vm} → return${m.status && m.status !== 'none' ? ` (status ${m.status})` : ''}`;
    case 'error':
      return `${m.vm} → error ${m.cls}: ${m.desc.length > 120 ? m.desc.slice(0, 117) + '...' : m.desc}`;
    case 'event':
      return `${m.vm} → event ${m.event}${m.status ? ` ${m.status}` : ''}`;
  }
}

/** What feedRecord makes of one line: a step, no step (a blank line or a note), or why the line is not a trace line. */
export type Fed = { step: ReplayStep & { msg: SeqMsg } } | { step: null } | { error: string };

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
    const found = this.checker.findings.slice(before).filter((f) => isDeparture(f));
    return {
      summary,
      vm,
      set: this.checker.setIdOf(vm),
      departure: found.length ? found.map((f) => `line ${f.line}: ${describeFinding(f)}`).join('; ') : undefined,
    };
  }

  /**
   * Feeds one line as the CLI's check-trace reads it: a record of trace/extract.ts, made from the
   * line's bytes by trace/scan.ts (scanLines), given to the checker as is. So the viewer accepts,
   * rejects and reports exactly what `migstate check-trace` does; the message for the step is read
   * off the same record. `step`: the index the line gets if it is a step.
   */
  feedRecord(records: readonly unknown[], at: number, lineNo: number, step: number): Fed {
    const before = this.checker.findings.length;
    const err = this.checker.feedRecord(records, at);
    if (err) return { error: err };
    const msg = seqMsgOfRecord(records, at, step, lineNo);
    if (!msg) return { step: null };
    const found = this.checker.findings.slice(before).filter((f) => isDeparture(f));
    return {
      step: {
        msg,
        summary: summaryOf(msg),
        vm: msg.vm,
        set: this.checker.setIdOf(msg.vm),
        departure: found.length ? found.map((f) => `line ${f.line}: ${describeFinding(f)}`).join('; ') : undefined,
      },
    };
  }

  labels(vm: string): string[] {
    return this.labelsOf(this.checker.statesOfSet(this.checker.setIdOf(vm)), vm);
  }

  /**
   * "status / run state"; the role too where the hypotheses disagree on it: for `source` and
   * `destination`, "(now a …)" (F3: a destination may have migrated on); for any other name,
   * "(as a …)" (its start is still open).
   */
  private labelsOf(h: readonly (SideState | null)[], vm: string): string[] {
    const mixed = new Set(h.flatMap((x) => (x ? [x.side] : []))).size > 1;
    const fixed = isFixedName(vm);
    const tag = (x: SideState) => (!mixed ? '' : fixed ? (x.side !== vm ? ` (now a ${x.side})` : '') : ` (as a ${x.side})`);
    return [...new Set(h.map((x) => (x ? `${x.status} / ${x.runstate}${tag(x)}` : 'exited')))];
  }

  private views = new Map<string, SetView>();
  /** The states of a set of hypotheses of process `vm` (any name), as the charts show them. */
  describeSet(id: number, vm: string): SetView {
    // For a name other than source and destination the view depends on the set only.
    const key = isFixedName(vm) ? `${vm}:${id}` : `:${id}`;
    let v = this.views.get(key);
    if (!v) this.views.set(key, (v = this.describe(this.checker.statesOfSet(id), vm)));
    return v;
  }

  private describe(h: readonly (SideState | null)[], vm: string): SetView {
    // The chart is the role's the hypotheses agree on; if they differ, the fixed name's (source,
    // destination) or else the role most of them have, and only its states are marked (none sure).
    const n = { source: 0, destination: 0 };
    for (const x of h) if (x) n[x.side]++;
    const roles = (['source', 'destination'] as const).filter((r) => n[r] > 0);
    const role: Side = roles.length === 1 ? roles[0] : isFixedName(vm) ? vm : n.destination > n.source ? 'destination' : 'source';
    const count = new Map<string, number>();
    for (const x of h) if (x && x.side === role) for (const id of new Set(activeIds(valueOfContext(x)))) count.set(id, (count.get(id) ?? 0) + 1);
    const sure: string[] = [];
    const possible: string[] = [];
    for (const [id, k] of count) (k === h.length ? sure : possible).push(id);
    return { role, roles, sure, possible, labels: this.labelsOf(h, vm) };
  }
}
