// Reads the answers a real QEMU binary gave (docs/research/qemu-<version>-observed.jsonl, recorded
// by docs/research/probe-7.2.py and probe-10.0.py) and turns each into a model query: the state it
// was sent in, the command, and what QEMU answered.
import { readFileSync } from 'node:fs';
import type { StateQuery } from '../machines/index.ts';

export interface Observed {
  line: number;
  setup: string;
  query: StateQuery;
  command: string;
  arguments: Record<string, unknown>;
  reply: { return?: unknown; error?: { class: string; desc: string }; timeout?: boolean };
  transport?: string;
}

export const observedFile = (version: string) => new URL(`../docs/research/qemu-${version}-observed.jsonl`, import.meta.url);

export function loadObserved(version = '7.2'): Observed[] {
  return readFileSync(observedFile(version), 'utf8')
    .split('\n')
    .map((l, i) => [l, i + 1] as const)
    .filter(([l]) => l.trim())
    .map(([l, line]) => {
      const r = JSON.parse(l);
      const q: StateQuery = { side: r.side, status: r.status ?? 'none', caps: r.caps ?? [], ...(r.runstate ? { runstate: r.runstate } : {}) };
      if (r.side === 'destination') {
        if (/incoming-tcp/.test(r.setup)) q.incoming = 'uri';
        if (/listening/.test(r.setup)) q.listening = true;
        if (/before-migrate-incoming/.test(r.setup)) q.listening = false;
      }
      return { line, setup: r.setup, query: q, command: r.command, arguments: r.arguments ?? {}, reply: r.reply, transport: r.transport };
    });
}

/** Whether a record pins a model state: a reply came, in-band, in a status that held still. */
export function pinned(o: Observed): boolean {
  return !o.reply.timeout && o.transport !== 'exec-oob' && !/pipelined/.test(o.setup) && o.query.runstate !== undefined;
}
