// Reads a trace file in a worker, streaming (a 100 MB file never sits whole in memory, and the page
// never waits on it), replays it against the model as it goes, and answers for single steps.
// The verdict is `migstate check-trace`'s, by the same code on the same bytes: lines split on '\n'
// and reduced to records by trace/scan.ts (scanLines, what the CLI's reader runs), fed to
// trace/check.ts's TraceChecker (feedRecord); replay.ts reads each step's states off that checker.
// So a trace the CLI rejects (exit 2) is rejected here with the checker's own message naming the
// line, one it accepts is accepted, and the departures are the same findings.
import { loadProfile } from '../../machines/index.ts';
import { isDeparture, summaryLine, type Finding } from '../../trace/check.ts';
import { REC_WIDTH } from '../../trace/extract.ts';
import { parseTraceLine } from '../../trace/format.ts';
import { scanLines } from '../../trace/scan.ts';
import { describeFinding, seqMsgOfLine, type SeqMsg } from '../../diagrams/sequence.ts';
import { Replayer, type SetView } from './replay.ts';

export type ReplayRequest =
  | { type: 'load'; file: Blob; profile: string; name: string }
  | { type: 'get'; index: number }
  | { type: 'seq'; from: number; to: number; req: number }
  | { type: 'cancel' };

/** A process of the trace at one step. */
export interface ProcessDetail {
  name: string;
  /** Whether it has had a line at or before the step. */
  seen: boolean;
  /** Its possible states after the step (no labels before its first line). */
  view: SetView;
  /** The departures found at this step on this process. */
  departure?: string;
}

export interface StepDetail {
  index: number;
  lineNo: number;
  t: number | null;
  /** The process of the step's line. */
  vm: string;
  summary: string;
  text: string;
  departure?: string;
  /** Every process of the trace read so far, in the order they first appeared. */
  processes: ProcessDetail[];
}

/** A finding of the checker: the step it shows at, its line, process and kind (as check-trace prints them), and what it means in words. */
export interface Departure {
  index: number;
  line: number;
  vm: string;
  kind: string;
  text: string;
}

/** A finding as check-trace prints it (JSON), for the sequence chart. */
export type FindingLite = Pick<Finding, 'line' | 'vm' | 'kind' | 'command' | 'event' | 'expected' | 'observed' | 'note'>;

export type ReplayMessage =
  | { type: 'progress'; bytes: number; total: number; steps: number; departures: Departure[]; processes: string[] }
  | {
      type: 'done';
      steps: number;
      /** The departures (exit 1 when any), sorted by line. */
      departures: Departure[];
      /** Commands left without a reply (check-trace lists them, and they are no departure). */
      pending: Departure[];
      /** Commands that change migration state and that the model does not check (no departure, but exit 1). */
      unchecked: Departure[];
      /** check-trace's summary line for the same trace and profile. */
      summary: string;
      ms: number;
      processes: string[];
    }
  | { type: 'error'; message: string; steps: number }
  | { type: 'step'; detail: StepDetail }
  | { type: 'seq'; req: number; from: number; to: number; msgs: SeqMsg[]; findings: FindingLite[] };

const post = (m: ReplayMessage) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

// Per step, numbers only: where its line is, which line, its time and its process. A line moves
// only its own process's set of states (trace/check.ts keeps one set a process): each process keeps
// the steps at which its set changed and the set after each, and a step's sets are looked up there.
let file: Blob | null = null;
let replayer: Replayer | null = null;
let starts: number[] = [];
let lens: number[] = [];
let lineNos: number[] = [];
let stepVms: number[] = [];
let summaries: string[] = [];
let departures: Departure[] = [];
/** Every finding kept by the checker once the trace is read (pending ones too), sorted by line. */
let findings: FindingLite[] = [];
/** The processes in the order they first appeared; per process, its first step and its set changes. */
let names: string[] = [];
let nameIndex = new Map<string, number>();
let firstSteps: number[] = [];
let changeSteps: number[][] = [];
let changeSets: number[][] = [];
let generation = 0;

/** A finding in words for the page (diagrams/sequence.ts: describeFinding). */
export function findingText(f: FindingLite): string {
  return describeFinding(f);
}
/** The set of process `p` after step `index` (0: no line of it yet). */
function setAt(p: number, index: number): number {
  const at = changeSteps[p];
  let lo = 0;
  let hi = at.length - 1;
  if (hi < 0 || at[0] > index) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (at[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return changeSets[p][lo];
}
/** The step of a line number (the last step at or before it; the first step for a line before any). */
function stepOfLine(line: number): number {
  let lo = 0;
  let hi = lineNos.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineNos[mid] <= line) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

async function load(f: Blob, profile: string) {
  const gen = ++generation;
  const prof = await loadProfile(profile); // a later profile's delta is fetched on first use
  if (gen !== generation) return;
  file = f;
  replayer = new Replayer(prof);
  const r = replayer;
  const checker = r.checker;
  let seenFindings = 0;
  const asDeparture = (x: Finding): Departure => ({ index: stepOfLine(x.line), line: x.line, vm: x.vm, kind: x.kind, text: findingText(x) });
  const takeFindings = () => {
    for (; seenFindings < checker.findings.length; seenFindings++) {
      const x = checker.findings[seenFindings];
      if (isDeparture(x)) departures.push(asDeparture(x));
    }
  };
  starts = [];
  lens = [];
  lineNos = [];
  stepVms = [];
  summaries = [];
  departures = [];
  findings = [];
  names = [];
  nameIndex = new Map();
  firstSteps = [];
  changeSteps = [];
  changeSets = [];
  const t0 = performance.now();
  const reader = f.stream().getReader();
  const records: unknown[] = [];
  let carry = new Uint8Array(0);
  let offset = 0; // file offset of carry[0]
  let lineNo = 0;
  let lastPost = performance.now();
  const fail = (msg: string) => post({ type: 'error', message: msg, steps: starts.length });
  /** The whole lines of buf[0 ..< len], split as scanLines splits them; false once a line is not a trace line. */
  const lines = (buf: Uint8Array, len: number): boolean => {
    const n = scanLines(buf, len, records);
    let pos = 0;
    for (let k = 0; k < n; k++) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0 || nl >= len) nl = len;
      const start = offset + pos;
      const bytes = nl - pos;
      pos = nl + 1;
      lineNo++;
      let fed;
      try {
        fed = r.feedRecord(records, k * REC_WIDTH, lineNo, starts.length);
      } catch (e) {
        fail(`line ${lineNo}: the trace checker failed: ${(e as Error).message}`);
        return false;
      }
      if ('error' in fed) {
        fail(fed.error);
        return false;
      }
      const step = fed.step;
      if (!step) continue; // a blank line or a note: counted (line numbers stay the file's), no step
      const index = starts.length;
      starts.push(start);
      lens.push(bytes);
      lineNos.push(lineNo);
      let p = nameIndex.get(step.vm);
      if (p === undefined) {
        nameIndex.set(step.vm, (p = names.length));
        names.push(step.vm);
        firstSteps.push(index);
        changeSteps.push([]);
        changeSets.push([]);
      }
      stepVms.push(p);
      const sets = changeSets[p];
      if (sets[sets.length - 1] !== step.set) {
        changeSteps[p].push(index);
        sets.push(step.set);
      }
      summaries.push(step.summary.length > 200 ? step.summary.slice(0, 197) + '...' : step.summary);
    }
    takeFindings();
    return true;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (gen !== generation) return reader.cancel();
    let buf: Uint8Array;
    if (value) {
      buf = new Uint8Array(carry.length + value.length);
      buf.set(carry);
      buf.set(value, carry.length);
    } else buf = carry;
    // Whole lines now; the last line, without its '\n', once the file ends (as the CLI reads it).
    const whole = done ? buf.length : buf.lastIndexOf(10) + 1;
    if (whole > 0 && !lines(buf, whole)) return reader.cancel();
    offset += whole;
    carry = buf.slice(whole);
    if (done) break;
    if (performance.now() - lastPost > 100) {
      lastPost = performance.now();
      post({ type: 'progress', bytes: offset, total: f.size, steps: starts.length, departures: departures.slice(-200), processes: names });
      // Let requests for single steps in between.
      await new Promise((res) => setTimeout(res, 0));
      if (gen !== generation) return reader.cancel();
    }
  }
  const summary = checker.finish();
  findings = checker.findings.map(({ line, vm, kind, command, event, expected, observed, note }) => ({ line, vm, kind, command, event, expected, observed, note }));
  departures = [];
  const pending: Departure[] = [];
  const unchecked: Departure[] = [];
  for (const x of checker.findings) (x.kind === 'pending' ? pending : x.kind === 'unchecked' ? unchecked : departures).push(asDeparture(x));
  post({ type: 'done', steps: starts.length, departures, pending, unchecked, summary: summaryLine(summary), ms: performance.now() - t0, processes: names });
}

/** The messages of steps [from, to) for the sequence chart, read again from the file, with the findings of their lines. */
async function seq(from: number, to: number, req: number) {
  if (!file) return;
  from = Math.max(0, from);
  to = Math.min(starts.length, to);
  const msgs: SeqMsg[] = [];
  if (from < to) {
    const base = starts[from];
    const bytes = new Uint8Array(await file.slice(base, starts[to - 1] + lens[to - 1]).arrayBuffer());
    const dec = new TextDecoder();
    for (let i = from; i < to; i++) {
      const p = parseTraceLine(dec.decode(bytes.subarray(starts[i] - base, starts[i] - base + lens[i])));
      if (p.ok && p.line) msgs.push(seqMsgOfLine(p.line, i, lineNos[i]));
    }
  }
  const lo = from < to ? lineNos[from] : 0;
  const hi = from < to ? lineNos[to - 1] : -1;
  post({ type: 'seq', req, from, to, msgs, findings: findings.filter((x) => x.line >= lo && x.line <= hi) });
}

/** A line's time: read from its text when asked (one number a step less to keep). */
function tOf(text: string): number | null {
  const p = parseTraceLine(text);
  return p.ok && p.line ? p.line.t : null;
}

async function get(index: number) {
  if (!file || !replayer || index < 0 || index >= starts.length) return;
  const text = await file.slice(starts[index], starts[index] + lens[index]).text();
  const deps = departures.filter((d) => d.index === index);
  const r = replayer;
  const processes = names.map((name, p): ProcessDetail => {
    const seen = firstSteps[p] <= index;
    const mine = deps.filter((d) => d.vm === name);
    return {
      name,
      seen,
      // Before its first line a process has no states: its chart keeps the role it showed.
      view: seen ? r.describeSet(setAt(p, index), name) : { role: name === 'destination' ? 'destination' : 'source', roles: [], sure: [], possible: [], labels: [] },
      departure: mine.length ? mine.map((d) => d.text).join('; ') : undefined,
    };
  });
  post({
    type: 'step',
    detail: {
      index,
      lineNo: lineNos[index],
      t: tOf(text),
      vm: names[stepVms[index]],
      summary: summaries[index],
      text,
      departure: deps.length ? deps.map((d) => d.text).join('; ') : undefined,
      processes,
    },
  });
}

self.onmessage = (e: MessageEvent<ReplayRequest>) => {
  const m = e.data;
  if (m.type === 'load') void load(m.file, m.profile).catch((err) => post({ type: 'error', message: String(err?.message ?? err), steps: 0 }));
  else if (m.type === 'get') void get(m.index);
  else if (m.type === 'seq') void seq(m.from, m.to, m.req);
  else if (m.type === 'cancel') generation++;
};
