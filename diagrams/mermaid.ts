// Mermaid `stateDiagram-v2` source for a Diagram: the same states, nesting, initial states and
// transitions as the SVG drawn from it (render.ts), as text a reviewer can paste into a Markdown page
// or an issue. Pure: no DOM, no Node APIs.
//
// Mermaid's grammar is narrower than QEMU's names: state ids are identifiers (QEMU's hyphens become
// underscores, the QEMU name stays the label), a composite state cannot carry a label of its own
// ("state \"x\" as y {" is a syntax error in the Mermaid versions still in use), and a line's label
// runs to its end. QMP commands are written bare, internal events (what QEMU's threads do) in
// parentheses, as `migstate paths` prints them.
import type { Diagram, DiagramNode } from './diagram.ts';

/** Words Mermaid's state-diagram grammar reserves; an id equal to one gets a prefix. */
const RESERVED = new Set(['state', 'note', 'end', 'direction', 'class', 'classDef', 'style', 'as', 'left', 'right', 'of', 'TB', 'BT', 'LR', 'RL', 'default']);

/** The node a one-chart diagram is about: a parallel root holding a single region is that region. */
export function chartRoot(d: Diagram): DiagramNode {
  const r = d.root;
  return r.kind === 'parallel' && r.children.length === 1 ? r.children[0] : r;
}

/** Mermaid ids for every node under `top` (excluded): the QEMU name with hyphens as underscores, the
 * dotted path when a name occurs twice in the chart. Throws if two nodes would still collide. */
export function mermaidIds(top: DiagramNode): Map<string, string> {
  const nodes: DiagramNode[] = [];
  const walk = (n: DiagramNode) => n.children.forEach((c) => (nodes.push(c), walk(c)));
  walk(top);
  const clean = (s: string) => {
    const x = s.replace(/[^A-Za-z0-9_]/g, '_');
    return RESERVED.has(x) || /^\d/.test(x) ? `s_${x}` : x;
  };
  const key = (n: DiagramNode) => n.id.split('.').pop()!;
  const count = new Map<string, number>();
  for (const n of nodes) count.set(clean(key(n)), (count.get(clean(key(n))) ?? 0) + 1);
  const rel = (n: DiagramNode) => (top.id ? n.id.slice(top.id.length + 1) : n.id);
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const n of nodes) {
    const id = count.get(clean(key(n)))! > 1 ? clean(rel(n)) : clean(key(n));
    if (used.has(id)) throw new Error(`mermaid: two states of ${top.id || 'the chart'} map to the id '${id}'`);
    used.add(id);
    out.set(n.id, id);
  }
  return out;
}

export function mermaidLabel(t: { label: string; kind: string }): string {
  return t.kind === 'qmp' ? t.label : `(${t.label})`;
}

/** The Mermaid source of a diagram (of its chart root: see chartRoot). Ends with a newline. */
export function diagramMermaid(d: Diagram, title = d.title): string {
  const top = chartRoot(d);
  const ids = mermaidIds(top);
  const parent = new Map<string, string>(); // node id -> id of the node holding it
  const walk = (n: DiagramNode) => n.children.forEach((c) => (parent.set(c.id, n.id), walk(c)));
  walk(top);
  // Each transition is written inside the composite that holds both its ends, or at the top.
  const edgesIn = new Map<string, string[]>();
  for (const e of d.edges) {
    const s = ids.get(e.source);
    const t = ids.get(e.target);
    if (!s || !t) continue;
    const where = parent.get(e.source) === parent.get(e.target) ? parent.get(e.source)! : top.id;
    edgesIn.set(where, [...(edgesIn.get(where) ?? []), `${s} --> ${t} : ${e.transitions.map(mermaidLabel).join(', ')}`]);
  }
  const lines: string[] = ['---', `title: ${title.replace(/[\r\n]/g, ' ')}`, '---', 'stateDiagram-v2'];
  lines.push("  %% QMP commands are written bare, internal events (QEMU's threads) in parentheses.");
  const emit = (n: DiagramNode, indent: string) => {
    if (n.initial && ids.has(n.initial)) lines.push(`${indent}[*] --> ${ids.get(n.initial)}`);
    for (const c of n.children) {
      const id = ids.get(c.id)!;
      if (c.children.length) {
        lines.push(`${indent}state ${id} {`);
        emit(c, indent + '  ');
        lines.push(`${indent}}`);
      } else lines.push(`${indent}state "${c.label.replace(/"/g, "'")}" as ${id}`);
    }
    for (const l of edgesIn.get(n.id) ?? []) lines.push(indent + l);
  };
  emit(top, '  ');
  return lines.join('\n') + '\n';
}
