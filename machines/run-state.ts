// Chart: the run state of a VM (runstate in system/runstate.c), as far as migration moves it.
// Other run states (shutdown, guest-panicked, io-error, ...) are out of scope: migration neither
// enters nor needs them, except that qmp_cont refuses while runstate_needs_reset().
import { flatTree, type ChartSpec } from './chart.ts';
import type { Profile } from './profile.ts';
import type { RunState, Side } from './vocabulary.ts';
import { RUNSTATE_DOC } from './docs-text.ts';

/** The run states each role passes through. A destination starts in inmigrate (-incoming). */
export const RUN_STATES_OF: Record<Side, readonly RunState[]> = {
  source: ['prelaunch', 'running', 'suspended', 'paused', 'finish-migrate', 'postmigrate', 'colo'],
  destination: ['inmigrate', 'running', 'suspended', 'paused', 'prelaunch', 'colo'],
};

export function runStateChart(_p: Profile, side: Side, initial: RunState): ChartSpec {
  return {
    chart: 'run-state',
    side,
    region: 'run',
    tree: flatTree(RUN_STATES_OF[side]),
    initial,
    describe: (s) => RUNSTATE_DOC[s] ?? s,
  };
}
