// The viewer (viewer/): `vite` serves it, `vite build` writes dist/viewer. One plugin: diagrams laid
// out ahead of time (viewer/prelayout.ts, run with tsx in a child process so it always reads the
// current machines/), exposed as the module 'virtual:migstate-layouts': by profile, a loader of that
// profile's own module, whose default export is one JSON string. Each profile is its own chunk, so
// the page's bundle does not carry the layouts (half its size). The first profile's module is a
// static import, in a chunk of its own: fetched and parsed beside the page's script (a modulepreload),
// and at hand when the script runs, with no task to wait for in between (a dynamic import of it
// cost the script 10-16 ms before it could go on).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { defineConfig, type Plugin } from 'vite';

const here = import.meta.dirname;
const VIRTUAL = 'virtual:migstate-layouts';
/** The profile the page opens with (viewer/src/sim.ts: DEFAULT_CONFIG), whose layouts are preloaded. */
const FIRST_PROFILE = 'qemu-7.2';

function prelayout(): Plugin {
  const index = '\0' + VIRTUAL;
  const one = index + '/';
  let computed: Promise<Record<string, Record<string, unknown>>> | null = null;
  const layouts = () =>
    (computed ??= promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'viewer/prelayout.ts')], { cwd: here, maxBuffer: 64 * 1024 * 1024 }).then(({ stdout }) => {
      const byProfile: Record<string, Record<string, unknown>> = {};
      for (const [k, v] of Object.entries(JSON.parse(stdout) as Record<string, unknown>)) (byProfile[k.split('|')[0]] ??= {})[k] = v;
      return byProfile;
    }));
  return {
    name: 'migstate-prelayout',
    resolveId: (source) => (source === VIRTUAL ? index : source.startsWith(VIRTUAL + '/') ? '\0' + source : null),
    async load(source) {
      if (source !== index && !source.startsWith(one)) return null;
      // Recompute when the model or the layout code changes.
      for (const dir of ['machines', 'machines/profiles'])
        for (const f of readdirSync(join(here, dir))) if (f.endsWith('.ts')) this.addWatchFile(join(here, dir, f));
      for (const f of ['viewer/prelayout.ts', 'diagrams/layout.ts', 'diagrams/diagram.ts', 'diagrams/charts.ts']) this.addWatchFile(join(here, f));
      try {
        const byProfile = await layouts();
        // '*' (the channel's diagrams, the same in every profile) is small and always shown: inline.
        if (source === index)
          return `import first from ${JSON.stringify(`${VIRTUAL}/${FIRST_PROFILE}`)};\nexport default {${Object.entries(byProfile)
            .map(([k, v]) => `${JSON.stringify(k)}: ${k === '*' ? `() => Promise.resolve({ default: ${JSON.stringify(JSON.stringify(v))} })` : k === FIRST_PROFILE ? '() => Promise.resolve({ default: first })' : `() => import(${JSON.stringify(`${VIRTUAL}/${k}`)})`}`)
            .join(', ')}};`;
        return `export default ${JSON.stringify(JSON.stringify(byProfile[source.slice(one.length)] ?? {}))};`;
      } catch (e) {
        computed = null;
        this.warn(`diagrams not laid out ahead of time: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
        return 'export default {};';
      }
    },
    watchChange() {
      computed = null;
    },
  };
}

export default defineConfig({
  root: resolve(here, 'viewer'),
  base: './',
  plugins: [prelayout()],
  server: { host: '127.0.0.1', port: 5173, strictPort: false, fs: { allow: [here] } },
  preview: { host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    outDir: resolve(here, 'dist/viewer'),
    emptyOutDir: true,
    target: 'es2022',
    // Chromium, Firefox (115) and Safari (17) preload modules themselves: the polyfill only looked
    // for <link rel=modulepreload> at start-up in every browser the page targets.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 3000,
    // One stylesheet (19 KB, the lazily loaded views' rules too): the page asked for eight files at
    // once, two more than Chromium's six connections to a host, so the last waited for a free one.
    // Interleaved with the split build, first render 483 → 443 and 552 → 533 ms in two runs.
    cssCodeSplit: false,
    // qemu-7.2's tables (63 KB of object literals, which V8 parses in full) are a chunk of their
    // own: Chromium compiles each script on its own background thread, so the model's code and its
    // data compile side by side instead of one after the other. The later profiles' deltas
    // (package.json "imports": deltas-lazy.ts in a browser) are one chunk more, fetched only when a
    // profile other than qemu-7.2 is first asked for: 70 KB less to compile before the first render.
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'profiles', test: /[\\/]machines[\\/]profiles[\\/]qemu-7\.2\.ts$/ },
            // The first profile's layouts (a JSON string), statically imported: still a chunk of their own.
            { name: 'layouts', test: (id: string) => id === `\0${VIRTUAL}/${FIRST_PROFILE}` },
            { name: 'profile-deltas', test: /[\\/]machines[\\/]profiles[\\/](qemu-10\.0|qemu-master|proposed)\.ts$/ },
            // The chart code and the diagram code it draws with, one chunk: ELK's loader (viewer/src/elk.ts,
            // lazy) shares diagrams/layout.ts with them, which would otherwise split it into a request of its own.
            { name: 'chart-view', test: /[\\/](viewer[\\/]src[\\/]chart-view\.ts|diagrams[\\/](layout|render|diagram)\.ts)$/ },
          ],
        },
      },
    },
  },
});
