// The real QEMU 7.2 binary is the judge: every answer it gave in a pinned state
// (docs/research/qemu-7.2-observed.jsonl) must be the model's answer in the state the same
// description reaches. Records with no reply (a hung monitor), sent out of band, or taken while the
// status was moving are findings, not states; they are counted and printed, not compared.
import { describe, expect, it } from 'vitest';
import { answer, getProfile, locate } from '../machines/index.ts';
import { loadObserved, pinned } from './observed.ts';

const p = getProfile('qemu-7.2');
const all = loadObserved();
const compared = all.filter((o) => pinned(o) && p.commands.includes(o.command));

describe('qemu-7.2 against the answers of the real binary', () => {
  it('has a body of observations to compare', () => {
    expect(compared.length).toBeGreaterThan(400);
    console.log(
      `observations: ${all.length}; compared: ${compared.length}; not pinned (hung monitor, OOB, moving status): ${all.filter((o) => !pinned(o)).length}; ` +
        `commands not modelled yet: ${[...new Set(all.filter((o) => !p.commands.includes(o.command)).map((o) => o.command))].join(', ')}`,
    );
  });

  it.each(compared.map((o) => [`line ${o.line}: ${o.query.side} ${o.setup}: ${o.command}`, o] as const))('%s', (_n, o) => {
    const loc = locate(p, o.query);
    if ('invalid' in loc) throw new Error(`the model has no such state: ${loc.invalid}`);
    const d = answer(p, loc.found, o.command, o.arguments);
    if (o.reply.error) expect(d.allowed ? 'accepted' : d.error).toEqual(o.reply.error);
    else expect(d.allowed ? 'accepted' : d.error).toBe('accepted');
  });
});
