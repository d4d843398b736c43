// `migstate permitted` speed: 1,000 queries answered after start-up, side by side with the cost of
// merely parsing and printing the same lines (the baseline), in the same run; and the CLI end to
// end, start-up included. Run: npx tsx bench/permitted.bench.ts
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { getProfile, permissionMatrix, type Profile } from '../machines/index.ts';
import { answerLine } from '../cli/permitted.ts';

function queries(n: number, seed = 1): string[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)];
  const st = ['none', 'setup', 'active', 'pre-switchover', 'device', 'postcopy-active', 'postcopy-paused', 'completed', 'failed', 'cancelled', 'colo'];
  const caps = [[], ['postcopy-ram'], ['pause-before-switchover'], ['events'], ['x-colo'], ['return-path', 'x-colo']];
  const cmds = ['migrate', 'migrate_cancel', 'cont', 'stop', 'migrate-set-capabilities', 'query-migrate', 'migrate-start-postcopy', 'migrate-pause', 'x-colo-lost-heartbeat', 'yank'];
  return Array.from({ length: n }, () =>
    JSON.stringify({ side: pick(['source', 'destination']), status: pick(st), caps: pick(caps), command: pick(cmds), arguments: rnd() < 0.5 ? { uri: 'tcp:127.0.0.1:1' } : {} }),
  );
}

function time(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

/** Queries about states that exist (the matrix rows), with random commands: what a user asks. */
function realistic(p: Profile, n: number): string[] {
  const rows = (['source', 'destination'] as const).flatMap((side) => permissionMatrix(p, side).rows.map((r) => ({ side, ...r })));
  const cmds = ['migrate', 'migrate_cancel', 'cont', 'stop', 'migrate-set-capabilities', 'query-migrate', 'migrate-start-postcopy', 'migrate-pause', 'x-colo-lost-heartbeat', 'yank'];
  return Array.from({ length: n }, (_, i) => {
    const r = rows[(i * 7919) % rows.length];
    return JSON.stringify({ side: r.side, status: r.status, runstate: r.runstate, caps: r.caps, ...(r.listening !== undefined ? { listening: r.listening } : {}), command: cmds[i % cmds.length] });
  });
}

for (const name of ['qemu-7.2', 'qemu-master', 'proposed']) {
  const p = getProfile(name);
  const real = realistic(p, 1000); // built before timing (the matrix itself explores; clear below)
  const fresh = getProfile(name); // same object: searches are cached per profile, so time in a child
  void fresh;
  const r = spawnSync(process.execPath, [resolve(import.meta.dirname, '..', 'cli', 'bin.js'), 'permitted', '--profile', name], { input: real.join('\n') + '\n', encoding: 'utf8' });
  const t0 = performance.now();
  spawnSync(process.execPath, [resolve(import.meta.dirname, '..', 'cli', 'bin.js'), 'permitted', '--profile', name], { input: real.join('\n') + '\n', encoding: 'utf8' });
  const wallReal = performance.now() - t0;
  const t1 = performance.now();
  spawnSync(process.execPath, [resolve(import.meta.dirname, '..', 'cli', 'bin.js'), 'permitted', '--profile', name], { input: '', encoding: 'utf8' });
  const startupOnly = performance.now() - t1;
  const invalid = r.stdout.split('\n').filter((l) => l.includes('invalid')).length;
  console.log(`permitted ${name.padEnd(11)} 1000 queries about reachable states (CLI, cold): ${wallReal.toFixed(0)} ms wall, start-up alone ${startupOnly.toFixed(0)} ms, so ${(wallReal - startupOnly).toFixed(0)} ms answering (${invalid} invalid)`);
}

const lines = queries(1000);
for (const name of ['qemu-7.2', 'qemu-master', 'proposed']) {
  const p = getProfile(name);
  let sink = 0;
  const baseline = time(() => {
    for (const l of lines) sink += JSON.stringify(JSON.parse(l)).length;
  });
  const cold = time(() => {
    for (const l of lines) sink += JSON.stringify(answerLine(p, l)).length;
  });
  const warm = time(() => {
    for (const l of lines) sink += JSON.stringify(answerLine(p, l)).length;
  });
  console.log(
    `permitted ${name.padEnd(11)} 1000 random queries, many about impossible states (in-process): first pass ${cold.toFixed(0)} ms (explores as needed), again ${warm.toFixed(1)} ms; ` +
      `baseline parse+print ${baseline.toFixed(2)} ms; ratio first/baseline ${(cold / baseline).toFixed(0)}x (${sink > 0 ? 'ok' : ''})`,
  );
}
const bin = resolve(import.meta.dirname, '..', 'cli', 'bin.js');
const t0 = performance.now();
const r = spawnSync(process.execPath, [bin, 'permitted', '--profile', 'qemu-7.2'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
const wall = performance.now() - t0;
const t1 = performance.now();
spawnSync(process.execPath, [bin, 'profiles'], { encoding: 'utf8' });
const startup = performance.now() - t1;
console.log(`permitted CLI end to end, 1000 queries: ${wall.toFixed(0)} ms wall, of which start-up (migstate profiles) ${startup.toFixed(0)} ms; ${r.stdout.trim().split('\n').length} answers`);
