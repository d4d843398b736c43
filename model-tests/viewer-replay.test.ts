// The viewer's trace replay gives check-trace's verdict, and the sequence chart of a trace.
// Node side: diagrams/sequence.ts on a real trace (Mermaid, SVG). In headless Chromium (the
// system's, never downloaded) against a Vite server on 127.0.0.1: every *.jsonl file of the
// repository (git ls-files, at test time), a fresh `migstate conformance` trace and fresh
// `migstate import-libvirt` output are replayed in the page, and the page's verdict (rejected, or
// accepted with its departures as line + process + kind) must equal what the real CLI's
// check-trace says for the same profile. A failed load clears the view; the step is in the URL;
// the sequence chart follows the replay and exports Mermaid.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { DOMParser as XmlParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { getProfile } from '../machines/index.ts';
import { checkTraceText, isDeparture, type Finding } from '../trace/check.ts';
import { buildSequence, seqMsgsOfText, sequenceMermaid, sequenceSvg } from '../diagrams/sequence.ts';
import { hasBrowser, startViewer, watchRequests } from './browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ART = join(ROOT, 'test-artifacts');
const QEMU = '/usr/bin/qemu-system-x86_64';

/** The real CLI, as a user runs it. */
function cli(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'cli', 'bin.js'), ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
}

/**
 * The profile a trace is checked with, as the repository's tests choose it: a qemu-10.0 folder or a
 * -10.0 name, a -master name, else the QEMU version its first greeting reports (7.2 otherwise).
 */
function profileOf(path: string): string {
  if (/(^|\/)qemu-10\.0\/|(^|[-.])10\.0[-.]/.test(path.replace(ROOT + '/', ''))) return 'qemu-10.0';
  if (/master/.test(basename(path))) return 'qemu-master';
  const head = readFileSync(path, 'utf8').slice(0, 200_000);
  return /"QMP":\{"version":\{"qemu":\{[^}]*"major":10/.test(head) ? 'qemu-10.0' : 'qemu-7.2';
}

/** The real CLI without blocking: check-trace takes seconds a trace, so the runs overlap the page's work. */
function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, [join(ROOT, 'cli', 'bin.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('close', (status) => done({ status, stdout, stderr }));
  });
}

type Verdict = { rejected: true } | { rejected: false; departures: string[]; unchecked: string[] };
/** check-trace's verdict: exit 2 rejected, else its departures and its unchecked commands, as "line vm kind". */
async function cliVerdict(path: string, profile: string): Promise<Verdict> {
  const r = await cliAsync(['check-trace', '--profile', profile, path]);
  if (r.status === 2) return { rejected: true };
  expect([0, 1], r.stderr).toContain(r.status);
  const fs = r.stdout.trim() ? r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Finding) : [];
  const departures = fs.filter((f) => isDeparture(f)).map((f) => `${f.line} ${f.vm} ${f.kind}`);
  const unchecked = fs.filter((f) => f.kind === 'unchecked').map((f) => `${f.line} ${f.vm} ${f.kind}`);
  expect(r.status).toBe(departures.length || unchecked.length ? 1 : 0);
  return { rejected: false, departures, unchecked };
}

// ---- Node side: the chart as data, SVG and Mermaid -------------------------------------------------

describe('sequence chart (diagrams/sequence.ts)', () => {
  const file = join(ROOT, 'model-tests', 'fixtures', 'traces', 'qemu-7.2', 'three-processes-a-b-c.jsonl');

  it('a real trace of three QEMUs: Mermaid with one participant per process and the client, one arrow per command, reply and event; the SVG is well-formed', () => {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { vm?: string; msg?: Record<string, unknown> });
    const qmp = lines.filter((l) => l.msg);
    const processes = [...new Set(qmp.map((l) => l.vm!))];
    const arrows = qmp.filter((l) => !('QMP' in l.msg!)).length;
    const findings = JSON.parse('[' + checkTraceText(getProfile('qemu-7.2'), text).stdout.trim().split('\n').filter(Boolean).join(',') + ']') as Finding[];
    const chart = buildSequence(seqMsgsOfText(text), findings);
    expect(chart.participants).toEqual(['management client', ...processes]);
    const mer = sequenceMermaid(chart);
    expect(mer.startsWith('sequenceDiagram\n')).toBe(true);
    const parts = mer.split('\n').filter((l) => /^\s+participant /.test(l));
    expect(parts).toHaveLength(processes.length + 1);
    const arrowLines = mer.split('\n').filter((l) => /^\s+\S+(->>|-->>|--x|--\))\S+: /.test(l));
    expect(arrowLines).toHaveLength(arrows);
    // Commands go client → process, replies and events process → client.
    expect(arrowLines.filter((l) => /^\s+client->>/.test(l))).toHaveLength(qmp.filter((l) => 'execute' in l.msg! || 'exec-oob' in l.msg!).length);
    expect(arrowLines.filter((l) => /--\)client: /.test(l))).toHaveLength(qmp.filter((l) => 'event' in l.msg!).length);
    expect(mer).toContain('Note over p1: status: completed');
    const svg = sequenceSvg(chart, { current: 3 });
    const errors: string[] = [];
    const doc = new XmlParser({ onError: (level: string, msg: string) => void errors.push(`${level}: ${msg}`) }).parseFromString(svg, 'image/svg+xml');
    expect(errors).toEqual([]);
    expect(doc.documentElement?.nodeName).toBe('svg');
    expect(doc.getElementsByTagName('g').length).toBeGreaterThan(qmp.length);
    // Text at 12 px or more.
    const sizes = [...svg.matchAll(/font-size:\s*(\d+(?:\.\d+)?)px/g)].map((m) => Number(m[1]));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12);
  });

  it('departures are in red at their line, worded for people; errors are marked', () => {
    const text = readFileSync(join(ROOT, 'model-tests', 'fixtures', 'traces', 'departure-error.jsonl'), 'utf8');
    const r = checkTraceText(getProfile('qemu-7.2'), text);
    const findings = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Finding);
    const chart = buildSequence(seqMsgsOfText(text), findings);
    const dep = chart.items.filter((i) => i.departures.length);
    expect(dep.map((i) => i.line)).toEqual(findings.filter((f) => isDeparture(f)).map((f) => f.line));
    expect(dep[0].type).toBe('error');
    expect(dep[0].departures[0]).toMatch(/refused .* with the error “.*”; the model answers .*\[wrong-error\]$/);
    expect(dep[0].departures[0]).not.toMatch(/[{[]"/);
    const svg = sequenceSvg(chart);
    expect(svg).toMatch(/class="msg error departure"/);
    expect(sequenceMermaid(chart)).toMatch(/--xclient: .*error: /);
  });
});

// ---- in the browser: the page's verdict is check-trace's ---------------------------------------------

describe.skipIf(!hasBrowser)('replay in headless Chromium = check-trace', () => {
  let server: ViteDevServer;
  let browser: Browser;
  let page: Page;
  let base = '';
  let work = '';
  let external: string[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    work = mkdtempSync(join(tmpdir(), 'migstate-replay-'));
    ({ server, browser, base } = await startViewer());
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    external = await watchRequests(page);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A fresh page on the replay tab with `profile` chosen (a new document: no state of the last trace). */
  const open = async (profile: string, extra = '') => {
    await page.goto('about:blank');
    await page.goto(`${base}#view=replay&profile=${profile}${extra}`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    expect(await page.getByRole('combobox', { name: 'profile to replay against' }).inputValue()).toBe(profile);
  };
  const view = () => page.locator('.replay-view');
  /** Loads a file and waits for the verdict. */
  const replay = async (path: string) => {
    await page.getByLabel('open a trace file').setInputFiles(path);
    await page.waitForSelector('.replay-view[data-verdict]', { timeout: 120_000 });
  };
  const pageVerdict = async (): Promise<Verdict> => {
    if ((await view().getAttribute('data-verdict')) === 'rejected') return { rejected: true };
    const items = (list: string) => page.locator(`ol.${list} li`).evaluateAll((els) => els.map((e) => `${e.getAttribute('data-line')} ${e.getAttribute('data-process')} ${e.getAttribute('data-kind')}`));
    return { rejected: false, departures: await items('departures'), unchecked: await items('unchecked') };
  };

  /** Every *.jsonl in the repository, a fresh conformance trace (where QEMU is installed) and fresh import-libvirt output. */
  function inputs(): { path: string; profile: string }[] {
    const files = execFileSync('git', ['ls-files', '*.jsonl'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').filter(Boolean).map((f) => join(ROOT, f));
    expect(files.length).toBeGreaterThan(40);
    const out = files.map((path) => ({ path, profile: profileOf(path) }));
    if (existsSync(QEMU)) {
      const dir = join(work, 'conformance');
      const r = cli(['conformance', '--qemu', QEMU, '--scenarios', 'precopy-cancel-active', '--traces', dir]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      out.push({ path: join(dir, 'precopy-cancel-active.jsonl'), profile: 'qemu-7.2' });
    }
    // import-libvirt output: libvirt's getfd and migrate to fd: (modelled), queries it sends that the model does not know (skipped).
    for (const log of ['7.2-save-restore.txt', '7.2-daemon-restart.txt', '10.0-migrate-multifd-xbzrle.dst.txt']) {
      const r = cli(['import-libvirt', join(ROOT, 'model-tests', 'fixtures', 'libvirt', 'real', log)]);
      expect(r.status, r.stderr).toBe(0);
      const path = join(work, `libvirt-${log.replace(/\.txt$/, '')}.jsonl`);
      writeFileSync(path, r.stdout);
      out.push({ path, profile: log.startsWith('10.0') ? 'qemu-10.0' : 'qemu-7.2' });
    }
    expect(readFileSync(join(work, 'libvirt-7.2-save-restore.jsonl'), 'utf8')).toContain('"execute":"getfd"');
    // Edges of the format: an empty file and one of notes only conform (0 lines); a byte-order mark is not JSON to check-trace.
    const precopy = readFileSync(join(ROOT, 'model-tests', 'fixtures', 'traces', 'precopy-clean.jsonl'), 'utf8');
    for (const [name, text] of [['empty.jsonl', ''], ['notes-only.jsonl', '{"t":0,"note":{"launch":"pair"}}\n\n'], ['bom.jsonl', '\ufeff' + precopy], ['crlf-no-final-newline.jsonl', precopy.trimEnd().replaceAll('\n', '\r\n')]] as const) {
      writeFileSync(join(work, name), text);
      out.push({ path: join(work, name), profile: 'qemu-7.2' });
    }
    return out;
  }

  it('every trace of the repository, a conformance run and import-libvirt output: accepted or rejected, and the departures (line, process, kind), as check-trace says', async () => {
    const list = inputs();
    // Two check-trace runs at a time, in order, started now: the page replays while they run.
    const verdicts: Promise<Verdict>[] = [];
    for (const [i, { path, profile }] of list.entries()) verdicts.push(i < 2 ? cliVerdict(path, profile) : verdicts[i - 2].then(() => cliVerdict(path, profile)));
    const rows: string[] = [];
    let rejected = 0;
    let departing = 0;
    let unchecked = 0;
    for (const [i, { path, profile }] of list.entries()) {
      const want = await verdicts[i];
      const name = path.replace(ROOT + '/', '');
      await open(profile);
      await replay(path).catch((e: Error) => {
        throw new Error(`${name} (${profile}): ${e.message}`);
      });
      const got = await pageVerdict();
      expect(got, `${name} (${profile})`).toEqual(want);
      if (want.rejected) {
        rejected++;
        // A readable error that names the line, and nothing of a trace on view.
        expect(await page.getByRole('alert').innerText()).toMatch(/^Cannot replay .*: line \d+: /);
        expect(await page.locator('.replay-view .pos').innerText()).toBe('no trace loaded');
      } else {
        if (want.departures.length) departing++;
        if (want.unchecked.length) unchecked++;
        // The verdict names the outcome check-trace's exit code gives.
        expect(await view().getAttribute('data-verdict')).toBe(want.departures.length ? 'departs' : want.unchecked.length ? 'unchecked' : 'conforms');
      }
      rows.push(`${name} [${profile}]: ${want.rejected ? 'rejected' : `${want.departures.length} departure(s), ${want.unchecked.length} unchecked`}`);
    }
    console.log(`replay = check-trace on ${list.length} files:\n  ${rows.join('\n  ')}`);
    expect(rejected).toBeGreaterThan(0);
    expect(departing).toBeGreaterThan(0);
    // fd-set-unchecked.jsonl: add-fd, recorded on the 7.2 binary, is not modelled.
    expect(unchecked).toBeGreaterThan(0);
  }, 900_000);

  it('a failed load clears the view: no step, no departures, no processes, no sequence chart of the previous trace', async () => {
    await open('qemu-7.2');
    await replay(join(ROOT, 'model-tests', 'fixtures', 'traces', 'departure-status.jsonl'));
    await expect.poll(() => view().getAttribute('data-step')).toBe('0');
    expect(await page.locator('ol.departures li').count()).toBe(2);
    await expect.poll(() => page.locator('.sequence-view svg .msg').count()).toBeGreaterThan(0);
    const bad = join(work, 'bad.jsonl');
    writeFileSync(bad, readFileSync(join(ROOT, 'model-tests', 'fixtures', 'traces', 'precopy-clean.jsonl'), 'utf8') + '{"t":1,"vm":"source","dir":"sideways","msg":{}}\n');
    await replay(bad);
    expect(await view().getAttribute('data-verdict')).toBe('rejected');
    expect(await page.getByRole('alert').innerText()).toMatch(/^Cannot replay bad\.jsonl: line \d+: unknown dir "sideways"/);
    expect(await page.locator('.replay-view .pos').innerText()).toBe('no trace loaded');
    expect(await view().getAttribute('data-step')).toBeNull();
    expect(await page.locator('.step-detail').innerText()).toBe('');
    expect(await page.locator('ol.departures li').count()).toBe(0);
    expect(await page.locator('.sequence-view svg').count()).toBe(0);
    expect(await page.locator('.replay-charts svg .state.active, .replay-charts svg .state.possible').count()).toBe(0);
    expect(await page.locator('.stepper input[type=range]').isDisabled()).toBe(true);
    await expect.poll(() => new URL(page.url()).hash).not.toContain('rstep');
  }, 120_000);

  it('the sequence chart shows the replayed trace, follows the step, moves the replay on a click, and exports Mermaid and SVG; the step is in the URL', async () => {
    const file = join(ROOT, 'model-tests', 'fixtures', 'traces', 'qemu-7.2', 'three-processes-a-b-c.jsonl');
    const text = readFileSync(file, 'utf8');
    const steps = text.split('\n').filter((l) => l.trim() && !l.includes('"note"')).length;
    await open('qemu-7.2');
    await replay(file);
    const seq = page.locator('.sequence-view');
    await expect.poll(() => seq.locator('svg .msg').count()).toBe(steps);
    expect(await seq.locator('.seq-sticky svg .head text').allTextContents()).toEqual(['management client', 'destination', 'source', 'C']);
    await expect.poll(() => seq.locator('svg .msg.current').getAttribute('data-step')).toBe('0');
    // Chart text is at least 12 CSS px.
    const minFont = await seq.locator('svg text').evaluateAll((els) => Math.min(...els.map((e) => parseFloat(getComputedStyle(e).fontSize))));
    expect(minFont).toBeGreaterThanOrEqual(12);
    // A click on a message moves the replay there, and the URL follows.
    const target = 40;
    await seq.locator(`svg .msg[data-step="${target}"]`).click();
    await expect.poll(() => view().getAttribute('data-step')).toBe(String(target));
    await expect.poll(() => seq.locator('svg .msg.current').getAttribute('data-step')).toBe(String(target));
    await expect.poll(() => new URL(page.url()).hash).toContain(`rstep=${target + 1}`);
    await page.getByRole('button', { name: 'next ⟩' }).click();
    await expect.poll(() => seq.locator('svg .msg.current').getAttribute('data-step')).toBe(String(target + 1));
    await page.screenshot({ path: join(ART, 'viewer-replay-sequence.png') });
    await seq.screenshot({ path: join(ART, 'viewer-replay-sequence-chart.png') });
    // Exports.
    const [mdl] = await Promise.all([page.waitForEvent('download'), seq.getByRole('button', { name: 'Export Mermaid' }).click()]);
    const mpath = join(work, 'seq.mmd');
    await mdl.saveAs(mpath);
    const mer = readFileSync(mpath, 'utf8');
    expect(mer.startsWith('sequenceDiagram\n')).toBe(true);
    expect(mer.split('\n').filter((l) => /^\s+participant /.test(l))).toHaveLength(4);
    const [sdl] = await Promise.all([page.waitForEvent('download'), seq.getByRole('button', { name: 'Export SVG' }).click()]);
    const spath = join(work, 'seq.svg');
    await sdl.saveAs(spath);
    const parsed = await page.evaluate((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, msgs: doc.querySelectorAll('.msg').length };
    }, readFileSync(spath, 'utf8'));
    expect(parsed).toEqual({ error: null, msgs: steps });
    // A link with the step opens the next replayed trace there.
    await open('qemu-7.2', `&rstep=${target + 1}`);
    await replay(file);
    await expect.poll(() => view().getAttribute('data-step')).toBe(String(target));
  }, 180_000);

  it('each replay step the user moves to is a history entry: Back returns to the step before, Forward takes it again', async () => {
    const file = join(ROOT, 'model-tests', 'fixtures', 'traces', 'qemu-7.2', 'three-processes-a-b-c.jsonl');
    await open('qemu-7.2');
    await replay(file);
    const step = () => expect.poll(() => view().getAttribute('data-step'), { timeout: 10_000 });
    await step().toBe('0');
    const next = page.getByRole('button', { name: 'next ⟩' });
    for (const want of [1, 2, 3]) {
      await next.click();
      await expect.poll(() => new URL(page.url()).hash, { timeout: 10_000 }).toContain(`rstep=${want + 1}`);
    }
    // Three moves, three entries: Back three times reaches the first step (which the page showed
    // itself, making no entry of its own), and the entry before it is the page's own.
    for (const want of ['2', '1', '0']) {
      await page.goBack();
      await step().toBe(want);
    }
    expect(new URL(page.url()).hash).toContain('rstep=1');
    // Back made no entries: Forward still has all three (an entry pushed by Back would have cut them).
    for (const want of ['1', '2', '3']) {
      await page.goForward();
      await step().toBe(want);
    }
    await expect.poll(() => new URL(page.url()).hash, { timeout: 10_000 }).toContain('rstep=4');
    expect(new URL(page.url()).hash).toContain('view=replay');
  }, 120_000);

  it('the replayed simulation is drawn too', async () => {
    await open('qemu-7.2', '&caps=events&steps=' + encodeURIComponent(JSON.stringify([['d', 'migrate-incoming', { uri: 'tcp:127.0.0.1:4444' }], ['s', 'migrate', { uri: 'tcp:127.0.0.1:4444' }], ['sync', 'connect']])));
    await page.getByRole('button', { name: 'replay the current simulation' }).click();
    await page.waitForSelector('.replay-view[data-verdict]', { timeout: 60_000 });
    expect(await view().getAttribute('data-verdict')).toBe('conforms');
    const heads = await page.locator('.sequence-view svg .head text').allTextContents();
    expect(heads).toEqual(expect.arrayContaining(['management client', 'source', 'destination']));
    expect(await page.locator('.sequence-view svg .msg.command text').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^migrate /)]));
  }, 120_000);

  it('no request left this machine', () => {
    expect(external).toEqual([]);
  });
});
