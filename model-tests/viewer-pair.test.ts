// The simulation page as a person uses it, in Debian's Chromium at 1440×900: source and destination
// side by side with their command panels on one screen, "what can happen next" per process with the
// reasons on screen, Back and Forward through the steps, a profile or capability change that keeps
// the work and marks where it diverges, skip links and landmarks, dark mode, and axe-core's audit of
// every view.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile, matrixProbes } from '../machines/index.ts';
import { hasBrowser, startViewer, watchRequests } from './browser.ts';

const ROOT = join(import.meta.dirname, '..');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe.skipIf(!hasBrowser)('the simulation page at 1440×900', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let base = '';
  let external: string[] = [];

  beforeAll(async () => {
    ({ server, browser, base } = await startViewer());
    ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await ctx.newPage();
    external = await watchRequests(page);
  }, 120_000);

  afterAll(async () => {
    expect(external).toEqual([]);
    await browser?.close();
    await server?.close();
  });

  const open = async (hash = '') => {
    await page.goto('about:blank');
    await page.goto(base + hash);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  };
  const side = (s: string) => page.locator(`section[data-side=${s}]`);
  const cmd = (s: 'source' | 'destination', label: string) => side(s).locator('ul.cmds').getByRole('button', { name: label, exact: true });
  const step = (name: string) => side('pair').getByRole('button', { name, exact: true });
  const status = (s: 'source' | 'destination') => side(s).locator('.cur-status').innerText();
  const channel = () => side('pair').locator('.cur-channel').innerText();
  const settled = () => page.waitForFunction(() => !document.body.dataset.urlPending);
  const next = (s: 'source' | 'destination') => side(s).locator('.next-now button').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-next')));

  it('source and destination side by side, both command panels on the screen, the pair between them', async () => {
    await open();
    const box = async (sel: string) => (await page.locator(sel).boundingBox())!;
    const src = await box('#cmds-source');
    const dst = await box('#cmds-destination');
    const pair = await box('section[data-side=pair]');
    // Each panel shows at least 100 px of its commands inside the 900 px viewport, with no scrolling.
    for (const b of [src, dst]) {
      expect(b.y).toBeLessThan(900 - 100);
      expect(b.y + b.height).toBeGreaterThan(100);
    }
    expect(src.x + src.width).toBeLessThanOrEqual(pair.x);
    expect(pair.x + pair.width).toBeLessThanOrEqual(dst.x);
    // The first command of each is visible as it stands.
    for (const s of ['source', 'destination'] as const) {
      const b = (await cmd(s, 'migrate').boundingBox())!;
      expect(b.y + b.height).toBeLessThanOrEqual(900);
    }
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'viewer-pair-1440.png') });
  });

  it('the first render fills each command list as far as it shows and draws the part of each chart in view; the rest follows, and every command has its row once ready', async () => {
    // Read at the moment the page marks its first render (performance.mark is synchronous).
    await page.addInitScript(() => {
      const mark = performance.mark.bind(performance);
      performance.mark = ((name: string, o?: PerformanceMarkOptions) => {
        if (name === 'migstate:first-render') {
          (window as unknown as { firstRender: unknown }).firstRender = [...document.querySelectorAll<HTMLElement>('ul.cmds')].map((ul) => ({ rows: ul.querySelectorAll('li.cmd').length, filled: ul.scrollHeight > ul.clientHeight, badges: [...ul.querySelectorAll('.badge')].every((b) => b.textContent) }));
          // The charts: what lies outside a chart's view is left out until after the first frame
          // (its markup waits in the chart view). Each part left out, read from its own
          // coordinates, must miss the view.
          const bounds = (el: Element) => {
            const xs: number[] = [];
            const ys: number[] = [];
            const num = (c: Element, a: string) => Number(c.getAttribute(a));
            for (const c of [el, ...el.querySelectorAll('*')]) {
              if (c.tagName === 'rect') xs.push(num(c, 'x'), num(c, 'x') + num(c, 'width')), ys.push(num(c, 'y'), num(c, 'y') + num(c, 'height'));
              else if (c.tagName === 'circle') xs.push(num(c, 'cx') - num(c, 'r'), num(c, 'cx') + num(c, 'r')), ys.push(num(c, 'cy') - num(c, 'r'), num(c, 'cy') + num(c, 'r'));
              else if (c.tagName === 'path') {
                const n = (c.getAttribute('d')!.match(/-?[\d.]+/g) ?? []).map(Number);
                for (let i = 0; i + 1 < n.length; i += 2) xs.push(n[i]), ys.push(n[i + 1]);
              }
            }
            return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
          };
          type View = { el: HTMLElement; pending: readonly string[] };
          const app = (window as unknown as { migstate: { app: { charts: Record<string, View>; channelChart: View } } }).migstate.app;
          (window as unknown as { firstCharts: unknown }).firstCharts = [app.charts.source, app.channelChart, app.charts.destination].map((view) => {
            const svg = view.el.querySelector('svg')!;
            const [vx, vy, vw, vh] = svg.getAttribute('viewBox')!.split(' ').map(Number);
            // The parts left out, parsed apart from the page.
            const apart = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
            apart.innerHTML = view.pending.join('');
            const hidden = [...apart.children];
            const placeholders = svg.querySelectorAll(':scope > g[data-later]').length;
            return {
              parts: svg.children.length - placeholders + hidden.length,
              placeholders,
              hidden: hidden.length,
              hiddenInView: hidden.filter((el) => {
                const b = bounds(el);
                return b.x1 >= vx && b.x0 <= vx + vw && b.y1 >= vy && b.y0 <= vy + vh;
              }).length,
              activeDrawn: svg.querySelectorAll('g.state.active').length,
            };
          });
          // A view that leaves the part drawn shows everything at once (Fit, before the rest is put in).
          document.querySelector<HTMLButtonElement>('section[data-side=source] button[title="Fit the chart"]')!.click();
          (window as unknown as { afterFit: number }).afterFit = document.querySelectorAll('section[data-side=source] .viewport svg > g[data-later]').length + app.charts.source.pending.length;
        }
        return mark(name, o);
      }) as typeof performance.mark;
    });
    await open();
    const first = (await page.evaluate(() => (window as unknown as { firstRender: { rows: number; filled: boolean; badges: boolean }[] }).firstRender))!;
    const all = getProfile('qemu-7.2');
    const probes = matrixProbes(all).length;
    expect(first).toHaveLength(2);
    for (const l of first) {
      expect(l.rows).toBeGreaterThan(0);
      expect(l.rows).toBeLessThan(probes); // the rest come after the first frame
      expect(l.filled).toBe(true); // more rows than the scroll box shows: nothing blank on screen
      expect(l.badges).toBe(true); // each row built is already marked permitted or blocked
    }
    for (const s of ['source', 'destination'] as const) expect(await side(s).locator('ul.cmds li.cmd').count()).toBe(probes);
    // A row built after the first frame is marked like the others.
    expect(await side('source').locator('ul.cmds li.cmd').last().locator('.badge').textContent()).toMatch(/permitted|blocked/);
    const order = await page.evaluate(() => ['migstate:first-render', 'migstate:ready'].map((n) => performance.getEntriesByName(n)[0].startTime));
    expect(order[0]).toBeLessThanOrEqual(order[1]);
    // The two sides' charts and the channel's: each drew hidden only what its view misses (the
    // sides' charts are far larger than their views), and the active state it centres on shows.
    // (Active states of other regions may lie outside the view.)
    const charts = (await page.evaluate(() => (window as unknown as { firstCharts: { parts: number; placeholders: number; hidden: number; hiddenInView: number; activeDrawn: number }[] }).firstCharts))!;
    expect(charts).toHaveLength(3);
    for (const c of charts) {
      expect(c.hiddenInView).toBe(0);
      expect(c.activeDrawn).toBeGreaterThan(0);
      // A run of parts left out waits behind one placeholder.
      expect(c.placeholders).toBeLessThanOrEqual(c.hidden);
    }
    expect(charts.filter((c) => c.hidden > c.parts / 2)).toHaveLength(2);
    expect(await page.evaluate(() => (window as unknown as { afterFit: number }).afterFit)).toBe(0);
    // Once ready, every part of every chart is drawn, and the highlight is on the parts put in later too.
    expect(await page.locator('.sim .viewport svg > g[data-later]').count()).toBe(0);
    const marked = await page.evaluate(() => {
      const app = (window as unknown as { migstate: { app: { charts: Record<string, { el: HTMLElement; activeStates(): string[] }> } } }).migstate.app;
      return ['source', 'destination'].map((s) => ({ drawn: app.charts[s].el.querySelectorAll('svg g.state.active').length, active: app.charts[s].activeStates().length }));
    });
    for (const m of marked) expect(m.drawn).toBe(m.active);
  });

  it('what can happen next: the moves of each process now, and the steps it takes part in, with why the others cannot happen', async () => {
    await open();
    expect(await next('source')).toContain('migrate');
    expect(await next('source')).not.toContain('query-status'); // a query moves nothing
    expect(await next('destination')).toContain('migrate-incoming');
    await cmd('destination', 'migrate-incoming').click();
    await cmd('source', 'migrate').click();
    expect(await next('source')).toContain('connect');
    expect(await next('destination')).toContain('connect');
    // The reasons are on the screen once the list is opened, without hovering anything.
    const notNow = side('source').locator('.next-not-box');
    await notNow.locator('summary').click();
    const converge = notNow.locator('li[data-step=converge] .why-text');
    await expect.poll(() => converge.innerText()).toBe('needs the channel connected (it is closed)');
    expect(await converge.isVisible()).toBe(true);
    await side('source').locator('.next-now button[data-next=connect]').click();
    expect(await status('source')).toBe('active');
    expect(await channel()).toBe('connected');
  });

  it('a step that cannot happen keeps its keyboard focus and shows why beside it', async () => {
    await open();
    const converge = step('converge');
    expect(await converge.isDisabled()).toBe(true);
    await converge.focus();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-event'))).toBe('converge');
    const why = page.locator(`#${await converge.getAttribute('aria-describedby')}`);
    await expect.poll(() => why.innerText()).toBe('needs the channel connected (it is closed)');
    const b = (await why.boundingBox())!;
    expect(b.width).toBeGreaterThan(50); // drawn, not only read out
    // Enter on it changes nothing.
    await page.keyboard.press('Enter');
    expect(await channel()).toBe('closed');
  });

  it('Back returns to the step before, Forward takes it again; a tab change is an entry too', async () => {
    await open();
    await cmd('destination', 'migrate-incoming').click();
    await settled();
    await cmd('source', 'migrate').click();
    await settled();
    await step('connect').click();
    await settled();
    expect([await status('source'), await channel()]).toEqual(['active', 'connected']);
    await page.goBack();
    await expect.poll(() => channel()).toBe('closed');
    expect(await status('source')).toBe('setup');
    await page.goBack();
    await expect.poll(() => status('source')).toBe('none');
    expect(await side('destination').locator('.state-line').innerText()).toMatch(/status none · run state inmigrate · listening/);
    await page.goForward();
    await expect.poll(() => status('source')).toBe('setup');
    expect(await page.locator('ol.history li').count()).toBe(2);
    // Still this page: no reload happened (the ready flag is the same page's).
    expect(await page.evaluate(() => document.body.dataset.ready)).toBe('true');
    await page.getByRole('tab', { name: 'Permission matrix' }).click();
    await settled();
    await page.goBack();
    await expect.poll(() => page.getByRole('tab', { name: 'Simulation' }).getAttribute('aria-selected')).toBe('true');
  });

  it('a profile change replays the steps under the new profile and marks where they go differently', async () => {
    await open();
    await cmd('destination', 'migrate-incoming').click();
    // qemu-7.2 accepts capabilities on a listening destination; proposed refuses them there.
    await cmd('destination', 'migrate-set-capabilities').click();
    await cmd('source', 'migrate').click();
    expect(await page.locator('ol.history li.rejected').count()).toBe(0);
    await page.locator('#profile').selectOption('proposed');
    // Applied once proposed is at hand (its delta is fetched on first use): the notice says so.
    await expect.poll(() => page.locator('.notice').innerText()).toMatch(/^Profile qemu-7\.2 → proposed/);
    expect(await page.locator('ol.history li:not(.setup)').count()).toBe(3);
    const notice = await page.locator('.notice').innerText();
    // qemu-7.2's listening destination stays in none; proposed's goes to setup at once, so the
    // first step already differs, and the second is refused.
    expect(notice).toMatch(/^Profile qemu-7\.2 → proposed: the 3 step\(s\) replayed; from step 1 \(migrate-incoming\) they go differently: was accepted, dst listening; now accepted, dst status none→setup, dst listening\.$/);
    expect(await page.locator('ol.history li.diverged').count()).toBe(3);
    expect(await page.locator('ol.history li:not(.setup)').nth(1).innerText()).toMatch(/There's a migration process in progress/);
    expect(await page.locator('ol.history li.diverged').first().getAttribute('title')).toMatch(/first step that goes differently/);
    // Back: the steps under qemu-7.2 again.
    await settled();
    await page.goBack();
    await expect.poll(() => page.locator('#profile').inputValue()).toBe('qemu-7.2');
    expect(await page.locator('ol.history li:not(.setup)').count()).toBe(3);
  });

  it('a capability ticked mid-way applies at once: the steps are replayed with it, header and state line agree', async () => {
    await open();
    await cmd('destination', 'migrate-incoming').click();
    await cmd('source', 'migrate').click();
    await page.locator('details.caps summary').click();
    await page.locator('.caps-list input[value=events]').check();
    await expect.poll(() => side('source').locator('.state-line').innerText()).toMatch(/caps events/);
    expect(await page.locator('details.caps summary').innerText()).toBe('capabilities: events');
    expect(await status('source')).toBe('setup');
    expect(await page.locator('ol.history li:not(.setup)').count()).toBe(2);
    expect(await page.locator('.notice').innerText()).toMatch(/Capabilities at start: \+events: the 2 step\(s\) taken replay the same way/);
  });

  it('skip links and landmarks: one Tab and Enter reach the source’s commands', async () => {
    await open();
    expect(await page.locator('main#main').count()).toBe(1);
    expect(await page.locator('header').count()).toBeGreaterThan(0);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the views');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the source’s commands');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('cmds-source');
  });

  it('dark mode follows the system setting', async () => {
    const lum = () =>
      page.evaluate(() => {
        const m = getComputedStyle(document.documentElement).backgroundColor.match(/\d+(\.\d+)?/g)!.map(Number);
        return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
      });
    await page.emulateMedia({ colorScheme: 'light' });
    await open();
    expect(await lum()).toBeGreaterThan(0.8);
    // The charts' drawing too (diagrams/render.ts: its own style): a dark region, light state names.
    const chartLum = () =>
      page.evaluate(() => {
        const l = (c: string) => {
          const m = c.match(/\d+(\.\d+)?/g)!.map(Number);
          return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
        };
        const region = document.querySelector('section[data-side=source] svg.msv .box.region > rect')!;
        const name = document.querySelector('section[data-side=source] svg.msv .state > text')!;
        return { region: l(getComputedStyle(region).fill), name: l(getComputedStyle(name).fill) };
      });
    const light = await chartLum();
    expect(light.region).toBeGreaterThan(0.8);
    expect(light.name).toBeLessThan(0.3);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await lum()).toBeLessThan(0.2);
    const dark = await chartLum();
    expect(dark.region).toBeLessThan(0.2);
    expect(dark.name).toBeGreaterThan(0.7);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  const views: [string, string, () => Promise<void>][] = [
    ['the simulation', '', async () => {
      await cmd('destination', 'migrate-incoming').click();
      await cmd('source', 'migrate').click();
    }],
    ['the matrix diff', '#view=matrix&ma=qemu-7.2&mside=destination&mdiff=proposed', async () => {
      await page.locator('table.matrix').waitFor({ timeout: 60_000 });
    }],
    ['the inspector', '#view=inspector', async () => {}],
    ['a replayed trace with its departures and sequence chart', '#view=replay', async () => {
      await page.getByLabel('open a trace file').setInputFiles(join(ROOT, 'model-tests', 'fixtures', 'traces', 'departure-status.jsonl'));
      await expect.poll(() => page.locator('.replay-view').getAttribute('data-step'), { timeout: 30_000 }).not.toBeNull();
      await page.getByRole('button', { name: 'next ⟩' }).click();
    }],
  ];
  for (const [what, hash, prepare] of views)
  for (const scheme of ['light', 'dark'] as const)
    it(`axe-core finds no serious or moderate issue in ${what} (${scheme})`, async () => {
      await page.emulateMedia({ colorScheme: scheme });
      await open(hash);
      await prepare();
      // Injected through the debugger protocol: the page's Content-Security-Policy forbids inline scripts.
      await page.evaluate(AXE);
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'moderate' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')} (${v.nodes.length})`);
      });
      await page.emulateMedia({ colorScheme: 'light' });
      expect(violations).toEqual([]);
    }, 60_000);
});
