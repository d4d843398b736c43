// Reads a trace file in a worker, streaming (a 100 MB file never sits whole in memory, and the page
// never waits on it), replays it against the model as it goes, and answers for single steps.
// The verdict (which lines depart from the model, and why) is trace/check.ts's TraceChecker, the
// same as `migstate check-trace`, run once: replay.ts reads each step's states off the same checker.
import { getProfile } from '../../machines/index.ts';
import type { Finding } from '../../trace/check.ts';
import { invalidLine, isNote, Replayer, type SetView, type TraceLine } from './replay.ts';

export type ReplayRequest = { type: 'load'; file: Blob; profile: string; name: string } | { type: 'get'; index: number } | { type: 'cancel' };

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

/** A departure from the model: the step it shows at, the process, and what the model expected. */
export interface Departure {
  index: number;
  vm: string;
  text: string;
}

export type ReplayMessage =
  | { type: 'progress'; bytes: number; total: number; steps: number; departures: Departure[]; processes: string[] }
  | { type: 'done'; steps: number; departures: Departure[]; ms: number; processes: string[] }
  | { type: 'error'; message: string; steps: number }
  | { type: 'step'; detail: StepDetail };

const post = (m: ReplayMessage) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

// Per step, numbers only: where its line is, which line, its time and its process. A line moves
// only its own process's set of states (trace/check.ts keeps one set a process): each process keeps
// the steps at which its set changed and the set after each, and a step's sets are looked up there.
let file: Blob | null = null;
let replayer: Replayer | null = null;
let starts: number[] = [];
let lens: number[] = [];
let lineNos: number[] = [];
let times: number[] = [];
let stepVms: number[] = [];
let summaries: string[] = [];
let departures: Departure[] = [];
/** The processes in the order they first appeared; per process, its first step and its set changes. */
let names: string[] = [];
let nameIndex = new Map<string, number>();
let firstSteps: number[] = [];
let changeSteps: number[][] = [];
let changeSets: number[][] = [];
let generation = 0;

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 160 ? s.slice(0, 157) + '...' : s;
};
export function findingText(f: Finding): string {
  const what = f.command ?? f.event;
  return `${f.kind}${what ? ` (${what})` : ''} on ${f.vm}: the model expects ${short(f.expected)}, QEMU shows ${short(f.observed)}${f.note ? ` — ${f.note}` : ''}`;
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
/** The step of a line number (the last step at or before it). */
function stepOfLine(line: number): number {
  let lo = 0;
  let hi = lineNos.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineNos[mid] <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

async function load(f: Blob, profile: string) {
  const gen = ++generation;
  file = f;
  replayer = new Replayer(getProfile(profile));
  const checker = replayer.checker;
  let seenFindings = 0;
  const takeFindings = () => {
    for (; seenFindings < checker.findings.length; seenFindings++) {
      const f = checker.findings[seenFindings];
      departures.push({ index: stepOfLine(f.line), vm: f.vm, text: findingText(f) });
    }
  };
  starts = [];
  lens = [];
  lineNos = [];
  times = [];
  stepVms = [];
  summaries = [];
  departures = [];
  names = [];
  nameIndex = new Map();
  firstSteps = [];
  changeSteps = [];
  changeSets = [];
  const t0 = performance.now();
  const decoder = new TextDecoder();
  const reader = f.stream().getReader();
  let carry = new Uint8Array(0);
  let offset = 0; // file offset of carry[0]
  let lineNo = 0;
  let lastPost = performance.now();
  const fail = (msg: string) => post({ type: 'error', message: msg, steps: starts.length });
  for (;;) {
    const { value, done } = await reader.read();
    if (gen !== generation) return reader.cancel();
    let buf: Uint8Array;
    if (value) {
      buf = new Uint8Array(carry.length + value.length);
      buf.set(carry);
      buf.set(value, carry.length);
    } else buf = carry;
    let pos = 0;
    for (;;) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0) {
        if (!done) break;
        if (pos >= buf.length) break;
        nl = buf.length; // the last line has no newline
      }
      lineNo++;
      const bytes = buf.subarray(pos, nl);
      const text = decoder.decode(bytes).trim();
      const start = offset + pos;
      pos = nl + 1;
      // A blank line is no step, but the checker counts it: its line numbers (in departures and
      // errors) stay the file's.
      if (!text) {
        checker.feed('');
        continue;
      }
      // Parsed once, for the checker and the replayer; a line that is not JSON gets the checker's
      // own message (it names the line and what is wrong).
      let parsed: unknown;
      let notJson: Error | null = null;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        notJson = e as Error;
      }
      if (notJson) {
        // The checker's own message names the line and what is wrong.
        let checkerError: string | null = null;
        try {
          checkerError = checker.feed(text);
        } catch (e) {
          return fail(`line ${lineNo}: the trace checker failed: ${(e as Error).message}`);
        }
        return fail(checkerError ?? `line ${lineNo}: not JSON (${notJson.message}): ${text.slice(0, 80)}`);
      }
      // A note line (the conformance runner's launches, steps, predictions) is no step; the checker
      // still reads it (it counts the line, and says what is wrong with a malformed note).
      if (isNote(parsed)) {
        const err = checker.feedParsed(parsed, text);
        if (err) return fail(err);
        continue;
      }
      const bad = invalidLine(parsed);
      if (bad) return fail(`line ${lineNo}: ${bad}: ${text.slice(0, 80)}`);
      const line = parsed as TraceLine;
      let step;
      try {
        step = replayer.feed(line, text);
      } catch (e) {
        return fail((e as Error).message.startsWith('line ') ? (e as Error).message : `line ${lineNo}: the model could not replay it: ${(e as Error).message}`);
      }
      const index = starts.length;
      starts.push(start);
      lens.push(bytes.length);
      lineNos.push(lineNo);
      times.push(typeof line.t === 'number' ? line.t : NaN);
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
      takeFindings();
      if (performance.now() - lastPost > 100) {
        lastPost = performance.now();
        post({ type: 'progress', bytes: start, total: f.size, steps: starts.length, departures: departures.slice(-200), processes: names });
        // Let requests for single steps in between.
        await new Promise((r) => setTimeout(r, 0));
        if (gen !== generation) return reader.cancel();
      }
    }
    offset += pos;
    carry = buf.slice(pos);
    if (done) break;
  }
  if (!starts.length) return fail('the file holds no trace lines (expected JSON lines {"t", "vm", "dir", "msg"})');
  checker.finish();
  takeFindings();
  departures.sort((a, b) => a.index - b.index);
  post({ type: 'done', steps: starts.length, departures, ms: performance.now() - t0, processes: names });
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
      t: Number.isNaN(times[index]) ? null : times[index],
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
  else if (m.type === 'cancel') generation++;
};
