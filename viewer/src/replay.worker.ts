// Reads a trace file in a worker, streaming (a 100 MB file never sits whole in memory, and the page
// never waits on it), replays it against the model as it goes, and answers for single steps.
// The verdict (which lines depart from the model, and why) is trace/check.ts's TraceChecker, the
// same as `migstate check-trace`, run once: replay.ts reads each step's states off the same checker.
import { getProfile } from '../../machines/index.ts';
import type { Finding } from '../../trace/check.ts';
import { invalidLine, Replayer, type SetView } from './replay.ts';

export type ReplayRequest = { type: 'load'; file: Blob; profile: string; name: string } | { type: 'get'; index: number } | { type: 'cancel' };

export interface StepDetail {
  index: number;
  lineNo: number;
  t: number | null;
  vm: string;
  summary: string;
  text: string;
  departure?: string;
  source: SetView;
  destination: SetView;
}

export type ReplayMessage =
  | { type: 'progress'; bytes: number; total: number; steps: number; departures: { index: number; text: string }[] }
  | { type: 'done'; steps: number; departures: { index: number; text: string }[]; ms: number }
  | { type: 'error'; message: string; steps: number }
  | { type: 'step'; detail: StepDetail };

const post = (m: ReplayMessage) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

// Per step, numbers only: where its line is, which line, its time and the sets of states after it.
let file: Blob | null = null;
let replayer: Replayer | null = null;
let starts: number[] = [];
let lens: number[] = [];
let lineNos: number[] = [];
let times: number[] = [];
let srcSets: number[] = [];
let dstSets: number[] = [];
let summaries: string[] = [];
let departures: { index: number; text: string }[] = [];
let generation = 0;

const short = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 160 ? s.slice(0, 157) + '...' : s;
};
export function findingText(f: Finding): string {
  const what = f.command ?? f.event;
  return `${f.kind}${what ? ` (${what})` : ''}: the model expects ${short(f.expected)}, QEMU shows ${short(f.observed)}${f.note ? ` — ${f.note}` : ''}`;
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
      departures.push({ index: stepOfLine(f.line), text: findingText(f) });
    }
  };
  starts = [];
  lens = [];
  lineNos = [];
  times = [];
  srcSets = [];
  dstSets = [];
  summaries = [];
  departures = [];
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
      if (!text) continue;
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
      const bad = invalidLine(parsed);
      if (bad) return fail(`line ${lineNo}: ${bad}: ${text.slice(0, 80)}`);
      const line = parsed as { t?: number; vm: 'source' | 'destination'; dir: 'send' | 'recv'; msg: Record<string, unknown> };
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
      srcSets.push(step.sets.source);
      dstSets.push(step.sets.destination);
      summaries.push(step.summary.length > 200 ? step.summary.slice(0, 197) + '...' : step.summary);
      takeFindings();
      void index;
      if (performance.now() - lastPost > 100) {
        lastPost = performance.now();
        post({ type: 'progress', bytes: start, total: f.size, steps: starts.length, departures: departures.slice(-200) });
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
  post({ type: 'done', steps: starts.length, departures, ms: performance.now() - t0 });
}

async function get(index: number) {
  if (!file || !replayer || index < 0 || index >= starts.length) return;
  const text = await file.slice(starts[index], starts[index] + lens[index]).text();
  const deps = departures.filter((d) => d.index === index);
  post({
    type: 'step',
    detail: {
      index,
      lineNo: lineNos[index],
      t: Number.isNaN(times[index]) ? null : times[index],
      vm: summaries[index].split(' ')[0],
      summary: summaries[index],
      text,
      departure: deps.length ? deps.map((d) => d.text).join('; ') : undefined,
      source: replayer.describeSet(srcSets[index], 'source'),
      destination: replayer.describeSet(dstSets[index], 'destination'),
    },
  });
}

self.onmessage = (e: MessageEvent<ReplayRequest>) => {
  const m = e.data;
  if (m.type === 'load') void load(m.file, m.profile).catch((err) => post({ type: 'error', message: String(err?.message ?? err), steps: 0 }));
  else if (m.type === 'get') void get(m.index);
  else if (m.type === 'cancel') generation++;
};
