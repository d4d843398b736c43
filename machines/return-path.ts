// Chart: the migration return path. Source: MigrationState.rp_state (from_dst_file and the
// source_return_path_thread); destination: MigrationIncomingState.to_src_file.
import { flatTree, type ChartSpec } from './chart.ts';
import type { Profile } from './profile.ts';
import type { Side } from './vocabulary.ts';

export const RP_STATES: Record<Side, readonly string[]> = {
  source: ['closed', 'open', 'running', 'shut', 'stopped'],
  destination: ['closed', 'open'],
};

const DOC: Record<string, string> = {
  closed: 'no return-path file',
  open: 'return-path file open, no thread reading it',
  running: 'return-path file open and source_return_path_thread reading it',
  shut: 'the thread left its loop (MIG_RP_MSG_SHUT received, or the file was shut down on an error)',
  stopped: 'the thread was joined; the file is still open',
};

export function returnPathChart(_p: Profile, side: Side): ChartSpec {
  return {
    chart: 'return-path',
    side,
    region: 'rp',
    tree: flatTree(RP_STATES[side]),
    initial: 'closed',
    describe: (s) => (side === 'destination' && s === 'open' ? 'to_src_file open (the destination can send return-path messages)' : (DOC[s] ?? s)),
  };
}
