// `migstate CMD --help`: each command's usage, options and exit codes, on standard output (exit 0).
import { PROFILES } from '../machines/profiles/index.ts';

const profiles = () => PROFILES.map((p) => p.name).join(', ');

const EXIT = 'Exit codes: 0 success, 1 the answer is "no" (see above), 2 bad usage or unreadable input.';

export const COMMAND_HELP: Record<string, () => string> = {
  profiles: () => `Usage: migstate profiles

List the version profiles, one a line: name, the profile it is a delta on, title and description.
Exit codes: 0, or 2 on any argument.
`,
  permitted: () => `Usage: migstate permitted --profile P [--queries FILE|-] [--explain]

Answer JSON-lines queries, one answer a line and in order: may QEMU run this command in that state,
and if not, what does it answer? A query names the state and the command:
  {"side":"source","status":"active","caps":["events"],"runstate":"running","command":"migrate-pause"}
(docs/model.md lists every field). A line that is not a query is answered {"invalid": "line N: why"}.

Options:
  --profile P      the version profile (${profiles()})
  --queries FILE   read queries from FILE (default, or '-': standard input)
  --explain        add the rule that decided, with its QEMU source reference
Exit codes: 0 answered (a refused command is an answer), 2 bad usage or an unreadable file.
`,
  matrix: () => `Usage: migstate matrix --profile P [--format markdown|json] [--side source|destination]

The state x command table of a profile with default capabilities; cells that depend on
capabilities are marked and explained.

Options:
  --profile P      the version profile (${profiles()})
  --format F       markdown (default) or json
  --side S         only the source or only the destination table (default: both)
Exit codes: 0, or 2 on bad usage.
`,
  'check-trace': () => `Usage: migstate check-trace --profile P FILE|- [--format json|text] [--allow-unchecked]

Replay a QMP trace (docs/trace-format.md: one JSON object a line, {"vm","dir","msg"}) through the
model, owed events and all. Each departure is one JSON line: the line, the process, what the model
expected and what the trace shows. Commands still waiting for a reply at the end are reported as
"pending" and are not departures.

A command that changes what migration reads but that the model does not model (system_reset,
quit, snapshot-save, add-fd on qemu-7.2, ...: the profile's unmodelledCommands) is
reported as "unchecked". It is not a departure, but the trace is not shown to conform either: exit
1, unless --allow-unchecked. Other commands the model does not know (queries, devices) are listed in
the text summary as not checked.

Options:
  --profile P          the version profile (${profiles()})
  --format F           json (default, one finding a line) or text (a summary for people)
  --allow-unchecked    exit 0 when the only findings are unchecked commands (still listed)
${EXIT.replace('"no" (see above)', 'a departure from the model, or an unchecked command')}
`,
  'import-libvirt': () => `Usage: migstate import-libvirt LOG|- [--vm NAME] [--mon 0x...] [--no-greeting] [--out FILE]

Turn the QEMU_MONITOR_SEND_MSG, _IO_WRITE, _RECV_REPLY and _RECV_EVENT records of a libvirt debug
log (log_filters "1:qemu.qemu_monitor") into a trace that check-trace reads.

Options:
  --vm NAME        one process name for every monitor of the log: source, destination, or any
                   other. Default: each QEMU process its own name, qemu-1, qemu-2, ... in the order
                   libvirt opened their monitors (QEMU_MONITOR_NEW; libvirt reuses an address for the
                   next process), its role following from what it does; after a daemon restart, a
                   monitor that finds migration capabilities already on is the running process
                   reconnected, not a new one
  --mon 0x...      the monitor pointer to take, when the log holds several
  --no-greeting    the log starts after the QMP greeting; do not require one
  --out FILE       write the trace to FILE (default: standard output)
Exit codes: 0, 1 the log holds no monitor records, 2 bad usage or an unreadable file.
`,
  conformance: () => `Usage: migstate conformance --qemu PATH [--profile P] [--jobs N] [--scenarios all|NAME,...]
                            [--paths all|N] [--traces DIR] [--json] [--reap]

Start real QEMU pairs (loopback and UNIX sockets only), play the conformance scenarios and, with
--paths, the model's generated paths, and compare every reply, status and event with the model.

Options:
  --qemu PATH      the qemu-system-x86_64 binary (a path, or a name looked up on PATH)
  --profile P      the profile to compare with (default qemu-7.2; ${profiles()}); the profile
                   of a binary (qemu-7.2) must match the version the binary reports
  --jobs N         pairs run at once, 1 to 16 (default 1)
  --scenarios S    all (default) or a comma-separated list of scenario names
  --paths P        also play the generated paths: all, or the first N
  --traces DIR     keep every run's QMP trace (docs/trace-format.md) in DIR
  --json           the report as JSON
  --reap           only end what runs killed with SIGKILL left behind (their QEMU processes,
                   proven by pid and start time, and temp folders), then exit; every run does
                   this first anyway
Exit codes: 0 all match, 1 unexplained mismatches, 2 bad usage (unknown profile or scenario, no binary,
a binary of another version than the profile's).
`,
  explore: () => `Usage: migstate explore --profile P [--caps all|none|CAP,...] [--max-depth N] [--restart] [--json]

Model-check the source+destination pair: every reachable state, every invariant the profile claims.
A violation is printed with its shortest trace as QMP JSON lines.

Options:
  --profile P      the version profile (${profiles()})
  --caps C         capabilities set before migrating: all, none, or a comma-separated list
  --max-depth N    stop at N steps from the start
  --restart        also explore a fresh destination process wherever the destination exited
  --json           the result as JSON
${EXIT.replace('"no" (see above)', 'an invariant is violated')}
`,
  hazards: () => `Usage: migstate hazards --profile P [--against proposed] [--caps all|none|CAP,...] [--max-depth N] [--json]

States where profile P accepts a command the other profile refuses, each with its shortest path.

Options:
  --profile P      the version profile (${profiles()})
  --against Q      the profile to compare with (default proposed)
  --caps C         capabilities: all, none, or a comma-separated list
  --max-depth N    stop at N steps from the start
  --json           the result as JSON
Exit codes: 0, or 2 on bad usage.
`,
  paths: () => `Usage: migstate paths --profile P [--side source|destination] [--states] [--json]

Generated test paths (QMP commands and internal events) that together cover every transition of
the profile's charts; the conformance runner plays them with --paths.

Options:
  --profile P      the version profile (${profiles()})
  --side S         only the source's or the destination's chart
  --states         also give a path to every state
  --json           the paths as JSON
Exit codes: 0, or 2 on bad usage.
`,
  docs: () => `Usage: migstate docs --out DIR

Write the design-review documents to DIR: charts as SVG and Mermaid, permission matrices, profile
diffs, hazards, the QEMU source map. An existing DIR is replaced only if it is empty or migstate
wrote it (its index starts with migstate's marker); the tests hold docs/generated byte for byte.

Options:
  --out DIR        the folder to write (its parent must exist)
Exit codes: 0, or 2 on bad usage or a DIR migstate did not write.
`,
};

/** `--help` or `-h` anywhere in a command's arguments asks for its help. */
export const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');
