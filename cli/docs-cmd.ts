// `migstate docs --out DIR`: writes the generated design-review documents (cli/docs/generate.ts) to
// DIR, replacing what was there. All or nothing: everything is generated in memory, written to a
// fresh folder beside DIR, and only then swapped in by renames; on any failure DIR is left as it was
// and the temporary folder is removed. DIR is only replaced when it is empty or was written by this
// command (its index starts with the marker), so a wrong --out cannot wipe another folder.
// Exit 0 done; 2 bad usage or an output folder that cannot be written.
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDocs, INDEX, MARKER } from './docs/generate.ts';
import { UsageError, write } from './io.ts';

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}${err.path ? ` (${err.path})` : ''}` : String(err.message ?? e);
}

/** Checks that `out` may be replaced; returns whether it exists. Throws a UsageError otherwise. */
function checkTarget(out: string): boolean {
  const parent = dirname(out);
  let ps;
  try {
    ps = statSync(parent);
  } catch {
    throw new UsageError(`--out: the folder ${parent} does not exist`);
  }
  if (!ps.isDirectory()) throw new UsageError(`--out: ${parent} is not a folder`);
  if (!existsSync(out)) return false;
  if (!statSync(out).isDirectory()) throw new UsageError(`--out: ${out} exists and is not a folder`);
  const entries = readdirSync(out);
  if (!entries.length) return true;
  let first = '';
  try {
    first = readFileSync(join(out, INDEX), 'utf8').split('\n', 1)[0];
  } catch {
    /* no index: not ours */
  }
  if (first !== MARKER) throw new UsageError(`--out: refusing to replace ${out}: it is not empty and was not written by migstate docs (no ${INDEX} starting with the marker)`);
  checkRemovable(out);
  return true;
}

/**
 * The previous documents are removed once the new ones are in place: a folder in them this user
 * cannot change would fail that last step, with the new documents already swapped in and the old
 * copy left beside them. So it is checked first, and nothing is touched if it fails.
 */
function checkRemovable(dir: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new UsageError(`--out: cannot replace the previous documents: ${dir} cannot be changed (${why(e)})`);
  }
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) checkRemovable(join(dir, e.name));
}

/** A new empty folder beside `out`, made before anything is generated (a folder that cannot be written fails at once). */
function makeTemp(out: string): string {
  const parent = dirname(out);
  try {
    return mkdtempSync(join(parent, `.${basename(out)}.new-`));
  } catch (e) {
    throw new UsageError(`--out: cannot create a folder in ${parent}: ${why(e)}`);
  }
}

/** Writes `files` into `tmp`, then swaps it in for `out` (the previous `out` is removed last). */
function swapIn(out: string, tmp: string, files: Map<string, string>, exists: boolean): void {
  let old: string | null = null;
  try {
    for (const [rel, content] of files) {
      const f = join(tmp, rel);
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, content);
    }
    if (exists) {
      old = `${tmp}.old`;
      renameSync(out, old);
    }
    try {
      renameSync(tmp, out);
    } catch (e) {
      if (old) renameSync(old, out); // put the previous documents back
      old = null;
      throw e;
    }
  } catch (e) {
    throw new UsageError(`--out: cannot write ${out}: ${why(e)}`);
  }
  if (!old) return;
  try {
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    // Checked before (checkRemovable), so only a change made meanwhile gets here.
    throw new UsageError(`the new documents are in ${out}, but the previous ones could not be removed from ${old}: ${why(e)}`);
  }
}

export async function docsCmd(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { out: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (typeof values.out !== 'string' || values.out === '') throw new UsageError('--out DIR is required (e.g. --out docs/generated)');
  const out = resolve(values.out);
  const exists = checkTarget(out);
  const tmp = makeTemp(out);
  // Interrupted while generating: leave no half-written folder behind.
  const onSignal = (sig: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let files: Map<string, string>;
  try {
    files = await generateDocs();
    swapIn(out, tmp, files, exists);
  } finally {
    rmSync(tmp, { recursive: true, force: true }); // gone already when swapped in
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const bytes = [...files.values()].reduce((n, s) => n + Buffer.byteLength(s), 0);
  await write(`wrote ${files.size} files (${Math.round(bytes / 1024)} KiB) to ${values.out}\n`);
  return 0;
}
