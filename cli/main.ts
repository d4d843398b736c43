// migstate: the command-line face of the model. Exit 0 on success, 2 on bad usage or input that
// cannot be read at all (with a message on standard error naming what is wrong).
import { PROFILES, getProfile } from '../machines/profiles/index.ts';
import { permissionMatrix, matrixMarkdown } from '../machines/matrix.ts';
import type { Profile } from '../machines/profile.ts';
import { answerLine } from './permitted.ts';
import { quietOnClosedPipe, readLines, write, parseOptions, UsageError, type Options } from './io.ts';
import { COMMAND_HELP, wantsHelp } from './help.ts';

const HELP = `migstate: a formal model of QEMU live migration

Usage:
  migstate profiles
  migstate permitted --profile P [--queries FILE] [--explain]
  migstate matrix --profile P [--format markdown|json] [--side source|destination]
  migstate check-trace --profile P FILE|- [--format json|text] [--allow-unchecked]
  migstate import-libvirt LOG|- [--vm NAME] [--mon 0x...] [--no-greeting] [--out FILE]
  migstate conformance --qemu PATH [--profile qemu-7.2] [--jobs N] [--scenarios all|NAME,...] [--paths all|N] [--traces DIR] [--json] [--reap]
  migstate explore --profile P [--caps all|none|CAP,...] [--max-depth N] [--restart] [--json]
  migstate hazards --profile P [--against proposed] [--caps all|none|CAP,...] [--max-depth N] [--json]
  migstate paths --profile P [--side source|destination] [--states] [--json]
  migstate docs --out DIR

Commands:
  profiles    list the version profiles, one line each
  permitted   answer JSON-lines queries ({"side","status","caps","runstate","command",...})
              from FILE or standard input: may QEMU run this command in that state, and if
              not, what does it answer? One JSON answer per line, in order.
  matrix      the state x command table of a profile (default capabilities; cells that
              depend on capabilities are marked and explained)
  check-trace replay a QMP trace (docs/trace-format.md) through the model: exit 0 it
              conforms, 1 departures (one JSON a line), 2 not a trace
  import-libvirt  turn the QEMU_MONITOR_* records of a libvirt debug log into a trace
  conformance run scenarios (and with --paths the model's generated paths) on real QEMU
              pairs and compare every reply, status and event with the model (exit 1 on
              unexplained mismatches)
  explore     model-check the pair: every reachable state, every invariant (exit 1 on a
              violation, with its shortest trace as QMP JSON lines)
  hazards     states where P accepts a command the other profile refuses, shortest paths
  paths       generated test paths (QMP commands and internal events) covering every transition
  docs        write the design-review documents to DIR (charts as SVG and Mermaid, permission
              matrices, profile diffs, hazards, the QEMU map); replaces DIR only if migstate wrote it

migstate CMD --help (or migstate help CMD) tells a command's options and exit codes.
`;

/** Options only, no positionals. */
const parse = (args: string[], options: Options) => parseOptions(args, options).values;

function profileArg(v: string | boolean | undefined): Profile {
  if (typeof v !== 'string') throw new UsageError(`--profile is required (one of: ${PROFILES.map((p) => p.name).join(', ')})`);
  try {
    return getProfile(v);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function oneOf<T extends string>(name: string, v: string | boolean | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new UsageError(`--${name} must be one of: ${allowed.join(', ')}`);
  return v as T;
}

async function profilesCmd(args: string[]): Promise<number> {
  parse(args, {});
  for (const p of PROFILES) await write(`${p.name.padEnd(12)} ${p.base ? `(delta on ${p.base}) ` : ''}${p.title}: ${p.description}\n`);
  return 0;
}

async function permittedCmd(args: string[]): Promise<number> {
  const o = parse(args, { profile: { type: 'string' }, queries: { type: 'string' }, explain: { type: 'boolean' } });
  const p = profileArg(o.profile);
  const explain = o.explain === true;
  let n = 0;
  for await (const line of readLines(o.queries as string | undefined)) {
    n++;
    if (line.trim() === '') continue;
    const a = answerLine(p, line, explain);
    await write(JSON.stringify('invalid' in a ? { invalid: `line ${n}: ${a.invalid}` } : a) + '\n');
  }
  return 0;
}

async function matrixCmd(args: string[]): Promise<number> {
  const o = parse(args, { profile: { type: 'string' }, format: { type: 'string' }, side: { type: 'string' } });
  const p = profileArg(o.profile);
  const format = oneOf('format', o.format, ['markdown', 'json'] as const, 'markdown');
  const sides = o.side === undefined ? (['source', 'destination'] as const) : [oneOf('side', o.side, ['source', 'destination'] as const, 'source')];
  const mats = sides.map((s) => permissionMatrix(p, s));
  if (format === 'json') await write(JSON.stringify(mats.length === 1 ? mats[0] : mats, null, 1) + '\n');
  else {
    await write(`## Permission matrix: ${p.title}\n\n`);
    for (const m of mats) await write(matrixMarkdown(m) + '\n');
  }
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  profiles: profilesCmd,
  permitted: permittedCmd,
  matrix: matrixCmd,
  'check-trace': async (args) => (await import('./trace-cmds.ts')).checkTraceCmd(args),
  'import-libvirt': async (args) => (await import('./trace-cmds.ts')).importLibvirtCmd(args),
  conformance: async (args) => (await import('./conformance.ts')).conformanceCmd(args),
  explore: async (args) => (await import('./explore-cmds.ts')).exploreCmd(args),
  hazards: async (args) => (await import('./explore-cmds.ts')).hazardsCmd(args),
  paths: async (args) => (await import('./explore-cmds.ts')).pathsCmd(args),
  docs: async (args) => (await import('./docs-cmd.ts')).docsCmd(args),
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  quietOnClosedPipe();
  if (cmd === 'help' && rest.length) return main([rest[0], '--help']);
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    await write(HELP);
    return cmd === undefined ? 2 : 0;
  }
  const f = COMMANDS[cmd];
  if (!f) {
    process.stderr.write(`migstate: unknown command '${cmd}' (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  if (wantsHelp(rest)) {
    await write(COMMAND_HELP[cmd]());
    return 0;
  }
  try {
    return await f(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`migstate ${cmd}: ${e.message}\n`);
      return 2;
    }
    // An input or output the system refuses mid-way (EISDIR, EACCES, EIO): said, not a stack trace.
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.syscall === 'string') {
      process.stderr.write(`migstate ${cmd}: ${err.syscall} failed${err.path ? ` on ${err.path}` : ''}: ${err.message}\n`);
      return 2;
    }
    throw e;
  }
}
