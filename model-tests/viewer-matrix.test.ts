// The permission-matrix diff: cells classified as permission flips, wording changes, unchanged or
// present in one profile only; rows lined up by the state they are (a state one profile names
// differently, lined up by the steps that reach it); and the hazards `migstate hazards` finds shown
// as ✓→✗ cells. First on the model's own matrices in Node, then in the viewer in headless Chromium
// (the system's, never downloaded) against a Vite server on 127.0.0.1.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { getProfile, type Side } from '../machines/index.ts';
import { CELL_CHANGES, matrixDiff, type Cell, type CellChange, type MatrixDiff } from '../machines/matrix.ts';
import { hazards } from '../machines/hazards.ts';
import { hasBrowser, startViewer, watchRequests } from './browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ART = join(ROOT, 'test-artifacts');
const SIDES: readonly Side[] = ['source', 'destination'];
const PAIRS: readonly [string, string][] = [
  ['qemu-7.2', 'proposed'],
  ['qemu-7.2', 'qemu-10.0'],
  ['qemu-10.0', 'qemu-master'],
  ['qemu-master', 'proposed'],
];
const SET_CAPS = 'migrate-set-capabilities';
const IN_PROGRESS = "There's a migration process in progress";

/** The cells of one diff position: A's and B's answers. */
function cellsAt(d: MatrixDiff, ri: number, ci: number): [Cell | undefined, Cell | undefined] {
  const r = d.rows[ri];
  const c = d.columns[ci];
  return [r.a !== null && c.a !== null ? d.a.rows[r.a].cells[c.a] : undefined, r.b !== null && c.b !== null ? d.b.rows[r.b].cells[c.b] : undefined];
}

function find(d: MatrixDiff, keyB: string, label: string) {
  const ri = d.rows.findIndex((r) => r.b !== null && d.b.rows[r.b].key === keyB);
  const ci = d.columns.findIndex((c) => c.label === label);
  return { ri, ci, row: d.rows[ri], kind: d.changes[ri]?.[ci], cells: cellsAt(d, ri, ci) };
}

describe('permission-matrix diff on the model', () => {
  it('every row of both matrices appears once; rows line up by state, or by the same steps under another status', () => {
    for (const [x, y] of PAIRS)
      for (const side of SIDES) {
        const d = matrixDiff(getProfile(x), getProfile(y), side);
        const as = d.rows.flatMap((r) => (r.a === null ? [] : [r.a])).sort((p, q) => p - q);
        const bs = d.rows.flatMap((r) => (r.b === null ? [] : [r.b])).sort((p, q) => p - q);
        expect(as, `${x}→${y} ${side}`).toEqual(d.a.rows.map((_, i) => i));
        expect(bs, `${x}→${y} ${side}`).toEqual(d.b.rows.map((_, i) => i));
        for (const r of d.rows) {
          const ra = r.a !== null ? d.a.rows[r.a] : undefined;
          const rb = r.b !== null ? d.b.rows[r.b] : undefined;
          if (r.match === 'only') expect(!ra !== !rb).toBe(true);
          if (r.match === 'state') expect([ra!.status, ra!.runstate, ra!.listening]).toEqual([rb!.status, rb!.runstate, rb!.listening]);
          if (r.match === 'path') {
            expect([ra!.runstate, ra!.listening]).toEqual([rb!.runstate, rb!.listening]);
            expect(ra!.status).not.toBe(rb!.status);
          }
          // Two rows with the same state are always lined up (never left as two one-sided rows).
          if (r.match === 'only' && ra) expect(d.b.rows.some((o) => o.key === ra.key)).toBe(false);
        }
      }
  });

  it('classifies each cell from the two answers; counts add up', () => {
    for (const [x, y] of PAIRS)
      for (const side of SIDES) {
        const d = matrixDiff(getProfile(x), getProfile(y), side);
        const counts = Object.fromEntries(CELL_CHANGES.map((k) => [k, 0])) as Record<CellChange, number>;
        d.rows.forEach((_, ri) =>
          d.columns.forEach((_c, ci) => {
            const [a, b] = cellsAt(d, ri, ci);
            const k = d.changes[ri][ci];
            counts[k]++;
            const where = `${x}→${y} ${side} row ${ri} ${d.columns[ci].label}`;
            if (!a || !b) return expect(k, where).toBe('only');
            if (a.allowed && !b.allowed) return expect(k, where).toBe('flip-refused');
            if (!a.allowed && b.allowed) return expect(k, where).toBe('flip-accepted');
            const sameText = a.allowed || (a.error!.class === b.error!.class && a.error!.desc === b.error!.desc);
            expect(k, where).toBe(sameText ? 'same' : 'wording');
          }),
        );
        expect(d.counts).toEqual(counts);
      }
  });

  it('qemu-7.2 → proposed, destination: migrate-set-capabilities on the listening destination is a ✓→✗ flip', () => {
    const d = matrixDiff(getProfile('qemu-7.2'), getProfile('proposed'), 'destination');
    const x = find(d, 'setup / inmigrate / listening', SET_CAPS);
    // 7.2 listens in status none, proposed in setup: the same steps (migrate-incoming) reach both.
    expect(d.a.rows[x.row.a!].key).toBe('none / inmigrate / listening');
    expect(x.row.match).toBe('path');
    expect(d.b.rows[x.row.b!].path).toEqual(d.a.rows[x.row.a!].path);
    expect(x.kind).toBe('flip-refused');
    expect(x.cells[0]!.allowed).toBe(true);
    expect(x.cells[1]!.error?.desc).toBe(IN_PROGRESS);
    // Wording-only cells exist here and are told apart: refused in both, another message.
    expect(d.counts.wording).toBeGreaterThan(0);
    expect(d.counts['flip-refused']).toBeGreaterThan(0);
    // A state only proposed reaches is one-sided.
    const failed = find(d, 'failed / inmigrate / listening', SET_CAPS);
    expect(failed.row.match).toBe('only');
    expect(failed.kind).toBe('only');
  });

  it('every hazard `migstate hazards` reports shows as a ✓→✗ cell at the state where it is first found', () => {
    for (const x of ['qemu-7.2', 'qemu-10.0', 'qemu-master']) {
      const rep = hazards(getProfile(x), getProfile('proposed'));
      expect(rep.hazards.length).toBeGreaterThan(0);
      const diffs = { source: matrixDiff(getProfile(x), getProfile('proposed'), 'source'), destination: matrixDiff(getProfile(x), getProfile('proposed'), 'destination') };
      for (const h of rep.hazards) {
        const d = diffs[h.side];
        const key = h.side === 'destination' ? `${h.where.status} / ${h.where.runstate} / ${h.where.listening ? 'listening' : 'not listening'}` : `${h.where.status} / ${h.where.runstate}`;
        const ri = d.rows.findIndex((r) => r.a !== null && d.a.rows[r.a].key === key);
        const ci = d.columns.findIndex((c) => c.label === h.probe.label);
        expect(ri, `${x} ${h.side} ${key}`).toBeGreaterThanOrEqual(0);
        expect(d.changes[ri][ci], `${x} ${h.side} ${h.probe.label} in ${key}`).toBe('flip-refused');
        expect(cellsAt(d, ri, ci)[1]!.error?.desc, `${x} ${h.side} ${h.probe.label}`).toBe(h.error.desc);
      }
    }
  });
});

describe.skipIf(!hasBrowser)('permission-matrix diff in headless Chromium', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let page: Page;
  let base = '';
  let external: string[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    ({ server, browser, base } = await startViewer());
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await ctx.newPage();
    external = await watchRequests(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const open = async (hash: string) => {
    await page.goto('about:blank');
    await page.goto(base + hash);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  };
  const kind = (k: CellChange) => page.locator(`.matrix-kinds input[data-kind="${k}"]`);
  const hazardCell = 'table.matrix.diff tr[data-key-b="setup / inmigrate / listening"] td[data-col="migrate-set-capabilities"]';

  it('qemu-7.2 → proposed, destination: the listening destination’s migrate-set-capabilities is a ✓→✗ flip; wording changes filter out', async () => {
    await open('#view=matrix&ma=qemu-7.2&mside=destination&mdiff=proposed');
    await page.waitForSelector(hazardCell, { timeout: 60_000 });
    const d = matrixDiff(getProfile('qemu-7.2'), getProfile('proposed'), 'destination');

    // The flip, in the row lined up by state (7.2 names it none / inmigrate / listening).
    const cell = page.locator(hazardCell);
    expect(await cell.getAttribute('data-change')).toBe('flip-refused');
    expect(await cell.getAttribute('class')).toContain('changed');
    expect((await cell.innerText()).trim()).toBe('✓→✗');
    expect(await page.locator('table.matrix.diff tr[data-key-b="setup / inmigrate / listening"]').getAttribute('data-key-a')).toBe('none / inmigrate / listening');
    await cell.locator('button').click();
    const detail = await page.locator('.matrix-detail').innerText();
    expect(detail).toContain(IN_PROGRESS);
    expect(detail).toContain('accepted');
    // A flip and a wording change do not look alike.
    const bg = (sel: string) => page.locator(sel).first().evaluate((el) => getComputedStyle(el).backgroundColor + '|' + getComputedStyle(el).backgroundImage);
    expect(await bg('td[data-change="flip-refused"]')).not.toBe(await bg('td[data-change="wording"]'));
    // A state only proposed reaches is shown as such.
    expect(await page.locator('tr.only-b[data-key-b="failed / inmigrate / listening"] th').innerText()).toContain('only proposed');

    // The counts on the page are the model's, per kind, in the filter's labels and on the page.
    for (const k of CELL_CHANGES) {
      expect(await page.locator(`.matrix-kinds label.kind-${k} .count`).innerText(), k).toBe(`(${d.counts[k]})`);
      expect(await page.locator(`table.matrix.diff td[data-change="${k}"]`).count(), k).toBe(d.counts[k]);
    }
    const flips = d.counts['flip-refused'] + d.counts['flip-accepted'];
    expect(await page.locator('.matrix-view .status').innerText()).toContain(`destination: ${flips} cells change permission (${d.counts['flip-refused']} ✓→✗, ${d.counts['flip-accepted']} ✗→✓), ${d.counts.wording} only their error wording`);
    expect(await page.locator('table.matrix.diff td[data-change="wording"] button').count()).toBe(d.counts.wording);

    // The filter is a real labelled checkbox; unchecked, wording-only cells show nothing, flips stay.
    const wording = page.getByRole('checkbox', { name: /error wording only/ });
    expect(await wording.isChecked()).toBe(true);
    await wording.uncheck();
    await page.waitForFunction(() => document.querySelectorAll('table.matrix.diff td[data-change="wording"] button').length === 0);
    expect(await page.locator('table.matrix.diff td.ch-wording').count()).toBe(0);
    expect(await page.locator(hazardCell).getAttribute('data-change')).toBe('flip-refused');
    expect(await page.locator('table.matrix.diff td[data-change="flip-refused"] button').count()).toBe(d.counts['flip-refused']);
    // Hiding unchanged cells and only-one-profile cells too leaves the flips alone.
    await kind('same').uncheck();
    await kind('only').uncheck();
    await page.waitForFunction(() => document.querySelectorAll('table.matrix.diff td[data-change="same"] button').length === 0);
    expect(await page.locator('table.matrix.diff td button').count()).toBe(flips);
    await page.screenshot({ path: join(ART, 'viewer-matrix-flips.png') });

    // The selection is in the link: opening it again restores the profiles, side and filters.
    await page.waitForFunction(() => location.hash.includes('mshow='));
    const hash = await page.evaluate(() => location.hash);
    expect(new URLSearchParams(hash.slice(1)).get('mshow')!.split(',').sort()).toEqual(['flip-accepted', 'flip-refused']);
    await open(hash);
    await page.waitForSelector(hazardCell + ' button', { timeout: 60_000 });
    expect(await kind('wording').isChecked()).toBe(false);
    expect(await kind('flip-refused').isChecked()).toBe(true);
    expect(await page.locator('.matrix-view').getByRole('combobox', { name: 'side' }).inputValue()).toBe('destination');
    expect(await page.locator('table.matrix.diff td button').count()).toBe(flips);
    expect(external).toEqual([]);
  }, 180_000);
});
