// `migstate permitted`: one JSON query per line in, one JSON answer per line out, in order.
import type { Profile } from '../machines/profile.ts';
import { answer, locate, type StateQuery } from '../machines/explore.ts';
import { knownCommands } from '../machines/rules.ts';
import { eventLabel } from '../machines/matrix.ts';

export type Answer =
  | { allowed: boolean; error: { class: string; desc: string } | null; rule?: string | null; ref?: string | null; path?: string[] }
  | { invalid: string };

const FIELDS = new Set(['side', 'status', 'caps', 'runstate', 'coloMode', 'failover', 'incoming', 'listening', 'command', 'arguments']);
const FAILOVER = ['none', 'require', 'active', 'completed', 'relaunch'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Answers one query line. Never throws: what cannot be answered says why. */
export function answerLine(p: Profile, line: string, explain = false): Answer {
  let q: unknown;
  try {
    q = JSON.parse(line);
  } catch (e) {
    return { invalid: `not valid JSON: ${(e as Error).message}` };
  }
  if (!isObject(q)) return { invalid: 'a query must be a JSON object' };
  const extra = Object.keys(q).find((k) => !FIELDS.has(k));
  if (extra) return { invalid: `unknown field '${extra}' (fields: ${[...FIELDS].join(', ')})` };
  if (q.side !== 'source' && q.side !== 'destination') return { invalid: "'side' must be \"source\" or \"destination\"" };
  if (typeof q.status !== 'string') return { invalid: "'status' must be a string (a MigrationStatus, or \"none\")" };
  if (typeof q.command !== 'string') return { invalid: "'command' must be a string (a QMP command name)" };
  if (q.caps !== undefined && !(Array.isArray(q.caps) && q.caps.every((c) => typeof c === 'string'))) return { invalid: "'caps' must be an array of capability names" };
  if (q.runstate !== undefined && typeof q.runstate !== 'string') return { invalid: "'runstate' must be a string" };
  if (q.incoming !== undefined && q.incoming !== 'defer' && q.incoming !== 'uri') return { invalid: "'incoming' must be \"defer\" or \"uri\"" };
  if (q.listening !== undefined && typeof q.listening !== 'boolean') return { invalid: "'listening' must be true or false" };
  if (q.arguments !== undefined && !isObject(q.arguments)) return { invalid: "'arguments' must be a JSON object" };
  if (q.failover !== undefined && !FAILOVER.includes(q.failover as string)) return { invalid: `'failover' must be one of: ${FAILOVER.join(', ')}` };
  if (q.coloMode !== undefined) {
    // migration/colo.c: get_colo_mode() is derived from the migration status: primary iff the
    // outgoing status is colo, secondary iff the incoming one is.
    const expected = q.status === 'colo' ? (q.side === 'source' ? 'primary' : 'secondary') : 'none';
    if (!['none', 'primary', 'secondary'].includes(q.coloMode as string)) return { invalid: "'coloMode' must be \"none\", \"primary\" or \"secondary\"" };
    if (q.coloMode !== expected) return { invalid: `coloMode '${q.coloMode}' cannot go with status '${q.status}' on the ${q.side} (COLO mode is '${expected}' there: colo.c get_colo_mode)` };
  }
  if (!knownCommands(p).includes(q.command)) return { invalid: `unknown command '${q.command}' (profile ${p.name} models: ${knownCommands(p).join(', ')})` };
  const loc = locate(p, q as unknown as StateQuery);
  if ('invalid' in loc) return loc;
  const d = answer(p, loc.found, q.command, (q.arguments as Record<string, unknown>) ?? {});
  const base = d.allowed ? { allowed: true, error: null } : { allowed: false, error: d.error };
  if (!explain) return base;
  return { ...base, rule: d.rule?.id ?? null, ref: d.rule?.ref ?? null, path: loc.found.path.map(eventLabel) };
}
