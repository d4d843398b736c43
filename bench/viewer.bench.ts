// Viewer speed in headless Chromium (the system's): a production build served by `vite preview` on
// 127.0.0.1. Measures (1) first render of the whole viewer: navigation start → charts drawn and
// panels filled (performance mark 'migstate:ready'), target < 500 ms; (2) a simulation step:
// command click → highlight and panels updated (marks around the handler, then the next frame),
// target < 16 ms. Prints the figures.  Run: npx tsx bench/viewer.bench.ts
import { resolve } from 'node:path';
import { build, preview } from 'vite';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..');
const config = resolve(ROOT, 'vite.config.ts');
await build({ configFile: config, logLevel: 'warn' });
const server = await preview({ configFile: config, preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
const addr = server.httpServer.address() as { port: number };
const base = `http://127.0.0.1:${addr.port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))];
  return `median ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (n=${s.length})`;
};
try {
  // (1) First render, cold page each time (new context: no cache).
  // Baseline in the same run: navigation → the app's script starts (the browser fetching and
  // parsing the bundle, nothing of ours run yet). The app's own share is the difference.
  const first: number[] = [];
  const script: number[] = [];
  for (let i = 0; i < 13; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base);
    await page.waitForSelector('body[data-ready=true]');
    const [r, sc] = await page.evaluate(() => [performance.getEntriesByName('migstate:ready')[0].startTime, performance.getEntriesByName('migstate:script')[0].startTime]);
    first.push(r);
    script.push(sc);
    await ctx.close();
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`first render at 1440×900 (navigation → viewer ready): ${stats(first.slice(1))}; first, cold browser: ${first[0].toFixed(0)} ms  [target < 500 ms]`);
  console.log(`  baseline, navigation → script start: ${stats(script.slice(1))}; ready / baseline = ${(med(first.slice(1)) / med(script.slice(1))).toFixed(2)}; the app's own share ${(med(first.slice(1)) - med(script.slice(1))).toFixed(0)} ms`);

  // (2) Simulation steps: clicks through a precopy and back (undo), timed inside the page.
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(base);
  await page.waitForSelector('body[data-ready=true]');
  const handler: number[] = [];
  const breakdown: Record<string, number[]> = {};
  const toFrame: number[] = [];
  // [section, button]: 'pair' is the section of the pair's synchronised steps and faults.
  const seq: [string, string][] = [
    ['destination', 'migrate-incoming'],
    ['source', 'migrate'],
    ['pair', 'connect'],
    ['pair', 'converge'],
    ['source', 'cont'],
    ['pair', 'complete'],
    ['pair', 'cleanup'],
    ['destination', 'query-status'],
  ];
  for (let round = 0; round < 8; round++) {
    for (const [side, label] of seq) {
      const r = await page.evaluate(
        ([side, label]) =>
          new Promise<{ handler: number; frame: number }>((res) => {
            const b = [...document.querySelectorAll<HTMLButtonElement>(`section[data-side=${side}] button`)].find((x) => x.textContent === label)!;
            const t0 = performance.now();
            b.click(); // synchronous: the step, the panels and the highlight
            const t1 = performance.now();
            requestAnimationFrame(() => setTimeout(() => res({ handler: t1 - t0, frame: performance.now() - t0 }), 0));
          }),
        [side, label] as const,
      );
      handler.push(r.handler);
      const parts = await page.evaluate(() => (window as unknown as { migstate: { app: { lastStepParts: Record<string, number> } } }).migstate.app.lastStepParts);
      for (const [k, v] of Object.entries(parts)) (breakdown[k] ??= []).push(v);
      toFrame.push(r.frame);
    }
    await page.evaluate(() => {
      const app = (window as unknown as { migstate: { app: { restart(c: unknown, s: unknown[]): void; sim: { config: unknown } } } }).migstate.app;
      app.restart(app.sim.config, []);
    });
  }
  console.log(`simulation step (click → state, panels, highlight updated): ${stats(handler.slice(seq.length))}  [target < 16 ms]`);
  console.log(`simulation step including the next frame: ${stats(toFrame.slice(seq.length))}`);
  console.log(`  of which (median ms): ${Object.entries(breakdown).map(([k, v]) => `${k} ${[...v].sort((a, b) => a - b)[v.length >> 1].toFixed(2)}`).join(', ')}`);
  await ctx.close();
} finally {
  await browser.close();
  await new Promise<void>((r) => server.httpServer.close(() => r()));
}
