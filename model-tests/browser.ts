// The browser tests' one way to start the viewer: Vite's dev server on 127.0.0.1 (a free port, no
// hot reload, so an edit elsewhere cannot reload a page mid-test) and Debian's Chromium, headless,
// with the project's flags. Never a downloaded browser.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';
export const hasBrowser = existsSync(CHROMIUM);
const ROOT = join(import.meta.dirname, '..');

export async function startViewer(): Promise<{ server: ViteDevServer; browser: Browser; base: string }> {
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright-core');
  const server = await createServer({ configFile: join(ROOT, 'vite.config.ts'), server: { port: 0, host: '127.0.0.1', hmr: false }, logLevel: 'error' });
  await server.listen();
  const base = `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}/`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  return { server, browser, base };
}

/**
 * Watches a page's requests: any that would leave this machine (not loopback, data: or blob:) is
 * recorded and refused. The returned list is the tests' evidence that the viewer works offline.
 */
export async function watchRequests(page: Page): Promise<string[]> {
  const external: string[] = [];
  await page.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) {
      external.push(u.href);
      return route.abort();
    }
    return route.continue();
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return external;
}
