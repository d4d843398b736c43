// The viewer: simulation of a source/destination pair with its charts and command panels, the
// permission matrix, trace replay and the inspector log. State lives in the URL (deep links).
import { getProfile, loadProfile, profileNames, type PairEvent, type Side } from '../../machines/index.ts';
import { ChartView, type Highlight } from './chart-view.ts';
import { ANY_PROFILE, channelDiagram, DEFAULT_REGIONS, REGION_TITLES, regionsOf, sideDiagram } from '../../diagrams/charts.ts';
import { CommandPanel, PairPanel } from './commands.ts';
import { NextSteps } from './next-steps.ts';
import { activeIds, type Diagram } from '../../diagrams/diagram.ts';
import { afterFrame, download, h, urgentTask } from './dom.ts';
import { Inspector } from './inspector.ts';
import { layoutFor, layoutStats, preloadLayouts } from './layouts.ts';
import type { MatrixView } from './matrix-view.ts';
import type { ReplayView } from './replay-view.ts';
import { eventName, labelsTaken, SIDES, Simulation, toTrace, vmOf, type SimConfig, type SimStep, type StepRecord } from './sim.ts';
import { readUrl, writeUrl } from './url.ts';

const TABS = [
  { id: 'sim', label: 'Simulation' },
  { id: 'matrix', label: 'Permission matrix' },
  { id: 'replay', label: 'Trace replay' },
  { id: 'inspector', label: 'Inspector' },
] as const;

performance.mark('migstate:script');
// The first profile's layouts are their own chunk, preloaded beside this one (vite.config.ts); a
// profile after qemu-7.2 needs its delta too (fetched on first use: package.json "imports").
const firstProfile = readUrl(location.hash, profileNames()).state.config.profile;
await Promise.all([preloadLayouts(firstProfile), loadProfile(firstProfile)]);

/** The edges a step took in a side's diagram: a region left for another on one of the step's events. */
function takenEdges(d: Diagram | null, rec: StepRecord | undefined, side: Side): Set<string> {
  const out = new Set<string>();
  const b = rec?.before[side];
  const a = rec?.after[side];
  if (!d || !rec || !a || !b) return out;
  const before = new Set(activeIds(b.value));
  const after = new Set(activeIds(a.value));
  // The process changed role (F3): the chart now drawn is the other role's, with no edge for that step.
  if (a.side !== b.side) return out;
  const labels = labelsTaken(rec.step.event, side);
  for (const e of d.edges)
    if (before.has(e.source) && after.has(e.target) && !after.has(e.source) && e.transitions.some((t) => labels.has(t.label))) out.add(e.id);
  return out;
}

/** The channel's edge a step took. */
function channelTaken(d: Diagram | null, rec: StepRecord | undefined): Set<string> {
  const out = new Set<string>();
  if (!d || !rec || rec.channelBefore === rec.channelAfter) return out;
  for (const e of d.edges) if (e.source === rec.channelBefore && e.target === rec.channelAfter) out.add(e.id);
  return out;
}

/** What a step moved, in words ("src status setup→active, dst exited, channel closed→connected"). */
function movedText(r: StepRecord): string {
  const parts: string[] = [];
  for (const side of SIDES) {
    const a = r.before[side];
    const b = r.after[side];
    const who = side === 'source' ? 'src' : 'dst';
    if (a && !b) parts.push(`${who} exited`);
    else if (!a && b) parts.push(`${who} started`);
    else if (a && b) {
      if (a.side !== b.side) parts.push(`${who} now a ${b.side}`);
      if (a.status !== b.status) parts.push(`${who} status ${a.status}→${b.status}`);
      if (a.runstate !== b.runstate) parts.push(`${who} run ${a.runstate}→${b.runstate}`);
      if (a.colo !== b.colo) parts.push(`${who} COLO ${a.colo}→${b.colo}`);
      if (a.listening !== b.listening) parts.push(`${who} ${b.listening ? 'listening' : 'no longer listening'}`);
      if (a.failover !== b.failover) parts.push(`${who} failover ${a.failover}→${b.failover}`);
    }
  }
  if (r.channelBefore !== r.channelAfter) parts.push(`channel ${r.channelBefore}→${r.channelAfter}`);
  return parts.join(', ');
}

/** A step's answer and effect in words, to compare one run of the steps with another. */
function outcome(r: StepRecord | undefined): string {
  if (!r) return 'not taken';
  if (r.reply && 'exited' in r.reply) return 'no answer: the process has exited';
  if (r.reply && 'noMonitor' in r.reply) return 'no answer: the process has no monitor yet (-incoming cpr)';
  if (r.decision && !r.decision.allowed) return `refused: ${r.decision.error.desc}`;
  return (r.decision ? 'accepted' : r.changed ? 'taken' : 'cannot happen') + (movedText(r) ? `, ${movedText(r)}` : '');
}

function configChange(a: SimConfig, b: SimConfig): string {
  if (a.profile !== b.profile) return `Profile ${a.profile} → ${b.profile}`;
  const on = b.caps.filter((c) => !a.caps.includes(c));
  const off = a.caps.filter((c) => !b.caps.includes(c));
  return `Capabilities at start: ${[...on.map((c) => `+${c}`), ...off.map((c) => `−${c}`)].join(' ') || 'unchanged'}`;
}

/** A process's heading: its slot, and its role when that changed (a destination that migrated on, F3). */
function sideTitle(slot: Side, role: Side): string {
  if (role !== slot) return `${slot === 'source' ? 'Source' : 'Destination'} process, now a ${role} (${role === 'source' ? 'outgoing' : 'incoming'}; F3)`;
  return slot === 'source' ? 'Source (outgoing)' : 'Destination (incoming)';
}

class App {
  sim!: Simulation;
  readonly inspector = new Inspector();
  readonly charts: Record<Side, ChartView>;
  readonly panels: Record<Side, CommandPanel>;
  readonly next: Record<Side, NextSteps>;
  readonly channelChart = new ChartView('channel');
  readonly pairPanel: PairPanel;
  private regions: Record<Side, string[]> = { source: [...DEFAULT_REGIONS], destination: [...DEFAULT_REGIONS] };
  /** The role whose chart each view shows (or is being laid out for). */
  private drawnRole = new Map<ChartView, Side>();
  private headings = new Map<Side, HTMLElement>();
  private sideEls = new Map<Side, HTMLElement>();
  private tab = 'sim';
  private history: HTMLOListElement;
  private undoBtn: HTMLButtonElement;
  private setupForm: HTMLFormElement;
  private profileSel: HTMLSelectElement;
  private capsBox: HTMLElement;
  private capsSummary: HTMLElement;
  private incomingSel: HTMLSelectElement;
  private pausedSrc: HTMLInputElement;
  private pausedDst: HTMLInputElement;
  private notice: HTMLElement;
  /** The matrix and replay views are built the first time their tab opens (their code is a chunk
   * of its own): the first render builds and parses only the simulation. */
  matrix: MatrixView | null = null;
  replay: ReplayView | null = null;
  /** The matrix settings of the URL, until the matrix view exists to hold them. */
  private matrixState: Parameters<MatrixView['setState']>[0];
  /** The replay step of the URL, until the replay view exists to take it. */
  private linkedReplayStep: number | undefined;
  private panelsEl = new Map<string, HTMLElement>();
  private tabBtns = new Map<string, HTMLButtonElement>();
  lastStepMs = 0;
  private written = '';
  ready: Promise<void>;

  constructor(root: HTMLElement) {
    const { state, problems } = readUrl(location.hash, profileNames());
    this.tab = TABS.some((t) => t.id === state.tab) ? state.tab : 'sim';
    this.sim = new Simulation(state.config, this.inspector.observer);
    this.charts = {
      source: new ChartView('source'),
      destination: new ChartView('destination'),
    };
    this.panels = {
      source: new CommandPanel('source', (e) => this.send(e), () => this.sim),
      destination: new CommandPanel('destination', (e) => this.send(e), () => this.sim),
    };
    this.next = {
      source: new NextSteps('source', (e) => this.send(e), () => this.sim),
      destination: new NextSteps('destination', (e) => this.send(e), () => this.sim),
    };
    this.pairPanel = new PairPanel((e) => this.send(e), () => this.sim);
    // Setup form.
    this.profileSel = h('select', { id: 'profile', 'aria-label': 'profile' }, ...profileNames().map((n) => h('option', { value: n }, n)));
    this.capsSummary = h('summary', {}, 'capabilities');
    this.capsBox = h('div', { class: 'caps-list', role: 'group', 'aria-label': 'capabilities set on both sides at start' });
    this.incomingSel = h('select', { id: 'incoming', 'aria-label': 'destination -incoming' }, h('option', { value: 'defer' }, '-incoming defer'), h('option', { value: 'uri' }, '-incoming tcp:…'));
    this.pausedSrc = h('input', { type: 'checkbox', id: 'paused-src' });
    this.pausedDst = h('input', { type: 'checkbox', id: 'paused-dst' });
    this.setupForm = h(
      'form',
      { class: 'setup', 'aria-label': 'simulation setup' },
      h('label', {}, 'Profile ', this.profileSel),
      h('details', { class: 'caps' }, this.capsSummary, this.capsBox),
      h('label', {}, 'Destination ', this.incomingSel),
      h('label', { title: 'source started with -S (prelaunch)' }, this.pausedSrc, ' source -S'),
      h('label', { title: 'destination started with -S (no autostart)' }, this.pausedDst, ' destination -S'),
      h('button', { type: 'submit', class: 'primary' }, 'Restart'),
    );
    this.setupForm.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.restartWith(this.formConfig(), []);
    });
    // A new profile or capability set replays the steps taken so far under it (nothing is lost) and
    // marks where they now go differently.
    this.profileSel.addEventListener('change', async () => {
      const name = this.profileSel.value;
      // Not loaded (the server went away): the menu goes back to the profile the pair runs under.
      if (!(await this.profileLoaded(name))) this.profileSel.value = this.sim.config.profile;
      if (this.profileSel.value !== name) return;
      this.fillCaps(name, this.checkedCaps());
      this.restart(this.formConfig(), this.sim.userSteps(), true);
    });
    this.notice = h('div', { class: 'notice', role: 'status', hidden: true });
    // History.
    this.history = h('ol', { class: 'history', 'aria-label': 'steps taken' });
    this.undoBtn = h('button', { type: 'button', onclick: () => this.undo(), title: 'Undo the last step (Ctrl+Z)' }, 'Undo');
    const exportTrace = h('button', { type: 'button', title: 'Save the simulation as a trace (JSON lines)', onclick: () => download('migstate-simulation.jsonl', new Blob([toTrace(this.sim)], { type: 'application/x-ndjson' })) }, 'Export trace');
    const copyLink = h('button', { type: 'button', title: 'The address of this page holds the whole simulation', onclick: () => void navigator.clipboard?.writeText(location.href) }, 'Copy link');
    // Views.
    this.matrixState = state.matrix ?? {};
    this.linkedReplayStep = state.replayStep;
    const sideBlock = (side: Side) => {
      const title = h('h2', {}, sideTitle(side, side));
      const el = h(
        'section',
        { class: `side side-${side}`, 'data-side': side, 'data-role': side, 'aria-label': side, id: `side-${side}` },
        title,
        h('div', { class: 'side-body' }, this.charts[side].el, this.next[side].el, this.panels[side].el),
      );
      this.headings.set(side, title);
      this.sideEls.set(side, el);
      return el;
    };
    // Source and destination side by side, the channel and the pair's steps between them: both
    // processes and both command panels on one screen.
    const simPanel = h(
      'div',
      { class: 'sim' },
      sideBlock('source'),
      h(
        'div',
        { class: 'middle' },
        h('section', { class: 'side side-pair', 'data-side': 'pair', 'aria-label': 'pair', id: 'side-pair', tabindex: '-1' }, h('h2', {}, 'Channel and pair steps'), h('div', { class: 'pair-body' }, this.channelChart.el, this.pairPanel.el)),
        h('aside', { class: 'steps', 'aria-label': 'history', id: 'steps' }, h('h2', {}, 'Steps'), h('div', { class: 'row' }, this.undoBtn, exportTrace, copyLink), this.history),
      ),
      sideBlock('destination'),
    );
    const tablist = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'views' });
    for (const t of TABS) {
      const b = h('button', { type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`, onclick: () => this.setTab(t.id) }, t.label);
      this.tabBtns.set(t.id, b);
      tablist.append(b);
    }
    tablist.addEventListener('keydown', (e) => {
      const i = TABS.findIndex((t) => t.id === this.tab);
      const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!d) return;
      const next = TABS[(i + d + TABS.length) % TABS.length].id;
      this.setTab(next);
      this.tabBtns.get(next)!.focus();
    });
    const mk = (id: string, ...content: Node[]) => {
      const el = h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, class: `tabpanel panel-${id}` }, ...content);
      this.panelsEl.set(id, el);
      return el;
    };
    const skip = (href: string, text: string, tab = 'sim') =>
      h('a', { href, class: 'skip', onclick: (e: Event) => (e.preventDefault(), this.setTab(tab), document.querySelector<HTMLElement>(href)?.focus()) }, text);
    root.replaceChildren(
      h('nav', { class: 'skips', 'aria-label': 'skip links' }, skip('#main', 'Skip to the views'), skip('#cmds-source', 'Skip to the source’s commands'), skip('#cmds-destination', 'Skip to the destination’s commands'), skip('#side-pair', 'Skip to the pair’s steps')),
      h('header', { class: 'top' }, h('h1', {}, 'migstate'), h('span', { class: 'tagline' }, 'QEMU live migration: what QEMU accepts in each state, and what it answers to the rest'), this.setupForm),
      this.notice,
      h('main', { id: 'main', tabindex: '-1' }, tablist, mk('sim', simPanel), mk('matrix', loadingNote()), mk('replay', loadingNote()), mk('inspector', this.inspector.el)),
    );
    document.addEventListener('keydown', (e) => {
      const t = e.target as HTMLElement;
      if ((e.ctrlKey || e.metaKey) && e.key === 'z' && !['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) && this.tab === 'sim') {
        e.preventDefault();
        this.undo();
      }
    });
    if (problems.length) this.say(`Link: ${problems.join('; ')}`);
    // Back and Forward: the entry's tab and steps, in place (undoing to a prefix when it is one).
    window.addEventListener('popstate', () => void this.goTo(location.hash));
    // A link pasted or edited in the address bar: start over from it.
    window.addEventListener('hashchange', () => {
      if (location.hash !== this.written) location.reload();
    });
    this.setFormConfig(state.config);
    this.buildPanels();
    for (const s of state.steps) this.sim.send(s.event);
    this.afterChange();
    this.setTab(this.tab);
    this.ready = this.drawCharts();
  }

  /** Shows the state a URL describes (a history entry): its tab, its configuration and steps. */
  private async goTo(hash: string) {
    const { state } = readUrl(hash, profileNames());
    if (!(await this.profileLoaded(state.config.profile)) || location.hash !== hash) return;
    this.written = hash;
    const cur = this.sim.userSteps();
    const same = JSON.stringify(state.config) === JSON.stringify(this.sim.config);
    const enc = (xs: SimStep[]) => xs.map((x) => JSON.stringify(x.event));
    const a = enc(cur);
    const b = enc(state.steps);
    if (same && b.length <= a.length && b.every((x, i) => x === a[i])) {
      if (b.length < a.length) this.sim.truncate(b.length);
    } else if (same && a.every((x, i) => x === b[i])) {
      for (const st of state.steps.slice(a.length)) this.sim.send(st.event);
    } else {
      this.setFormConfig(state.config);
      const profileChanged = state.config.profile !== this.sim.config.profile;
      this.sim = new Simulation(state.config, this.inspector.observer);
      for (const st of state.steps) this.sim.send(st.event);
      if (profileChanged) {
        this.buildPanels();
        void this.drawCharts();
      }
    }
    this.diverged = null;
    this.pushNext = false;
    this.afterChange();
    const tab = TABS.some((t) => t.id === state.tab) ? state.tab : 'sim';
    this.tab = tab;
    this.setTab(tab);
    this.pushNext = false;
    // A replay step's entry: the replay view moves there without making an entry of its own.
    if (tab === 'replay' && state.replayStep !== undefined) {
      if (this.replay) this.replay.go(state.replayStep, 'replace');
      else this.linkedReplayStep = state.replayStep;
    }
  }

  private say(text: string) {
    this.notice.textContent = text;
    this.notice.hidden = !text;
  }

  private fillCaps(profile: string, checked: string[]) {
    const p = getProfile(profile);
    this.capsBox.replaceChildren(
      ...p.capabilities.map((c) =>
        h('label', {}, h('input', { type: 'checkbox', value: c, checked: checked.includes(c), onchange: () => (this.updateCapsSummary(), void this.restartWith(this.formConfig(), this.sim.userSteps(), true)) }), ' ', c),
      ),
    );
    this.updateCapsSummary();
  }

  private checkedCaps(): string[] {
    return [...this.capsBox.querySelectorAll<HTMLInputElement>('input:checked')].map((x) => x.value);
  }

  private updateCapsSummary() {
    const c = this.checkedCaps();
    this.capsSummary.textContent = c.length ? `capabilities: ${c.join(', ')}` : 'capabilities: none';
  }

  private formConfig(): SimConfig {
    return {
      profile: this.profileSel.value,
      caps: this.checkedCaps(),
      incoming: this.incomingSel.value === 'uri' ? 'uri' : 'defer',
      pausedSource: this.pausedSrc.checked,
      pausedDestination: this.pausedDst.checked,
    };
  }

  private setFormConfig(c: SimConfig) {
    this.profileSel.value = c.profile;
    this.fillCaps(c.profile, c.caps);
    this.incomingSel.value = c.incoming;
    this.pausedSrc.checked = c.pausedSource;
    this.pausedDst.checked = c.pausedDestination;
  }

  /**
   * Starts the pair anew under `config` and takes `steps`. With `compare`, the steps are those of the
   * simulation being replaced: the first one whose answer or effect differs is marked (history and
   * notice), so a profile or capability change shows what it changes instead of wiping the work.
   */
  /** Whether profile `name` is at hand, fetching its delta on first use; says so when it did not load. */
  private async profileLoaded(name: string): Promise<boolean> {
    try {
      await loadProfile(name);
      return true;
    } catch (e) {
      this.say(`The profile ${name} did not load: ${(e as Error).message}. Reload the page.`);
      return false;
    }
  }

  /** restart, once the configuration's profile is at hand. */
  private async restartWith(config: SimConfig, steps: SimStep[], compare = false): Promise<void> {
    if (await this.profileLoaded(config.profile)) this.restart(config, steps, compare);
  }

  restart(config: SimConfig, steps: SimStep[], compare = false): void {
    const profileChanged = config.profile !== this.sim.config.profile;
    const before = compare ? this.sim.records.filter((r) => !r.step.setup) : [];
    const was = this.sim.config;
    this.sim.stop();
    this.inspector.note(`restart: ${config.profile}, caps [${config.caps.join(', ')}], -incoming ${config.incoming}`);
    this.sim = new Simulation(config, this.inspector.observer);
    for (const s of steps) this.sim.send(s.event);
    this.diverged = null;
    this.say('');
    if (compare && steps.length) {
      const after = this.sim.records.filter((r) => !r.step.setup);
      const k = after.findIndex((r, i) => outcome(r) !== outcome(before[i]));
      const what = configChange(was, config);
      if (k < 0) this.say(`${what}: the ${steps.length} step(s) taken replay the same way.`);
      else {
        this.diverged = k;
        this.say(`${what}: the ${steps.length} step(s) replayed; from step ${k + 1} (${eventName(after[k].step.event)}) they go differently: was ${outcome(before[k])}; now ${outcome(after[k])}.`);
      }
    }
    this.pushNext = true;
    if (profileChanged) {
      this.buildPanels();
      void this.drawCharts();
    }
    this.afterChange();
  }

  /** The first user step (0-based) that went differently after the last profile or capability change. */
  private diverged: number | null = null;
  /** The next URL write is a new history entry (a step, a tab), not a correction of this one. */
  private pushNext = false;

  private buildPanels() {
    for (const side of SIDES) this.panels[side].build(this.sim.profile);
  }

  /** Lays out and draws the charts of the current profile. */
  async drawCharts(): Promise<void> {
    const p = this.sim.profile;
    // Measured before they are drawn (a viewport's size does not depend on its chart): one layout
    // of the page for all, no wait for the next frame's ResizeObserver, and each chart then draws
    // visible only what its view shows (ChartView.show).
    const charts = [...SIDES.map((s) => this.charts[s]), this.channelChart];
    for (const c of charts) c.measure();
    await Promise.all([...SIDES.map((side) => this.drawChart(side, this.charts[side], p.name, true)), this.drawChannel()]);
    for (const c of charts) c.settle();
    this.highlight();
  }

  /** Every chart of the simulation shows all of itself (nothing waits hidden for a paint). */
  chartsSettled(): Promise<unknown> {
    return Promise.all([...SIDES.map((s) => this.charts[s].settled), this.channelChart.settled]);
  }

  private channelDrawn = false;
  private async drawChannel(): Promise<void> {
    if (this.channelDrawn) return;
    this.channelDrawn = true;
    const l = await layoutFor(ANY_PROFILE, channelDiagram(), []);
    this.channelChart.show(l, this.channelHighlight(l.diagram));
  }

  /** The role of the process in a slot of the simulation; an exited one keeps the chart it had. */
  private roleIn(side: Side): Side {
    return this.sim.role(side) ?? this.drawnRole.get(this.charts[side]) ?? side;
  }

  /**
   * Draws the chart of the process in slot `side`: the chart of its role (`role`; in the simulation,
   * its role now: a destination that migrated on shows the source chart).
   */
  private async drawChart(side: Side, view: ChartView, profile: string, main = false, role?: Side): Promise<void> {
    const r = main ? this.roleIn(side) : (role ?? side);
    this.drawnRole.set(view, r);
    const p = await loadProfile(profile); // a replay may name a profile not yet at hand
    const all = regionsOf(p, r);
    const regions = this.regions[side].filter((x) => all.includes(x));
    view.setRegions(all, regions, REGION_TITLES, (shown) => {
      this.regions[side] = shown;
      void this.drawChart(side, view, profile, main, role).then(() => main && this.highlight());
    });
    const d = sideDiagram(p, r, regions);
    const l = await layoutFor(p.name, d, regions);
    if (main && this.sim.profile.name !== p.name) return; // the profile changed meanwhile
    if (this.drawnRole.get(view) !== r) return; // the role changed meanwhile (a step, an undo)
    view.show(l, main ? this.sideHighlight(side, l.diagram) : undefined);
  }

  send(event: PairEvent): void {
    const t0 = performance.now();
    performance.mark('migstate:step:start');
    const rec = this.sim.send(event);
    this.pushNext = true;
    this.lastStepParts.sim = performance.now() - t0;
    this.afterChange(rec);
    performance.mark('migstate:step:end');
    this.lastStepMs = performance.now() - t0;
  }

  undo(): void {
    if (!this.sim.canUndo()) return;
    this.inspector.note('undo: actors rebuilt, earlier steps replayed');
    this.sim.undo();
    this.pushNext = true;
    this.afterChange();
  }

  private highlight(last?: StepRecord) {
    for (const side of SIDES) {
      const view = this.charts[side];
      const snap = this.sim.snapshot(side);
      // A process that changed role is drawn with its new role's chart (laid out, then highlighted by show()).
      const role = this.roleIn(side);
      if (this.drawnRole.has(view) && this.drawnRole.get(view) !== role) void this.drawChart(side, view, this.sim.profile.name, true);
      this.headings.get(side)!.textContent = sideTitle(side, role);
      this.sideEls.get(side)!.dataset.role = role;
      view.el.classList.toggle('exited', !snap);
      view.highlight(this.sideHighlight(side, view.diagram, last));
    }
    this.channelChart.highlight(this.channelHighlight(this.channelChart.diagram, last));
  }

  /** A side's active states now, and the edges of `diagram` the last step took. */
  private sideHighlight(side: Side, diagram: Diagram | null, last?: StepRecord): Highlight {
    const snap = this.sim.snapshot(side);
    return { sure: new Set(snap ? activeIds(snap.value) : []), taken: takenEdges(diagram, last, side) };
  }

  private channelHighlight(diagram: Diagram | null, last?: StepRecord): Highlight {
    return { sure: new Set([String(this.sim.state.channel.value)]), taken: channelTaken(diagram, last) };
  }

  /** Where the time of the last step went (ms), for the bench. */
  lastStepParts: Record<string, number> = {};

  private afterChange(last?: StepRecord) {
    let t = performance.now();
    const lap = (k: string) => {
      const n = performance.now();
      this.lastStepParts[k] = n - t;
      t = n;
    };
    for (const side of SIDES) this.panels[side].update();
    for (const side of SIDES) this.next[side].update();
    this.pairPanel.update();
    lap('panels');
    this.highlight(last);
    lap('highlight');
    if (last) {
      const vm = vmOf(last.step.event);
      // A QMP reply goes to that process's panel; a step of the pair to the pair panel's reply line.
      const out = vm ? this.panels[vm].reply : this.pairPanel.reply;
      const r = last.reply;
      out.className = `reply ${r ? ('return' in r ? 'ok' : 'err') : last.changed ? 'ok' : 'err'}`;
      out.textContent = r ? `${eventName(last.step.event)} → ${JSON.stringify(r)}` : `${eventName(last.step.event)}: ${last.changed ? movedText(last) : 'cannot happen now, nothing changed'}`;
    }
    lap('reply');
    this.renderHistory();
    lap('history');
    this.writeUrl();
    lap('url');
  }

  private shownRecords: StepRecord[] | null = null;
  private shownCount = 0;

  private renderHistory() {
    // A step appends one item; anything else (undo, restart) redraws the list.
    const recs = this.sim.records;
    const append = this.shownRecords === recs && recs.length >= this.shownCount;
    const from = append ? this.shownCount : 0;
    const setupCount = recs.filter((r) => r.step.setup).length;
    const items = recs.slice(from).map((r, j) => {
      const i = from + j;
      const e = r.step.event;
      const vm = vmOf(e);
      const what = e.type === 'qmp' ? `${e.command}${e.arguments ? ' ' + JSON.stringify(e.arguments) : ''}` : e.type === 'fault' ? `⚡ ${e.fault}` : `⚙ ${eventName(e)}`;
      const rejected = !!r.reply && !('return' in r.reply);
      const res = r.reply && 'exited' in r.reply
        ? h('span', { class: 'err' }, '✗ the process has exited')
        : r.reply && 'noMonitor' in r.reply
        ? h('span', { class: 'err' }, '✗ no monitor yet: it waits for the cpr state')
        : r.decision && !r.decision.allowed
          ? h('span', { class: 'err' }, `✗ ${r.decision.error.desc}`)
          : h('span', { class: r.changed || r.decision ? 'ok' : 'err' }, movedText(r) || (r.decision ? '✓ accepted' : r.changed ? 'changed' : 'cannot happen now'));
      const who = vm ? (vm === 'source' ? 'src' : 'dst') : e.type === 'fault' ? 'fault' : 'pair';
      const user = r.step.setup ? -1 : i - setupCount;
      const diverged = this.diverged !== null && user >= this.diverged;
      return h('li', { class: `${vm ?? 'pair'}${r.step.setup ? ' setup' : ''}${rejected ? ' rejected' : ''}${diverged ? ' diverged' : ''}`, 'data-index': String(i), title: user === this.diverged ? 'the first step that goes differently after the last profile or capability change' : undefined }, h('span', { class: 'who' }, who), ' ', h('code', {}, what), r.step.setup ? h('small', {}, ' (start-up)') : '', h('br'), res);
    });
    if (append) this.history.append(...items);
    else this.history.replaceChildren(...items);
    this.shownRecords = recs;
    this.shownCount = recs.length;
    // Scrolling needs layout: after this frame, not inside the click; and only when there is a
    // step to show (at start-up it would force the first frame's layout inside its animation callbacks).
    if (items.length) requestAnimationFrame(() => (this.history.scrollTop = this.history.scrollHeight));
    this.undoBtn.disabled = !this.sim.canUndo();
  }

  private urlTimer = 0;
  /** The URL is written after the frame (history.replaceState costs a few ms). */
  private writeUrl() {
    if (this.urlTimer) return;
    document.body.dataset.urlPending = 'true';
    this.urlTimer = window.setTimeout(() => {
      this.urlTimer = 0;
      delete document.body.dataset.urlPending;
      this.writeUrlNow();
    }, 0);
  }

  private writeUrlNow() {
    const hash = writeUrl({ tab: this.tab, config: this.sim.config, steps: this.sim.userSteps(), matrix: this.matrix?.state ?? this.matrixState, replayStep: this.tab === 'replay' ? (this.replay ? this.replay.position : this.linkedReplayStep) : undefined });
    // Each step and tab is an entry of the browser's history: Back goes to the step before.
    const push = this.pushNext && this.written !== '';
    this.pushNext = false;
    if (hash !== location.hash) (push ? history.pushState : history.replaceState).call(history, null, '', hash);
    this.written = location.hash;
  }

  setTab(id: string): void {
    if (this.tab !== id) this.pushNext = true;
    this.tab = id;
    for (const [k, el] of this.panelsEl) el.hidden = k !== id;
    for (const [k, b] of this.tabBtns) {
      b.setAttribute('aria-selected', String(k === id));
      b.tabIndex = k === id ? 0 : -1;
    }
    this.inspector.setVisible(id === 'inspector');
    if (id === 'matrix') void this.openMatrix().then((m) => m.refresh());
    if (id === 'replay') void this.openReplay();
    this.writeUrl();
  }

  private matrixLoad: Promise<MatrixView> | null = null;
  private openMatrix(): Promise<MatrixView> {
    return (this.matrixLoad ??= import('./matrix-view.ts').then(({ MatrixView }) => {
      const m = new MatrixView(() => this.writeUrl());
      m.setState(this.matrixState);
      this.matrix = m;
      this.panelsEl.get('matrix')!.replaceChildren(m.el);
      return m;
    }, loadFailed('matrix', this.panelsEl.get('matrix')!)));
  }

  private replayLoad: Promise<ReplayView> | null = null;
  private openReplay(): Promise<ReplayView> {
    return (this.replayLoad ??= import('./replay-view.ts').then(({ ReplayView }) => {
      const r = new ReplayView(() => this.sim.config.profile, (side, view, profile, role) => this.drawChart(side, view, profile, false, role), () => toTrace(this.sim), this.linkedReplayStep);
      this.replay = r;
      this.panelsEl.get('replay')!.replaceChildren(r.el);
      return r;
    }, loadFailed('replay', this.panelsEl.get('replay')!)));
  }
}

const loadingNote = () => h('p', { class: 'loading', role: 'status' }, 'Loading…');

/** A view's code that did not load (the server went away): said in its panel, not swallowed. */
const loadFailed = (what: string, panel: HTMLElement) => (e: unknown) => {
  panel.replaceChildren(h('p', { class: 'err', role: 'alert' }, `The ${what} view did not load: ${(e as Error).message}. Reload the page.`));
  throw e;
};

/**
 * Builds the page once the document's parse has ended, in a task of its own. A module script runs
 * before the parse ends, and so did the whole first render (its promises settle in the same task).
 * Then Chromium ended the parse (Document::FinishedParsing) over the viewer's whole DOM: some twenty
 * forced style and layout passes among HTMLSelectElement::recalcListItems calls (its form autofill,
 * which reads every form control; the viewer has about 35 checkboxes and selects), 64–119 ms
 * (traced) between the first render and its frame. Built after it, the parse ends over "Loading the
 * model…" in 9 ms, and the form scan that follows the new controls takes 6 ms after the frame.
 * Interleaved, 28 loads each: first frame 505 → 470 ms, the first render unchanged (417, 414).
 */
function start(): void {
  const app = new App(document.getElementById('app')!);
  // For tests, the bench and the curious.
  (window as unknown as { migstate: unknown }).migstate = { app, layoutStats };
  // The first render: charts drawn and highlighted as far as their views show, both panels and the
  // pair's steps filled as far as they show. Ready: every row of every list is there, and every part
  // of every chart, too (tests wait for it).
  void app.ready.then(async () => {
    performance.mark('migstate:first-render');
    // That frame produced, before the rows and chart parts deferred to after it.
    afterFrame(() => performance.mark('migstate:first-frame'));
    await Promise.all([...SIDES.map((s) => app.panels[s].complete), app.chartsSettled()]);
    performance.mark('migstate:ready');
    document.body.dataset.ready = 'true';
  });
}
urgentTask(start);
