// The CLI's TypeScript, bundled once by esbuild and kept in node_modules/.cache/migstate/ until a
// source file changes. tsx's loader compiles on the fly but costs ~0.25 s at every start (and as
// much again in every worker thread); starting from the bundle saves that. Plain JavaScript: it
// runs before anything can compile TypeScript.
//
// The bundle is valid while every input esbuild read has the size and modification time it had
// (a few dozen stat calls). Builds go to a folder of their own and are published by renaming a
// small pointer file, so CLIs started side by side (the tests do) never see half a bundle.
import { statSync, readFileSync, writeFileSync, renameSync, mkdirSync, rmSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isBuiltin } from 'node:module';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// MIGSTATE_CACHE_DIR moves it (the tests use a folder of their own).
const CACHE = process.env.MIGSTATE_CACHE_DIR || join(ROOT, 'node_modules', '.cache', 'migstate');
const POINTER = join(CACHE, 'current.json');
/** What is bundled: output name -> source. `main` is the CLI, `scan` what check-trace's workers run. */
const ENTRIES = { main: 'cli/main.ts', scan: 'trace/scan.ts' };
/** How long a replaced build is kept (the longest a CLI may still be running from it). */
const KEEP_MS = 6 * 3600 * 1000;
/** Bumped when the way of bundling changes, so an old bundle is not taken for a fresh one. */
const FORMAT = 2;

function fresh(p) {
  if (p.format !== FORMAT || JSON.stringify(p.entries) !== JSON.stringify(ENTRIES)) return false;
  for (const name of Object.keys(ENTRIES)) {
    try {
      statSync(join(CACHE, p.dir, `${name}.js`));
    } catch {
      return false;
    }
  }
  for (const [file, size, mtime] of p.inputs) {
    let s;
    try {
      s = statSync(join(ROOT, file));
    } catch {
      return false;
    }
    if (s.size !== size || s.mtimeMs !== mtime) return false;
  }
  return true;
}

function urls(p) {
  const out = {};
  for (const name of Object.keys(ENTRIES)) out[name] = pathToFileURL(join(CACHE, p.dir, `${name}.js`)).href;
  return out;
}

/**
 * import.meta.url in a bundled module would name the bundle's chunk; code uses it to find files
 * beside its source (cli/trace-reader.ts: the worker script), so each source keeps its own URL.
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/**
 * Packages (xstate & co.) are not bundled: they are imported from the project's node_modules as
 * they are, by absolute URL, resolved as Node would from here, so the bundle works wherever the
 * cache folder is.
 */
const packagesWhereTheyAre = {
  name: 'packages-where-they-are',
  setup(build) {
    // Not '#…': the project's own subpath imports (package.json "imports") are its sources, bundled.
    build.onResolve({ filter: /^[^./#]/ }, (args) => {
      if (isBuiltin(args.path)) return undefined;
      return { path: import.meta.resolve(args.path), external: true };
    });
  },
};

/**
 * File URLs of the bundled entries (`main`, `scan`), building them first when `build` is true
 * and the bundle is missing or stale. null when there is no fresh bundle and it cannot (or may not)
 * be built: the caller falls back to tsx.
 */
export async function bundled({ build = true } = {}) {
  let pointer = null;
  try {
    pointer = JSON.parse(readFileSync(POINTER, 'utf8'));
    if (fresh(pointer)) return urls(pointer);
  } catch {
    // no bundle yet
  }
  if (!build) return null;
  try {
    const esbuild = await import('esbuild');
    mkdirSync(CACHE, { recursive: true });
    const dir = `build-${process.pid}-${Date.now()}`;
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: ENTRIES,
      outdir: join(CACHE, dir),
      bundle: true,
      splitting: true, // main.ts loads each command's module on demand: they stay separate chunks
      format: 'esm',
      platform: 'node',
      target: 'node20',
      metafile: true,
      logLevel: 'silent',
      plugins: [ownUrl, packagesWhereTheyAre],
    });
    const inputs = Object.keys(result.metafile.inputs).map((f) => {
      const s = statSync(join(ROOT, f));
      return [f, s.size, s.mtimeMs];
    });
    const next = { format: FORMAT, entries: ENTRIES, dir, inputs };
    const tmp = `${POINTER}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(next));
    renameSync(tmp, POINTER);
    // Old builds go, but only old ones: a CLI started from another build (one made at the same
    // time by a CLI started beside this one, or the one just replaced) may still load chunks from
    // it, lazily, minutes later.
    const now = Date.now();
    for (const d of readdirSync(CACHE)) {
      if (!d.startsWith('build-') || d === dir || d === pointer?.dir) continue;
      try {
        if (now - statSync(join(CACHE, d)).mtimeMs > KEEP_MS) rmSync(join(CACHE, d), { recursive: true, force: true });
      } catch {
        // removed by another CLI meanwhile
      }
    }
    return urls(next);
  } catch {
    return null; // read-only install, esbuild missing: tsx compiles on the fly instead
  }
}
