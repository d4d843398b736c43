// Chart: the migration status of the incoming side (MigrationIncomingState.state).
import { flatTree, type ChartSpec } from './chart.ts';
import type { Profile } from './profile.ts';
import { STATUS_DOC } from './docs-text.ts';

export function destinationStatusChart(p: Profile): ChartSpec {
  return {
    chart: 'destination-status',
    side: 'destination',
    region: 'status',
    tree: flatTree(p.statuses.destination),
    initial: 'none',
    describe: (s) => STATUS_DOC[s] ?? s,
  };
}
