// A message sequence chart of a QMP trace: the management client and each QEMU process as
// lifelines; commands client → process, replies process → client (errors marked), events
// process → client; observed status and run-state changes as marks on the process's lifeline; the
// checker's departures from the model in red at their line. Built as data from the trace's lines
// and the checker's findings (trace/check.ts), then drawn as an SVG string or as Mermaid
// `sequenceDiagram` text. Pure: no DOM or Node APIs (the viewer's replay worker and tests use it).
import { isDeparture, type Finding } from '../trace/finding.ts';
import { RecKind, idKey, statusOfEvent, statusOfReply } from '../trace/extract.ts';
import { parseTraceLine, type TraceLine } from '../trace/format.ts';
import { FONT_FAMILY } from './layout.ts';

/** One QMP message of the trace, reduced to what the chart shows. `step`: its index among the trace's steps. */
export type SeqMsg = { step: number; line: number; vm: string } & (
  | { kind: 'greeting'; version?: string }
  | { kind: 'command'; command: string; args: string; oob: boolean; id?: string }
  | { kind: 'return'; id?: string; status?: string }
  | { kind: 'error'; id?: string; cls: string; desc: string }
  | { kind: 'event'; event: string; status?: string }
);

/** A line parsed by trace/format.ts as a SeqMsg (null for a blank line or a note). */
export function seqMsgOfLine(l: TraceLine, step: number, line: number): SeqMsg {
  const m = l.msg;
  const base = { step, line, vm: l.vm };
  // The same id key as the checker's records (extract.ts: idKey): a fast and a slow line of one process match.
  const id = (has: boolean, v: unknown) => (has ? idKey(v) : undefined);
  switch (m.kind) {
    case 'greeting': {
      const v = (m.qmp.version as { qemu?: { major?: unknown; minor?: unknown; micro?: unknown } } | undefined)?.qemu;
      return { ...base, kind: 'greeting', version: v && typeof v.major === 'number' ? `${v.major}.${v.minor}.${v.micro}` : undefined };
    }
    case 'command':
      return { ...base, kind: 'command', command: m.command, args: m.hasArgs ? (JSON.stringify(m.args) ?? '') : '', oob: m.oob, id: id(m.hasId, m.id) };
    case 'return':
      return { ...base, kind: 'return', id: id(m.hasId, m.id), status: statusOfReply(m.value) };
    case 'error':
      return { ...base, kind: 'error', id: id(m.hasId, m.id), cls: m.error.class, desc: m.error.desc };
    case 'event':
      return { ...base, kind: 'event', event: m.event, status: statusOfEvent(m.data) };
  }
}

/**
 * A record of trace/extract.ts (what the checker reads: records[at ..< at + REC_WIDTH]) as a
 * SeqMsg; a SLOW record is parsed by trace/format.ts. null: a blank line, a note, or a line that
 * is not a trace line (the checker says why).
 */
export function seqMsgOfRecord(r: readonly unknown[], at: number, step: number, line: number): SeqMsg | null {
  const kind = r[at] as number;
  if (kind === RecKind.Slow) {
    const p = parseTraceLine(r[at + 1] as string);
    return p.ok && p.line ? seqMsgOfLine(p.line, step, line) : null;
  }
  const base = { step, line, vm: r[at + 1] === 0 ? 'source' : 'destination' };
  switch (kind) {
    case RecKind.Command:
      return { ...base, kind: 'command', command: r[at + 2] as string, args: r[at + 3] as string, oob: r[at + 4] as boolean, id: r[at + 5] as string | undefined };
    case RecKind.Return:
      return { ...base, kind: 'return', id: r[at + 2] as string | undefined, status: r[at + 3] as string | undefined };
    case RecKind.Error:
      return { ...base, kind: 'error', id: r[at + 2] as string | undefined, cls: r[at + 3] as string, desc: r[at + 4] as string };
    case RecKind.Event:
      return { ...base, kind: 'event', event: r[at + 2] as string, status: r[at + 3] as string | undefined };
    default:
      return { ...base, kind: 'greeting' };
  }
}

/** The messages of a whole trace text (tests, small inputs): the steps in order, with their file line numbers. */
export function seqMsgsOfText(text: string): SeqMsg[] {
  const out: SeqMsg[] = [];
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const p = parseTraceLine(raw);
    if (p.ok && p.line) out.push(seqMsgOfLine(p.line, out.length, i + 1));
  });
  return out;
}

// ---- findings in words ---------------------------------------------------------------------------

const clip = (s: string, n = 140) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
/** A value of a finding in words: a status as itself, an error as its text, a list as alternatives. */
function words(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.length ? v.map(words).join(' or ') : 'nothing';
  if (typeof v === 'object' && typeof (v as { desc?: unknown }).desc === 'string') return `the error “${(v as { desc: string }).desc}”`;
  return clip(JSON.stringify(v) ?? String(v));
}

/** What a finding of trace/check.ts says, for people: what QEMU did and what the model expected. */
export function describeFinding(f: Pick<Finding, 'kind' | 'vm' | 'command' | 'event' | 'expected' | 'observed' | 'note'>): string {
  const what = f.command ?? (f.event ? `event ${f.event}` : 'this line');
  const obs = words(f.observed);
  const exp = words(f.expected);
  let s: string;
  switch (f.kind) {
    case 'unexpected-accept':
      s = `${f.vm} accepted ${what}, where the model answers ${exp}`;
      break;
    case 'unexpected-reject':
      s = `${f.vm} refused ${what} with ${obs}, where the model accepts it`;
      break;
    case 'wrong-error':
      s = `${f.vm} refused ${what} with ${obs}; the model answers ${exp}`;
      break;
    case 'unexpected-status':
      s = `${f.vm} reports migration status ${obs} (${what}); the model expects ${exp}`;
      break;
    case 'unexpected-runstate':
      s = `${f.vm} reports run state ${obs} (${what}); the model expects ${exp}`;
      break;
    case 'unexpected-event':
      s = `${f.vm} sent ${f.event ? `event ${f.event}` : obs}${f.event && obs !== f.event ? ` (${obs})` : ''}, which the model does not expect here: ${exp}`;
      break;
    case 'missing-event':
      s = `${f.vm}: the model expects ${f.expected && (Array.isArray(f.expected) ? f.expected.length : true) ? `the event(s) ${exp}` : 'an event'} first, but the trace shows ${obs}`;
      break;
    case 'unmatched-reply':
      s = `${f.vm} sent a reply (${obs}) with no command awaiting it (the model expects ${exp})`;
      break;
    case 'unexplained-start':
      s = `no state the model reaches explains ${f.vm}'s first observation (${what}: ${obs}; the model expects ${exp})`;
      break;
    case 'model-error':
      s = `the model could not answer for ${f.vm} (${obs})`;
      break;
    case 'pending':
      s = `${f.vm}: ${what} got no reply`;
      break;
    case 'unchecked':
      s = `${f.vm}: ${what} changes migration state the model does not model, so what follows is not checked against it`;
      break;
    default:
      s = `${f.vm}: the model expects ${exp}, QEMU shows ${obs}`;
  }
  return clip(s + (f.note && f.kind !== 'unexplained-start' ? ` — ${f.note}` : ''), 400) + ` [${f.kind}]`;
}

// ---- the chart as data ---------------------------------------------------------------------------

export const CLIENT = 'management client';

export interface SeqItem {
  step: number;
  line: number;
  /** Index into participants (0 is the client). */
  process: number;
  type: 'command' | 'return' | 'error' | 'event' | 'greeting';
  /** From the process to the client (replies, events), else client → process. */
  toClient: boolean;
  label: string;
  /** Status / run-state marks on the process's lifeline after this message ("status: active"). */
  marks: string[];
  /** Departures from the model found at this line on this process, in words. */
  departures: string[];
  /** Commands of this line left without a reply (pending findings), in words. */
  notes: string[];
}

export interface SequenceChart {
  /** The lifelines: the client, then each process in the order it first appears. */
  participants: string[];
  items: SeqItem[];
}

const argsShort = (a: string) => (a && a !== '{}' ? ' ' + clip(a, 60) : '');

/**
 * The chart of `msgs` (steps in order) with the checker's findings: each finding is put on the
 * message of its line and process. Replies are labelled with the command they answer (by id, else
 * the oldest waiting one of that process, as QMP answers in order).
 */
export function buildSequence(msgs: readonly SeqMsg[], findings: readonly Pick<Finding, 'line' | 'vm' | 'kind' | 'command' | 'event' | 'expected' | 'observed' | 'note'>[] = []): SequenceChart {
  const participants = [CLIENT];
  const index = new Map<string, number>();
  const waiting = new Map<string, { byId: Map<string, string>; queue: { id?: string; command: string }[] }>();
  const last = new Map<string, { status?: string; run?: string }>();
  const byLine = new Map<string, typeof findings[number][]>();
  for (const f of findings) {
    const k = `${f.line}\u0000${f.vm}`;
    const l = byLine.get(k);
    if (l) l.push(f);
    else byLine.set(k, [f]);
  }
  const items: SeqItem[] = [];
  for (const m of msgs) {
    let p = index.get(m.vm);
    if (p === undefined) {
      index.set(m.vm, (p = participants.length));
      participants.push(m.vm);
      waiting.set(m.vm, { byId: new Map(), queue: [] });
      last.set(m.vm, {});
    }
    const w = waiting.get(m.vm)!;
    const seen = last.get(m.vm)!;
    const marks: string[] = [];
    const mark = (what: 'status' | 'run', v: string | undefined) => {
      if (v === undefined || seen[what] === v) return;
      seen[what] = v;
      marks.push(what === 'status' ? `status: ${v}` : `run state: ${v}`);
    };
    /** The command a reply answers (and forget it). */
    const answered = (id: string | undefined): string | undefined => {
      let c: string | undefined;
      if (id !== undefined && w.byId.has(id)) {
        c = w.byId.get(id);
        w.byId.delete(id);
        const i = w.queue.findIndex((x) => x.id === id);
        if (i >= 0) w.queue.splice(i, 1);
      } else if (id === undefined) {
        const i = w.queue.findIndex((x) => x.id === undefined);
        if (i >= 0) c = w.queue.splice(i, 1)[0].command;
      }
      return c;
    };
    let label: string;
    let type: SeqItem['type'] = m.kind;
    let toClient = true;
    switch (m.kind) {
      case 'greeting':
        label = `QMP greeting${m.version ? ` (QEMU ${m.version})` : ''}`;
        seen.status = seen.run = undefined;
        // A greeting starts a fresh QEMU (or a new connection): commands of the old one get no reply.
        w.byId.clear();
        w.queue.length = 0;
        break;
      case 'command':
        toClient = false;
        label = `${m.oob ? 'exec-oob ' : ''}${m.command}${argsShort(m.args)}`;
        if (m.id !== undefined) w.byId.set(m.id, m.command);
        w.queue.push({ id: m.id, command: m.command });
        break;
      case 'return': {
        const c = answered(m.id);
        if (c === 'query-migrate') mark('status', m.status);
        else if (c === 'query-status') mark('run', m.status !== 'none' ? m.status : undefined);
        const st = (c === 'query-migrate' || c === 'query-status') && m.status && m.status !== 'none' ? `: ${m.status}` : '';
        label = `${c ? `${c} ` : ''}return${st}`;
        break;
      }
      case 'error': {
        const c = answered(m.id);
        label = `${c ? `${c} ` : ''}error: ${clip(m.desc, 90)}`;
        break;
      }
      case 'event':
        label = `${m.event}${m.status ? ` ${m.status}` : ''}`;
        if (m.event === 'MIGRATION') mark('status', m.status);
        else if (m.event === 'RESUME') mark('run', 'running');
        else if (m.event === 'STOP') mark('run', 'stopped');
        break;
    }
    const fs = byLine.get(`${m.line}\u0000${m.vm}`) ?? [];
    items.push({
      step: m.step,
      line: m.line,
      process: p,
      type,
      toClient,
      label,
      marks,
      departures: fs.filter((f) => isDeparture(f)).map((f) => describeFinding(f)),
      notes: fs.filter((f) => !isDeparture(f)).map((f) => describeFinding(f)),
    });
  }
  return { participants, items };
}

// ---- SVG -----------------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const SEQ_STYLE = `
.seq { font-family: ${FONT_FAMILY}; font-size: 13px; }
.seq .head rect { fill: #eef2f8; stroke: #4a5a72; }
.seq .head text { font-weight: bold; fill: #1d2433; text-anchor: middle; }
.seq .life { stroke: #9aa6b8; stroke-dasharray: 4 4; }
.seq .msg line { stroke: #33415c; stroke-width: 1.3; }
.seq .msg.return line, .seq .msg.error line { stroke-dasharray: 5 3; }
.seq .msg.event line { stroke: #5a4a78; }
.seq .msg text { fill: #1d2433; }
.seq .msg.error text { fill: #9a3412; }
.seq .msg.event text { fill: #5a4a78; font-style: italic; }
.seq .msg.greeting text { fill: #475569; }
.seq .msg { cursor: pointer; }
.seq .msg:hover .bg { fill: #eef4ff; }
.seq .bg { fill: transparent; }
.seq .msg.current .bg { fill: #ffe9a8; }
.seq .mark rect { fill: #fff7d6; stroke: #b86e00; }
.seq .mark text { fill: #7a4a00; font-size: 12px; }
.seq .msg.departure line { stroke: #c81e1e; stroke-width: 2.2; }
.seq .msg.departure text, .seq .dep text { fill: #c81e1e; }
.seq .dep rect { fill: #fde8e8; stroke: #c81e1e; }
.seq .note text { fill: #64748b; font-size: 12px; }
@media (prefers-color-scheme: dark) {
  .seq .head rect { fill: #232a35; stroke: #9fb0c8; }
  .seq .head text, .seq .msg text { fill: #e4e8ef; }
  .seq .life { stroke: #5d6b80; }
  .seq .msg line { stroke: #b8c4d6; }
  .seq .msg.error text { fill: #ffb08a; }
  .seq .msg.event line { stroke: #cdbdf2; }
  .seq .msg.event text { fill: #cdbdf2; }
  .seq .msg.greeting text, .seq .note text { fill: #a4afc0; }
  .seq .msg:hover .bg { fill: #22304a; }
  .seq .msg.current .bg { fill: #4d3d0c; }
  .seq .mark rect { fill: #3a3016; stroke: #ffc14d; }
  .seq .mark text { fill: #ffd98a; }
  .seq .msg.departure line { stroke: #ff8a8a; }
  .seq .msg.departure text, .seq .dep text { fill: #ff8a8a; }
  .seq .dep rect { fill: #3a1d1b; stroke: #ff8a8a; }
}
`;

export interface SvgOptions {
  /** The step to highlight. */
  current?: number;
  /** Column width (px). */
  col?: number;
  /** Draw the participants' heads (default true); the viewer draws them apart, in a row that stays in sight. */
  heads?: boolean;
}

/** The column width and x of each lifeline for a chart (the same for the body and a separate head row). */
function columns(c: SequenceChart, o: SvgOptions) {
  const labelMax = Math.max(120, ...c.items.map((it) => textW(it.label) + 30));
  const col = o.col ?? Math.min(360, Math.max(200, labelMax));
  return { col, x: (p: number) => 20 + col / 2 + p * col, width: 40 + col * c.participants.length };
}

function headsOf(c: SequenceChart, col: number, x: (p: number) => number, height: number): string {
  return c.participants
    .map((p, i) => {
      const w = Math.min(col - 16, textW(p) + 24);
      return `<g class="head" data-participant="${i}"><rect x="${x(i) - w / 2}" y="8" width="${w}" height="26" rx="4"/><text x="${x(i)}" y="26">${esc(clip(p, 40))}</text></g><line class="life" x1="${x(i)}" y1="34" x2="${x(i)}" y2="${height}"/>`;
    })
    .join('');
}

/** The participants' heads alone, as wide as sequenceSvg's chart (a row that stays in sight as the chart scrolls). */
export function sequenceHeadsSvg(c: SequenceChart, o: SvgOptions = {}): string {
  const { col, x, width } = columns(c, o);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="seq seq-heads" width="${width}" height="${HEAD}" viewBox="0 0 ${width} ${HEAD}" aria-hidden="true"><style>${SEQ_STYLE}</style>${headsOf(c, col, x, HEAD)}</svg>`;
}

const ROW = 26;
const MARK_ROW = 20;
const HEAD = 40;
/** Approximate text width at 13px: enough to size boxes without a DOM. */
const textW = (s: string, px = 13) => Math.ceil(s.length * px * 0.56);

/**
 * The chart as an SVG document (a string, with its own style): one row a message, a row for its
 * marks and departures under it. Each message is a `g.msg` with data-step and data-line, so the
 * viewer can highlight the current step and move the replay to a clicked one.
 */
export function sequenceSvg(c: SequenceChart, o: SvgOptions = {}): string {
  const { col, x, width } = columns(c, o);
  const withHeads = o.heads !== false;
  const body: string[] = [];
  let y = (withHeads ? HEAD : 0) + 16;
  for (const it of c.items) {
    const px = x(it.process);
    const cx = x(0);
    const cls = ['msg', it.type, it.departures.length ? 'departure' : '', it.step === o.current ? 'current' : ''].filter(Boolean).join(' ');
    const [x1, x2] = it.toClient ? [px, cx] : [cx, px];
    const dir = x2 > x1 ? 1 : -1;
    const tip = `M${x2},${y + 6} l${-8 * dir},-4 v8 z`;
    const title = `line ${it.line}: ${it.label}${it.departures.length ? '\n⚠ ' + it.departures.join('\n⚠ ') : ''}`;
    const mid = (x1 + x2) / 2;
    if (it.type === 'greeting') {
      body.push(
        `<g class="${cls}" data-step="${it.step}" data-line="${it.line}"><title>${esc(title)}</title><rect class="bg" x="0" y="${y - 10}" width="${width}" height="${ROW}"/>` +
          `<text x="${px + 8}" y="${y + 8}">${esc('▶ ' + it.label)}</text></g>`,
      );
    } else
      body.push(
        `<g class="${cls}" data-step="${it.step}" data-line="${it.line}"><title>${esc(title)}</title><rect class="bg" x="0" y="${y - 10}" width="${width}" height="${ROW}"/>` +
          `<text x="${mid}" y="${y + 1}" text-anchor="middle">${esc(clip(it.label, Math.floor(col / 7.3)))}</text>` +
          `<line x1="${x1}" y1="${y + 6}" x2="${x2 - 8 * dir}" y2="${y + 6}"/><path d="${tip}" fill="${it.departures.length ? '#c81e1e' : it.type === 'event' ? '#5a4a78' : '#33415c'}"/></g>`,
      );
    y += ROW;
    for (const m of it.marks) {
      const w = textW(m, 12) + 12;
      body.push(`<g class="mark" data-step="${it.step}"><rect x="${px - w / 2}" y="${y - 8}" width="${w}" height="${MARK_ROW - 4}" rx="3"/><text x="${px}" y="${y + 4}" text-anchor="middle">${esc(m)}</text></g>`);
      y += MARK_ROW;
    }
    for (const d of it.departures) {
      const t = '⚠ ' + clip(d, 200);
      const w = Math.min(width - 20, textW(t, 13) + 12);
      const left = Math.max(10, Math.min(px - w / 2, width - 10 - w));
      body.push(`<g class="dep" data-step="${it.step}"><rect x="${left}" y="${y - 9}" width="${w}" height="${MARK_ROW}" rx="3"/><text x="${left + 6}" y="${y + 5}">${esc(t)}</text></g>`);
      y += MARK_ROW + 2;
    }
    for (const n of it.notes) {
      body.push(`<g class="note" data-step="${it.step}"><text x="${px + 8}" y="${y + 4}">${esc(clip(n, 120))}</text></g>`);
      y += MARK_ROW;
    }
  }
  const height = y + 10;
  const lifelines = withHeads ? headsOf(c, col, x, height) : c.participants.map((_, i) => `<line class="life" x1="${x(i)}" y1="0" x2="${x(i)}" y2="${height}"/>`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="seq" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="message sequence chart">` +
    `<style>${SEQ_STYLE}</style>${lifelines}${body.join('')}</svg>`
  );
}

// ---- Mermaid -------------------------------------------------------------------------------------

/** Text Mermaid reads literally in a message or note: its statement and entity characters as entity codes. */
function mm(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/#/g, '#35;')
    .replace(/;/g, '#59;')
    .replace(/%/g, '#37;')
    .replace(/</g, '#60;')
    .replace(/>/g, '#62;');
}

/**
 * The chart as Mermaid `sequenceDiagram` text: one arrow per command (->>), reply (-->>, an error
 * --x) and event (--) async arrow); greetings, marks, departures and pending commands as notes.
 */
export function sequenceMermaid(c: SequenceChart): string {
  const id = (p: number) => (p === 0 ? 'client' : `p${p}`);
  const out = ['sequenceDiagram', ...c.participants.map((p, i) => `  participant ${id(i)} as ${mm(p)}`)];
  for (const it of c.items) {
    const pid = id(it.process);
    if (it.type === 'greeting') out.push(`  Note over ${pid}: ${mm(it.label)}`);
    else if (it.type === 'command') out.push(`  client->>${pid}: ${mm(it.label)}`);
    else if (it.type === 'error') out.push(`  ${pid}--xclient: ${mm(it.label)}`);
    else if (it.type === 'event') out.push(`  ${pid}--)client: ${mm(it.label)}`);
    else out.push(`  ${pid}-->>client: ${mm(it.label)}`);
    for (const m of it.marks) out.push(`  Note over ${pid}: ${mm(m)}`);
    for (const d of it.departures) out.push(`  Note over client,${pid}: ⚠ departure at line ${it.line}: ${mm(d)}`);
    for (const n of it.notes) out.push(`  Note over ${pid}: ${mm(n)}`);
  }
  return out.join('\n') + '\n';
}
