// The charts in a real browser at 1440×900 (headless Chromium, the system's, never downloaded):
// readable at the default view, exports marking only the active states, one tab stop per chart with
// arrow keys inside it, and transitions drawn from many states folded into one labelled bundle.
// Screenshots go to test-artifacts/ (gitignored).
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { PROFILES } from '../machines/index.ts';
import { DEFAULT_REGIONS, sideDiagram } from '../diagrams/charts.ts';
import { findBundles } from '../diagrams/layout.ts';
import { hasBrowser, startViewer, watchRequests } from './browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ART = join(ROOT, 'test-artifacts');

describe('chart bundles (pure)', () => {
  it('folds migrate_cancel of qemu-7.2’s source into one bundle holding every state it is drawn from', () => {
    const p = PROFILES.find((x) => x.name === 'qemu-7.2')!;
    const d = sideDiagram(p, 'source', DEFAULT_REGIONS);
    const from = d.edges.filter((e) => e.transitions.some((t) => t.label === 'migrate_cancel') && e.source !== e.target).map((e) => e.source);
    const bs = findBundles(d).filter((b) => b.lines.some((l) => l.label === 'migrate_cancel'));
    expect(bs).toHaveLength(1);
    expect([...bs[0].sources].sort()).toEqual([...new Set(from)].sort());
    // Every folded transition is one of the diagram's, and each appears in one bundle only.
    const seen = new Set<string>();
    for (const b of findBundles(d))
      for (const l of b.lines)
        for (const [i, j] of l.members) {
          expect(d.edges[i].transitions[j].label).toBe(l.label);
          expect(seen.has(`${i}:${j}`)).toBe(false);
          seen.add(`${i}:${j}`);
        }
  });
});

describe.skipIf(!hasBrowser)('charts in headless Chromium at 1440×900', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let page: Page;
  let base = '';
  let external: string[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    ({ server, browser, base } = await startViewer());
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page = await ctx.newPage();
    external = await watchRequests(page);
  }, 120_000);

  afterAll(async () => {
    expect(external).toEqual([]);
    await browser?.close();
    await server?.close();
  });

  const side = (s: 'source' | 'destination') => page.locator(`section[data-side=${s}]`);
  const open = async (hash = '') => {
    await page.goto('about:blank');
    await page.goto(base + hash);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  };
  /** Turns every region of both charts on and waits for the new layouts (laid out in the page). */
  const allRegions = async () => {
    // Whether a "laying out…" notice appeared (it is gone again once the worker answers).
    await page.evaluate(() => {
      const w = window as unknown as { sawBusy: string[] };
      w.sawBusy = [];
      new MutationObserver((ms) => {
        for (const m of ms) for (const n of m.addedNodes) if (n instanceof HTMLElement && n.matches('.viewport > .busy[role=status]')) w.sawBusy.push(n.textContent ?? '');
      }).observe(document.body, { childList: true, subtree: true });
    });
    for (const s of ['source', 'destination'] as const) {
      const boxes = side(s).locator('.chart .regions input[type=checkbox]');
      for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).check();
    }
    for (const s of ['source', 'destination'] as const)
      await expect
        .poll(() => side(s).locator('svg.msv g.box.region').count(), { timeout: 60_000 })
        .toBe(await side(s).locator('.chart .regions input[type=checkbox]').count());
    await page.waitForFunction(() => [...document.querySelectorAll('section[data-side] .viewport')].every((v) => v.getAttribute('aria-busy') === 'false'), null, { timeout: 60_000 });
    const saw = await page.evaluate(() => (window as unknown as { sawBusy: string[] }).sawBusy);
    expect(saw.length).toBeGreaterThan(0);
    expect(saw[0]).toContain('laying out');
    expect(await page.locator('section[data-side] .viewport > .busy').count()).toBe(0);
  };
  /** Per visible chart: the smallest text size on screen (font size × the SVG's scale), in CSS px. */
  const smallestText = () =>
    page.evaluate(() =>
      [...document.querySelectorAll<SVGSVGElement>('section[data-side] svg.msv')]
        .filter((svg) => svg.getBoundingClientRect().width > 0)
        .map((svg) => {
          const k = svg.getScreenCTM()!.a;
          const sizes = [...svg.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * k);
          return { chart: svg.getAttribute('data-diagram'), texts: sizes.length, min: Math.min(...sizes) };
        }),
    );

  for (const profile of ['qemu-7.2', 'qemu-master'])
    it(`${profile}: no chart text below 11 CSS px at the default view, default regions and all regions; the active state is in view`, async () => {
      await open(`#profile=${profile}`);
      const check = async (what: string) => {
        const charts = await smallestText();
        expect(charts.length, what).toBeGreaterThanOrEqual(2);
        for (const c of charts) {
          expect(c.texts, `${what} ${c.chart}`).toBeGreaterThan(0);
          expect(c.min, `${what} ${c.chart}`).toBeGreaterThanOrEqual(11);
        }
        // The default view is centred on the active state: the source's status is on screen, inside its viewport.
        const inView = await side('source').evaluate((sec) => {
          const vp = sec.querySelector('.viewport')!.getBoundingClientRect();
          const r = sec.querySelector('svg .state.active[data-node^="status."]')!.getBoundingClientRect();
          return r.left >= vp.left && r.right <= vp.right && r.top >= vp.top && r.bottom <= vp.bottom;
        });
        expect(inView, what).toBe(true);
      };
      await check('default regions');
      await page.screenshot({ path: join(ART, `viewer-charts-${profile}-default.png`) });
      await allRegions();
      await check('all regions');
      await page.screenshot({ path: join(ART, `viewer-charts-${profile}-all.png`) });
    }, 180_000);

  it('after a step the view follows the active state when it had left the view', async () => {
    await open('#profile=qemu-7.2');
    const statusInView = () =>
      side('source').evaluate((sec) => {
        const vp = sec.querySelector('.viewport')!.getBoundingClientRect();
        const r = sec.querySelector('svg .state.active[data-node^="status."]')!.getBoundingClientRect();
        return r.left >= vp.left && r.right <= vp.right && r.top >= vp.top && r.bottom <= vp.bottom;
      });
    expect(await statusInView()).toBe(true);
    // Pan away with the keyboard (Shift+arrows pan), down and left, far enough that the next status
    // (setup, below none) is out of view too.
    await side('source').locator('.viewport').focus();
    for (let i = 0; i < 12; i++) await page.keyboard.press(i % 2 ? 'Shift+ArrowLeft' : 'Shift+ArrowDown');
    expect(await statusInView()).toBe(false);
    await side('source').getByRole('button', { name: 'migrate', exact: true }).click();
    await expect.poll(() => side('source').locator('svg .state.active[data-node^="status."]').getAttribute('data-node')).toBe('status.setup');
    expect(await statusInView()).toBe(true);
  }, 120_000);

  it('a resized window: each chart’s view takes the viewport’s new size at the same zoom (the first report of its size is ignored, not the later ones)', async () => {
    await open('#profile=qemu-7.2');
    // Chart units per CSS px, across and down: the viewBox over the viewport's content box.
    const scale = () =>
      page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('.sim .viewport')].map((vp) => {
          const [, , w, hh] = vp.querySelector('svg')!.getAttribute('viewBox')!.split(' ').map(Number);
          return { x: w / vp.clientWidth, y: hh / vp.clientHeight, size: `${vp.clientWidth}×${vp.clientHeight}` };
        }),
      );
    const before = await scale();
    expect(before).toHaveLength(3);
    try {
      await page.setViewportSize({ width: 1200, height: 760 });
      await expect.poll(async () => (await scale()).every((s, i) => s.size !== before[i].size && Math.abs(s.x - before[i].x) < 0.01 && Math.abs(s.y - before[i].y) < 0.01), { timeout: 10_000 }).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  }, 120_000);

  it('the exported SVG parses, renders standalone and marks only the active leaf states, never a region', async () => {
    await open('#profile=qemu-7.2');
    const take = async () => {
      const [dl] = await Promise.all([page.waitForEvent('download'), side('source').getByRole('button', { name: 'Export the chart as SVG (source)' }).click()]);
      const path = join(ART, 'viewer-charts-export-source.svg');
      await dl.saveAs(path);
      return page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const marked = [...doc.querySelectorAll('.active, .possible')];
        return {
          error: doc.querySelector('parsererror')?.textContent ?? null,
          style: doc.querySelector('svg > style')?.textContent ?? '',
          marked: marked.map((e) => ({ node: e.getAttribute('data-node'), state: e.classList.contains('state'), box: e.classList.contains('box') })),
        };
      }, readFileSync(path, 'utf8'));
    };
    const a = await take();
    expect(a.error).toBeNull();
    // The drawing's styles travel inside the file.
    expect(a.style).toContain('.msv .state.active > rect');
    expect(a.marked.map((m) => m.node).sort()).toEqual(['run.running', 'status.none']);
    expect(a.marked.every((m) => m.state && !m.box)).toBe(true);
    // With every region shown (compound COLO states among them), still leaf states only.
    await allRegions();
    const b = await take();
    expect(b.error).toBeNull();
    expect(b.marked.length).toBeGreaterThan(2);
    expect(b.marked.every((m) => m.state && !m.box), JSON.stringify(b.marked)).toBe(true);
    expect(b.marked.map((m) => m.node)).toEqual(expect.arrayContaining(['run.running', 'status.none', 'colo.none', 'failover.none']));
    // The page marks the same: no region or compound box is active.
    expect(await page.locator('section[data-side] svg .box.active').count()).toBe(0);
  }, 180_000);

  it('keyboard: one tab stop per chart; arrow keys move between states, Enter shows the state', async () => {
    await open('#profile=qemu-7.2');
    // No state or label is a tab stop of its own.
    expect(await page.locator('svg.msv [tabindex]').count()).toBe(0);
    // From the toolbar's last button one Tab reaches the chart, the next leaves it.
    await side('source').getByRole('button', { name: 'Export the chart as PNG (source)' }).focus();
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => ({ cls: document.activeElement?.className, inSvg: !!document.activeElement?.closest('svg'), side: document.activeElement?.closest('section')?.getAttribute('data-side') }));
    expect(await focused()).toEqual({ cls: 'viewport', inSvg: false, side: 'source' });
    const vp = side('source').locator('.viewport');
    const current = () => vp.evaluate((v) => {
      const el = document.getElementById(v.getAttribute('aria-activedescendant') ?? '');
      return el ? { node: el.getAttribute('data-node'), label: el.getAttribute('aria-label') } : null;
    });
    // The keyboard starts on the active state.
    expect((await current())?.node).toBe('status.none');
    // Arrow down moves to another item; keep going until a state (labels sit between states).
    let cur = await current();
    for (let i = 0; i < 6 && (cur?.node ?? 'status.none') === 'status.none'; i++) {
      await page.keyboard.press('ArrowDown');
      cur = await current();
      expect(cur).not.toBeNull();
    }
    expect(cur?.node).toMatch(/^status\./);
    expect(cur?.node).not.toBe('status.none');
    await page.keyboard.press('Enter');
    expect(await side('source').locator('.chart .info').innerText()).toContain(`state path: ${cur!.node}`);
    // Back up returns towards none.
    await page.keyboard.press('ArrowUp');
    expect(await current()).not.toEqual(cur);
    await page.keyboard.press('Tab');
    expect((await focused()).inSvg).toBe(false);
    expect((await focused()).cls).not.toBe('viewport');
  }, 120_000);

  it('migrate_cancel of the qemu-7.2 source chart is one label on one bundle whose branches start at each of its states', async () => {
    await open('#profile=qemu-7.2');
    const src = side('source');
    const labels = src.locator('svg.msv text.tl').filter({ hasText: /^migrate_cancel$/ });
    expect(await labels.count()).toBe(1);
    const bundle = await labels.first().getAttribute('data-bundle');
    expect(bundle).not.toBeNull();
    const aria = (await labels.first().getAttribute('aria-label'))!;
    const from = aria.replace(/^transition migrate_cancel: /, '').replace(/ to cancelling$/, '').split(', ');
    expect(from.length).toBeGreaterThanOrEqual(6);
    // One branch per state, each starting on that state's box, and one trunk ending on cancelling.
    const geo = await src.evaluate((sec, b) => {
      const svg = sec.querySelector('svg.msv')!;
      const box = (id: string) => (svg.querySelector(`[data-node="${id}"] > rect`) as SVGRectElement).getBBox();
      const near = (p: DOMPoint, r: DOMRect) => p.x >= r.x - 3 && p.x <= r.x + r.width + 3 && p.y >= r.y - 3 && p.y <= r.y + r.height + 3;
      const branches = [...svg.querySelectorAll(`g.edge.branch[data-bundle="${b}"]`)].map((g) => {
        const path = g.querySelector('path') as SVGPathElement;
        const start = path.getPointAtLength(0);
        const edge = g.getAttribute('data-edge');
        return { edge, start: [start.x, start.y] as const, ok: false, path };
      });
      const trunk = svg.querySelector(`g.edge.trunk[data-bundle="${b}"] path`) as SVGPathElement;
      const end = trunk.getPointAtLength(trunk.getTotalLength());
      return {
        starts: branches.map((x) => [...svg.querySelectorAll('[data-node]')].filter((n) => n.classList.contains('state') && near(new DOMPoint(...x.start), box(n.getAttribute('data-node')!))).map((n) => n.getAttribute('data-node')!.split('.').pop())),
        trunkEndsOnCancelling: near(end, box('status.cancelling')),
      };
    }, bundle);
    expect(geo.starts.map((s) => s.length)).toEqual(from.map(() => 1));
    expect(geo.starts.map((s) => s[0]).sort()).toEqual([...from].sort());
    expect(geo.trunkEndsOnCancelling).toBe(true);
    // Clicking the label names every state it is drawn from and QEMU's function.
    // The label may lie outside the natural-size view: the click is dispatched to it directly.
    await labels.first().dispatchEvent('click');
    const info = await src.locator('.chart .info').innerText();
    expect(info).toContain('migrate_cancel');
    for (const f of from) expect(info).toContain(f);
    expect(info).toMatch(/QEMU: /);
  }, 120_000);
});
