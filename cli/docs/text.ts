// Small text helpers shared by the generated documents: a rule's condition and outcome in one line,
// QEMU references split into file and function, Markdown escaping. Pure.
import type { ArgTest, ChartTransition, Cond, Rule } from '../../machines/profile.ts';

/** Escapes what would break a Markdown table cell. */
export function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code in a table cell (a backtick inside would end it early: none of QEMU's names has one). */
export function code(s: string): string {
  return '`' + s.replace(/`/g, "'").replace(/\|/g, '\\|') + '`';
}

const list = (xs: readonly string[]) => xs.join('|');

function argText(name: string, t: ArgTest): string {
  if (t === 'present') return `${name} given`;
  if (t === 'absent') return `no ${name}`;
  if ('equals' in t) return `${name}=${JSON.stringify(t.equals)}`;
  return `${name}≠${JSON.stringify(t.notEquals)}`;
}

/** A condition in one line: `status in setup|active, caps postcopy-ram, listening`. Empty: always. */
export function condText(c: Cond | undefined): string {
  if (!c) return 'always';
  const out: string[] = [];
  if (c.status) out.push(`status in ${list(c.status)}`);
  if (c.notStatus) out.push(`status not in ${list(c.notStatus)}`);
  if (c.runstate) out.push(`run state in ${list(c.runstate)}`);
  if (c.notRunstate) out.push(`run state not in ${list(c.notRunstate)}`);
  for (const [k, v] of Object.entries(c.caps ?? {})) out.push(v ? `cap ${k}` : `no cap ${k}`);
  for (const [k, v] of Object.entries(c.ctx ?? {})) out.push(typeof v === 'boolean' ? (v ? k : `not ${k}`) : `${k}=${String(v)}`);
  for (const [k, v] of Object.entries(c.args ?? {})) out.push(argText(k, v));
  if (c.check) out.push(`check ${c.check}`);
  if (c.colo) out.push(`COLO in ${list(c.colo)}`);
  if (c.failover) out.push(`failover in ${list(c.failover)}`);
  if (c.rp) out.push(`return path in ${list(c.rp)}`);
  if (c.blocked) out.push(`${c.blocked} blocked`);
  if (c.anyOf) out.push(`any of (${c.anyOf.map(condText).join('; ')})`);
  if (c.not) out.push(`not (${condText(c.not)})`);
  return out.join(', ') || 'always';
}

/** What a rule does: `accept → status setup` or `GenericError: <desc>`. */
export function outcomeText(r: Rule): string {
  if (r.reject) return `${r.reject.class}: ${r.reject.desc}`;
  const a = r.accept!;
  const moves = [a.status && `status → ${a.status}`, a.runstate && `run state → ${a.runstate}`, a.failover && `failover → ${a.failover}`, a.becomes && `becomes a ${a.becomes}`, a.shutsChannel && 'shuts the channel'].filter(Boolean);
  const fx = a.effects?.length ? ` (${a.effects.join(', ')})` : '';
  return `accept${moves.length ? ', ' + moves.join(', ') : ''}${a.reply !== 'empty' ? `, reply ${a.reply}` : ''}${fx}`;
}

/** What a transition does: `source-status: active|setup → failed`. */
export function transitionText(t: ChartTransition): string {
  const fx = t.effects?.length ? ` (${t.effects.join(', ')})` : '';
  return `${t.chart}${t.side ? ` (${t.side})` : ''}: ${list(t.from)} → ${t.to}${fx}`;
}

/** A QEMU reference split as the model writes it: `file: function ...`. */
export function refParts(ref: string): { file: string; fn: string } {
  const i = ref.indexOf(': ');
  const file = i > 0 ? ref.slice(0, i) : '';
  if (!file || !/[/.]/.test(file) || /\s/.test(file)) return { file: '(other)', fn: ref };
  const rest = ref.slice(i + 2);
  const fn = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0] ?? rest;
  return { file, fn };
}

/** Plain code-point order (localeCompare depends on the machine's locale: the output must not). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
