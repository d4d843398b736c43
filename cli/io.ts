// Small I/O helpers shared by the CLI's commands.
import { createReadStream, fstatSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** A command's options (and positionals, where it takes them); a bad one is a UsageError (exit 2). */
export function parseOptions(args: string[], options: Options, allowPositionals = false): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * An input named on the command line ('-' or none: standard input), checked before it is read: a
 * directory, also as standard input, is a UsageError (reading one fails, or reads nothing).
 */
export function checkInput(file: string | undefined): void {
  const stdin = file === undefined || file === '-';
  let st;
  try {
    st = stdin ? fstatSync(0) : statSync(file);
  } catch (e) {
    if (stdin) return; // no standard input at all: reading it ends at once
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  }
  if (st.isDirectory()) throw new UsageError(stdin ? 'standard input is a directory, not a file' : `${file} is a directory, not a file`);
}

/**
 * Lines of a file, or of standard input for '-' or no file; a missing file or a directory is a
 * UsageError. Only '\n' ends a line, with an optional '\r' before it (a lone '\r' is part of the
 * line, as check-trace reads it).
 */
export async function* readLines(file: string | undefined): AsyncGenerator<string> {
  checkInput(file);
  const input = file === undefined || file === '-' ? process.stdin : createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    if (input === process.stdin) return resolve();
    input.once('open', () => resolve());
    input.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)));
  });
  await opened;
  input.setEncoding('utf8');
  for await (const batch of splitLines(input as AsyncIterable<string>)) for (const l of batch) yield l.endsWith('\r') ? l.slice(0, -1) : l;
}

/**
 * Text chunks cut into lines ('\n' ends a line), a chunk's lines at a time. A line longer than a
 * chunk is gathered piece by piece and joined once: adding each chunk to the rest and splitting it
 * again copies the rest every time (a 200 MB line: quadratic).
 */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string[]> {
  let pieces: string[] = [];
  for await (const chunk of chunks) {
    const nl = chunk.indexOf('\n');
    if (nl < 0) {
      pieces.push(chunk);
      continue;
    }
    const parts = chunk.split('\n');
    pieces.push(parts[0]);
    parts[0] = pieces.join('');
    pieces = [parts.pop()!];
    yield parts;
  }
  const last = pieces.join('');
  if (last !== '') yield [last];
}

/**
 * A reader that went away (`migstate ... | head -1`) ends the command quietly: no stack trace, the
 * exit code so far (a CLI in a pipeline, as the shell's own tools do).
 */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw e;
    });
}

/** Writes, respecting back-pressure; resolves when flushed. */
export function write(s: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(s)) resolve();
    else process.stdout.once('drain', () => resolve());
  });
}
