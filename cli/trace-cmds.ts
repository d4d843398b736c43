// `migstate check-trace` and `migstate import-libvirt`: the trace tooling (docs/trace-format.md).
// check-trace: exit 0 the trace conforms to the profile, 1 departures (one JSON a line on standard
// output, a summary on standard error) or commands the model does not check that change migration
// state (kind 'unchecked'; --allow-unchecked lets them pass, still listed), 2 input that is not a
// trace (nothing on standard output).
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { getProfile, profileNames, type Profile } from '../machines/index.ts';
import { TraceChecker, exitCodeOf, render, summaryLine } from '../trace/check.ts';
import { LibvirtImporter } from '../trace/libvirt.ts';
import { REC_WIDTH } from '../trace/extract.ts';
import { MAX_VM_NAME, isVmName } from '../trace/format.ts';
import { recordBlocks } from './trace-reader.ts';
import { checkInput, splitLines, write, parseOptions, UsageError, type Options } from './io.ts';

const parse = (args: string[], options: Options) => parseOptions(args, options, true);

function profileArg(v: string | boolean | undefined): Profile {
  if (typeof v !== 'string') throw new UsageError(`--profile is required (one of: ${profileNames().join(', ')})`);
  try {
    return getProfile(v);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function oneFile(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`give exactly one ${what} (a file, or - for standard input)`);
  return positionals[0];
}

/** A file (or standard input for '-') as a stream of bytes. A missing file is a UsageError. */
async function openBytes(file: string): Promise<NodeJS.ReadableStream> {
  checkInput(file);
  const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  if (input !== process.stdin)
    await new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`)));
    });
  return input;
}

/** A file to write, opened before any work: a folder, a missing folder or no permission is a UsageError. */
async function openOutput(file: string): Promise<NodeJS.WritableStream & { end(cb: () => void): void; once(ev: string, f: () => void): void }> {
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`--out ${file} is a directory, not a file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const out = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`--out ${file}: cannot write: ${e.code === 'ENOENT' ? 'no such folder' : e.message}`)));
  });
  out.on('error', (e: NodeJS.ErrnoException) => {
    process.stderr.write(`migstate import-libvirt: --out ${file}: ${e.message}\n`);
    process.exit(2);
  });
  return out;
}

/** A file (or standard input for '-') as text chunks. */
async function openText(file: string): Promise<AsyncIterable<string>> {
  const input = await openBytes(file);
  input.setEncoding('utf8');
  return input as AsyncIterable<string>;
}

/**
 * Lines of a file (or standard input for '-'), a chunk's worth at a time: readline's per-line
 * events cost more than checking a line does.
 */
async function* lineBatches(file: string): AsyncGenerator<string[]> {
  yield* splitLines(await openText(file));
}

export async function checkTraceCmd(args: string[]): Promise<number> {
  const { values: o, positionals } = parse(args, { profile: { type: 'string' }, format: { type: 'string' }, 'allow-unchecked': { type: 'boolean' } });
  const p = profileArg(o.profile);
  const format = o.format ?? 'json';
  if (format !== 'json' && format !== 'text') throw new UsageError('--format must be one of: json, text');
  const file = oneFile(positionals, 'trace');
  const checker = new TraceChecker(p, { text: format === 'text' });
  const input = (await openBytes(file)) as AsyncIterable<Uint8Array>;
  const sizeHint = file === '-' ? undefined : statSync(file).size;
  for await (const { count, records } of recordBlocks(input, { sizeHint })) {
    for (let k = 0; k < count; k++) {
      const err = checker.feedRecord(records, k * REC_WIDTH);
      if (err) {
        process.stderr.write(`migstate check-trace: ${file === '-' ? 'standard input' : file}: ${err}\n`);
        return 2;
      }
    }
  }
  const s = checker.finish();
  // Findings are kept until the end: input found malformed later must leave standard output empty.
  await write(render(checker, s, format));
  process.stderr.write(summaryLine(s) + '\n');
  return exitCodeOf(s, !!o['allow-unchecked']);
}

export async function importLibvirtCmd(args: string[]): Promise<number> {
  const { values: o, positionals } = parse(args, { vm: { type: 'string' }, mon: { type: 'string' }, 'no-greeting': { type: 'boolean' }, out: { type: 'string' } });
  const vm = o.vm;
  if (vm !== undefined && (typeof vm !== 'string' || !isVmName(vm))) throw new UsageError(`--vm must be a process name of 1 to ${MAX_VM_NAME} printable characters (source, destination, or any other: docs/trace-format.md)`);
  if (o.mon !== undefined && (typeof o.mon !== 'string' || !/^0x[0-9a-f]+$/i.test(o.mon))) throw new UsageError('--mon must be a monitor address as libvirt logs it (0x7f...)');
  const file = oneFile(positionals, 'libvirt log');
  checkInput(file);
  const imp = new LibvirtImporter({ vm, mon: o.mon as string | undefined, greetings: o['no-greeting'] !== true });
  const out = typeof o.out === 'string' ? await openOutput(o.out) : null;
  const emit = async (s: string) => {
    if (out) {
      if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
    } else await write(s);
  };
  for await (const batch of lineBatches(file)) {
    const lines: string[] = [];
    for (const line of batch) for (const l of imp.push(line)) lines.push(l);
    if (lines.length) await emit(lines.join('\n') + '\n');
  }
  const rest = imp.end();
  if (rest.length) await emit(rest.join('\n') + '\n');
  if (out) await new Promise<void>((r) => out.end(() => r()));
  for (const w of imp.warnings) process.stderr.write(`migstate import-libvirt: ${w}\n`);
  const st = imp.stats();
  const procs = imp.processes;
  const as =
    vm !== undefined
      ? `as ${vm}`
      : `for ${procs.length} process(es): ${procs.map((x) => `${x.name} (mon ${x.mon}${x.reconnections ? `, reconnected ${x.reconnections}×` : ''})`).join(', ')}`;
  process.stderr.write(`import-libvirt: ${st.records} QMP message(s) written ${as}${vm !== undefined && st.monitors.length > 1 ? ` from ${st.monitors.length} monitors (${st.monitors.join(', ')})` : ''}${st.skipped ? `, ${st.skipped} record(s) skipped` : ''}\n`);
  if (st.records === 0) {
    process.stderr.write('migstate import-libvirt: no QEMU monitor records (QEMU_MONITOR_SEND_MSG, _IO_WRITE, _RECV_REPLY, _RECV_EVENT) found\n');
    return 1;
  }
  return 0;
}
