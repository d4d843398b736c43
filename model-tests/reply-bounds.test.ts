// What the model says of reply content it cannot know, only bound (machines/rules.ts
// replyViolation): the auto-converge throttle's percentage. The conformance scenario
// auto-converge-throttle holds a real guest's replies to these bounds.
import { describe, expect, it } from 'vitest';
import { getProfile, initialSideState, replyViolation } from '../machines/index.ts';

describe('the auto-converge throttle in query-migrate (rules.ts replyViolation)', () => {
  const p = getProfile('qemu-10.0');
  const src = (caps: string[], params: Record<string, number> = {}) => ({ ...initialSideState({ side: 'source' }), status: 'active' as const, caps, params });
  it('is within cpu-throttle-initial .. max-cpu-throttle, and only with auto-converge', () => {
    const s = src(['auto-converge'], { 'cpu-throttle-initial': 5, 'max-cpu-throttle': 95 });
    expect(replyViolation(p, s, 'query-migrate', { status: 'active' })).toBeNull();
    expect(replyViolation(p, s, 'query-migrate', { status: 'active', 'cpu-throttle-percentage': 5 })).toBeNull();
    expect(replyViolation(p, s, 'query-migrate', { status: 'active', 'cpu-throttle-percentage': 95 })).toBeNull();
    expect(replyViolation(p, s, 'query-migrate', { status: 'active', 'cpu-throttle-percentage': 4 })).toMatch(/outside cpu-throttle-initial 5 \.\. max-cpu-throttle 95/);
    expect(replyViolation(p, s, 'query-migrate', { status: 'active', 'cpu-throttle-percentage': 96 })).toMatch(/outside/);
    expect(replyViolation(p, src([]), 'query-migrate', { status: 'active', 'cpu-throttle-percentage': 20 })).toMatch(/without the auto-converge capability/);
  });
  it('reads the defaults where nothing was set (20 .. 99)', () => {
    const s = src(['auto-converge']);
    expect(replyViolation(p, s, 'query-migrate', { 'cpu-throttle-percentage': 19 })).toMatch(/outside cpu-throttle-initial 20 \.\. max-cpu-throttle 99/);
    expect(replyViolation(p, s, 'query-migrate', { 'cpu-throttle-percentage': 99 })).toBeNull();
  });
});
