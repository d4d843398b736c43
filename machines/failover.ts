// Chart: COLO failover status (qapi/migration.json: FailoverStatus; migration/colo-failover.c).
// One static failover_state per process, reset by failover_init_state when COLO starts.
import { flatTree, type ChartSpec } from './chart.ts';
import type { Profile } from './profile.ts';
import type { Side } from './vocabulary.ts';

export const FAILOVER_STATUSES = ['none', 'require', 'active', 'completed', 'relaunch'] as const;

const DOC: Record<string, string> = {
  none: 'no failover requested',
  require: 'failover requested (x-colo-lost-heartbeat, or a relaunch); colo_failover_bh scheduled',
  active: 'colo_failover_bh runs colo_do_failover',
  completed: 'failover done: this side runs on its own',
  relaunch: 'the secondary was loading device state; failover is retried after the load',
};

export function failoverChart(_p: Profile, side: Side): ChartSpec {
  return { chart: 'failover', side, region: 'failover', tree: flatTree(FAILOVER_STATUSES), initial: 'none', describe: (s) => DOC[s] ?? s };
}
