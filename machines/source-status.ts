// Chart: the migration status of the outgoing side (MigrationState.state in migration/migration.c).
import { flatTree, type ChartSpec } from './chart.ts';
import type { Profile } from './profile.ts';
import { STATUS_DOC } from './docs-text.ts';

export function sourceStatusChart(p: Profile): ChartSpec {
  return {
    chart: 'source-status',
    side: 'source',
    region: 'status',
    tree: flatTree(p.statuses.source),
    initial: 'none',
    describe: (s) => STATUS_DOC[s] ?? s,
  };
}
