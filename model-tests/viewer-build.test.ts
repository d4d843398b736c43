// The production build as users get it (`npm run build`, then `npm run preview`): the other browser
// tests use Vite's dev server, which serves the sources module by module, so what only the build
// does (its chunks, the precomputed layouts of each profile in their own chunk, the one stylesheet,
// the preloads in index.html) is checked here, in Debian's Chromium at 1440×900.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile, matrixProbes } from '../machines/index.ts';
import { CHROMIUM, hasBrowser, watchRequests } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');

describe.skipIf(!hasBrowser)('the production build in the browser', () => {
  const out = mkdtempSync(join(tmpdir(), 'migstate-build-'));
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  let base = '';
  let external: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const { build, preview } = await import('vite');
    const { chromium } = await import('playwright-core');
    const config = join(ROOT, 'vite.config.ts');
    await build({ configFile: config, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
    server = await preview({ configFile: config, build: { outDir: out }, preview: { port: 0, host: '127.0.0.1' }, logLevel: 'error' });
    base = `http://127.0.0.1:${(server.httpServer.address() as { port: number }).port}/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    external = await watchRequests(page);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.httpServer.close(() => r()) : r()));
    rmSync(out, { recursive: true, force: true });
  });

  const side = (s: string) => page.locator(`section[data-side=${s}]`);
  const status = (s: 'source' | 'destination') => side(s).locator('.cur-status').innerText();
  const listening = async () => / · listening · /.test(await side('destination').locator('.panel .state-line').innerText());

  it('index.html asks for one stylesheet and preloads the first profile’s layouts; every file it names was built', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const files = new Set(readdirSync(join(out, 'assets')).map((f) => `./assets/${f}`));
    const named = [...html.matchAll(/(?:href|src)="(\.\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(2);
    for (const f of named) expect(files.has(f), f).toBe(true);
    expect(named.filter((f) => f.endsWith('.css'))).toHaveLength(1);
    // The layouts chunk of qemu-7.2 (viewer/src/sim.ts: DEFAULT_CONFIG) is fetched beside the page's script.
    const preloads = [...html.matchAll(/rel="modulepreload"[^>]*href="(\.\/assets\/[^"]+)"/g)].map((m) => readFileSync(join(out, m[1]), 'utf8'));
    expect(preloads.some((js) => js.includes('qemu-7.2|source|'))).toBe(true);
  });

  /** The page's requests for script files, by file name. */
  const scripts: string[] = [];
  /** How many layouts came precomputed and how many the page laid out (viewer/src/layouts.ts). */
  const layoutStats = () => page.evaluate(() => (window as unknown as { migstate: { layoutStats: { precomputed: number; computed: number } } }).migstate.layoutStats);
  /** ELK's loader chunk (viewer/src/elk.ts), not its worker script. */
  const elkChunk = (f: string) => /^elk-(?!worker)/.test(f);
  const deltasChunk = () => readdirSync(join(out, 'assets')).filter((f) => f.startsWith('profile-deltas-') && f.endsWith('.js'));

  it('the first page: charts drawn from precomputed layouts with the active states marked, every command listed and judged, a step taken', async () => {
    page.on('request', (r) => r.url().endsWith('.js') && scripts.push(r.url().split('/').pop()!));
    await page.goto(base);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    // The later profiles' deltas are a chunk of their own, not fetched for a page on qemu-7.2.
    expect(deltasChunk()).toHaveLength(1);
    expect(scripts.length).toBeGreaterThan(3);
    expect(scripts).not.toContain(deltasChunk()[0]);
    // Every layout came precomputed: ELK's loader (viewer/src/elk.ts) is not fetched.
    expect(scripts.filter(elkChunk)).toEqual([]);
    const stats = await layoutStats();
    expect(stats.computed).toBe(0);
    expect(stats.precomputed).toBeGreaterThanOrEqual(3);
    const commands = matrixProbes(getProfile('qemu-7.2')).length;
    for (const s of ['source', 'destination'] as const) {
      expect(await side(s).locator('svg .state.active').count()).toBeGreaterThan(0);
      expect(await side(s).locator('ul.cmds li.cmd').count()).toBe(commands);
      expect(await side(s).locator('ul.cmds li.cmd.allowed, ul.cmds li.cmd.blocked').count()).toBe(commands);
    }
    expect(await status('destination')).toBe('none');
    expect(await listening()).toBe(false);
    // 7.2 listens and keeps status none until a source connects (rule migrate-incoming.start).
    await side('destination').locator('ul.cmds').getByRole('button', { name: 'migrate-incoming', exact: true }).click();
    expect(await listening()).toBe(true);
    expect(await side('source').locator('.next-now').getByRole('button', { name: /^migrate\b/ }).count()).toBeGreaterThan(0);
  });

  it('another profile: its commands and its own precomputed layouts, loaded when asked for', async () => {
    await page.locator('#profile').selectOption('qemu-10.0');
    // Its delta is fetched now, then the pair restarts under it.
    await page.waitForFunction(() => document.querySelector('section[data-side=source] svg > title')?.textContent?.includes('qemu-10.0'));
    expect(scripts).toContain(deltasChunk()[0]);
    await page.waitForFunction(() => document.querySelector('section[data-side=source] svg .state.active'));
    const stats = await layoutStats();
    expect(stats.computed).toBe(0);
    await expect.poll(() => side('source').locator('ul.cmds li.cmd').count()).toBe(matrixProbes(getProfile('qemu-10.0')).length);
    // The step taken before the change is replayed under the new profile.
    expect(await listening()).toBe(true);
    expect(await page.locator('.history li').count()).toBeGreaterThan(0);
  });

  it('a region the build did not lay out: ELK is fetched then, and lays it out in a worker', async () => {
    const before = (await layoutStats()).computed;
    await side('source').getByRole('checkbox', { name: 'COLO', exact: true }).check();
    await expect.poll(() => side('source').locator('svg .box.region > text.title').allTextContents(), { timeout: 60_000 }).toContain('COLO');
    const after = (await layoutStats()).computed;
    expect(after).toBeGreaterThan(before);
    expect(scripts.filter(elkChunk)).toHaveLength(1);
    expect(await side('source').locator('svg .state.active').count()).toBeGreaterThan(0);
  });

  it('the lazily loaded views work from the build: the matrix and the replay tab', async () => {
    await page.getByRole('tab', { name: 'Permission matrix' }).click();
    await page.waitForSelector('table.matrix', { timeout: 60_000 });
    await page.getByRole('tab', { name: 'Trace replay' }).click();
    await page.waitForSelector('.replay-view', { timeout: 60_000 });
  });

  it('a profile whose delta does not load (the server went away): said on the page, and the menu goes back to the profile the pair runs under', async () => {
    const other = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    try {
      await other.route(/profile-deltas-[^/]*\.js$/, (r) => r.abort());
      await other.goto(base);
      await other.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
      await other.locator('#profile').selectOption('qemu-master');
      await expect.poll(() => other.locator('.notice').innerText()).toMatch(/^The profile qemu-master did not load: .+\. Reload the page\.$/);
      expect(await other.locator('#profile').inputValue()).toBe('qemu-7.2');
      expect(await other.locator('section[data-side=source] svg > title').textContent()).toContain('qemu-7.2');
    } finally {
      await other.context().close();
    }
  });

  it('no page error, and no request left this machine', () => {
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });
});
