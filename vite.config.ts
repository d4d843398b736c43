// The viewer (viewer/): `vite` serves it, `vite build` writes dist/viewer. One plugin: diagrams laid
// out ahead of time (viewer/prelayout.ts, run with tsx in a child process so it always reads the
// current machines/), exposed as the module 'virtual:migstate-layouts': by profile, each a JSON
// string.
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { defineConfig, type Plugin } from 'vite';

const here = import.meta.dirname;
const VIRTUAL = 'virtual:migstate-layouts';

function prelayout(): Plugin {
  const id = '\0' + VIRTUAL;
  return {
    name: 'migstate-prelayout',
    resolveId: (source) => (source === VIRTUAL ? id : null),
    async load(source) {
      if (source !== id) return null;
      // Recompute when the model or the layout code changes.
      for (const dir of ['machines', 'machines/profiles'])
        for (const f of readdirSync(join(here, dir))) if (f.endsWith('.ts')) this.addWatchFile(join(here, dir, f));
      for (const f of ['viewer/prelayout.ts', 'diagrams/layout.ts', 'diagrams/diagram.ts', 'diagrams/charts.ts']) this.addWatchFile(join(here, f));
      try {
        const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'viewer/prelayout.ts')], {
          cwd: here,
          maxBuffer: 64 * 1024 * 1024,
        });
        // By profile (the key's first part), each as one JSON string that the page parses when it
        // first shows that profile: a string costs the browser next to nothing to parse, where the
        // same data as an object literal was a third of the bundle's parse time.
        const byProfile: Record<string, Record<string, unknown>> = {};
        for (const [k, v] of Object.entries(JSON.parse(stdout) as Record<string, unknown>)) (byProfile[k.split('|')[0]] ??= {})[k] = v;
        return `export default {${Object.entries(byProfile).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(JSON.stringify(v))}`).join(', ')}};`;
      } catch (e) {
        // The page lays everything out itself then; slower, but correct.
        this.warn(`diagrams not laid out ahead of time: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
        return 'export default {};';
      }
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
  build: { outDir: resolve(here, 'dist/viewer'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 3000 },
});
