// The hazards report: for each profile of released or upstream QEMU, the commands it accepts in a
// reachable state that the proposed design refuses there (machines/hazards.ts, as `migstate hazards`
// finds them), each with the shortest QMP trace to the first such state (the trace format of
// docs/trace-format.md, replayed through the model by pathTrace). Pure: returns Markdown. The search
// time that `migstate hazards` prints is left out, so the same model gives the same bytes.
import { eventText, pathTrace } from '../../machines/explore-pair.ts';
import { hazards, type Hazard } from '../../machines/hazards.ts';
import type { PairEvent } from '../../machines/pair.ts';
import type { Profile } from '../../machines/profile.ts';
import { code } from './text.ts';

function refOf(p: Profile, rule: string | null): string {
  return (rule && p.rules.find((r) => r.id === rule)?.ref) || '—';
}

function where(h: Hazard): string {
  const w = h.where;
  return `status ${code(w.status)}, run state ${code(w.runstate)}${h.side === 'destination' ? (w.listening ? ', listening' : ', not listening') : ''}${w.colo !== 'none' ? `, COLO ${code(w.colo)}` : ''}`;
}

/** One section per profile in `today`, each against `proposed`. */
export function hazardsMarkdown(today: readonly Profile[], proposed: Profile): string {
  const L: string[] = [];
  L.push(`# Hazards: commands accepted today that ${proposed.name} refuses`, '');
  L.push(`${proposed.title}. For each profile below, the composed pair (source, destination, channel) is explored`);
  L.push('breadth-first from every start (`-incoming defer` or a URI, `-S` or not on each side) with every capability set the');
  L.push(`explorer tries; in every reachable state, every command is asked of both profiles. A hazard is a command the profile`);
  L.push(`accepts where ${proposed.name} refuses it. Its trace is the shortest path to the first state where it happens, as QMP`);
  L.push('JSON lines ([trace format](../trace-format.md)); internal steps (what QEMU\'s threads do) are notes. The same report,');
  L.push('with timings, is `npx migstate hazards --profile P`.', '');
  for (const p of today) {
    const r = hazards(p, proposed);
    L.push(`## ${p.name} against ${proposed.name}`, '');
    L.push(`${r.hazards.length} hazard(s) over ${r.states} reachable pair states.`, '');
    if (r.hazards.length) {
      L.push('| # | side | command | accepted by | refused by | first state | depth |', '|---|---|---|---|---|---|---|');
      r.hazards.forEach((h, i) =>
        L.push(`| ${i + 1} | ${h.side} | ${code(h.probe.label)} | ${code(h.acceptedBy)} | ${h.refusedBy ? code(h.refusedBy) : '—'} | ${where(h)} | ${h.depth} |`),
      );
      L.push('');
    }
    r.hazards.forEach((h, i) => {
      L.push(`### ${p.name} ${i + 1}. ${h.side}: ${h.probe.label}`, '');
      L.push(`- Accepted by ${p.name}: rule ${code(h.acceptedBy)} (${refOf(p, h.acceptedBy)}).`);
      L.push(`- Refused by ${proposed.name}: rule ${h.refusedBy ? code(h.refusedBy) : '—'} (${refOf(proposed, h.refusedBy)}), answering ${code(`${h.error.class}: ${h.error.desc}`)}.`);
      L.push(`- Happens in ${h.states} reachable pair states (${h.sideStates} distinct ${h.side} states); the first is ${where(h)}, ${h.depth} step(s) from a start.`);
      const steps = [
        `start ${JSON.stringify(h.path.start.input)}`,
        ...(h.path.start.caps.length ? [`caps [${h.path.start.caps.join(', ')}] on both sides`] : []),
        ...h.path.steps.map(eventText),
      ];
      L.push(`- Shortest path: ${steps.join(' ; ')}; then ${h.side}: ${code(h.probe.label)}, which ${p.name} accepts (the trace's last reply).`, '');
      // The path to the state, then the command itself, replayed through the model so its reply is the model's.
      const probe: PairEvent = { type: 'qmp', vm: h.side, command: h.probe.command, ...(h.probe.arguments ? { arguments: h.probe.arguments } : {}) };
      L.push('```jsonl', ...pathTrace(p, { ...h.path, steps: [...h.path.steps, probe] }).lines.map((l) => JSON.stringify(l)), '```', '');
    });
  }
  return L.join('\n');
}
