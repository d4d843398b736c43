// Chart: COLO on one side (migration/colo.c). The primary is the source, the secondary the
// destination. `none` is COLO mode none; inside primary/secondary the checkpoint cycle is the
// COLOMessage exchange (qapi/migration.json: COLOMessage), one state per message boundary; `exited`
// is a COLO thread that left its loop on an error and waits for a failover (COLO_EXIT reason error)
// while the migration status stays `colo`. The mode query-colo-status reports is derived from the
// migration status (colo.c: get_colo_mode), so `none` <=> status != colo is an invariant.
import type { ChartSpec, StateTree } from './chart.ts';
import type { Profile } from './profile.ts';
import type { Side } from './vocabulary.ts';

export const COLO_TREE: Record<Side, StateTree> = {
  source: {
    none: null,
    primary: {
      'waiting-ready': null,
      running: null,
      checkpoint: { 'request-sent': null, stopped: null, 'sending-ram': null, 'sending-device': null, 'waiting-loaded': null },
    },
    exited: null,
  },
  destination: {
    none: null,
    secondary: {
      starting: null,
      running: null,
      checkpoint: { stopped: null, replied: null, 'loading-ram': null, 'receiving-device': null, 'loading-device': null },
    },
    exited: null,
  },
};

const DOC: Record<string, string> = {
  none: 'COLO mode none',
  primary: 'COLO primary: migrate_start_colo_process runs on the migration thread',
  'primary.waiting-ready': 'waiting for checkpoint-ready from the secondary (colo_process_checkpoint)',
  'primary.running': 'VM running; the next checkpoint comes from the x-checkpoint-delay timer or colo-compare',
  'primary.checkpoint': 'colo_do_checkpoint_transaction',
  'primary.checkpoint.request-sent': 'checkpoint-request sent; waiting for checkpoint-reply',
  'primary.checkpoint.stopped': 'VM stopped (RUN_STATE_COLO); about to send vmstate-send',
  'primary.checkpoint.sending-ram': 'vmstate-send sent; dirty RAM streamed',
  'primary.checkpoint.sending-device': 'vmstate-size and the device-state buffer sent; waiting for vmstate-received',
  'primary.checkpoint.waiting-loaded': 'waiting for vmstate-loaded',
  secondary: 'COLO secondary: colo_process_incoming_thread',
  'secondary.starting': 'COLO incoming thread started; about to send checkpoint-ready',
  'secondary.running': 'VM running; waiting for checkpoint-request (colo_wait_handle_message)',
  'secondary.checkpoint': 'colo_incoming_process_checkpoint',
  'secondary.checkpoint.stopped': 'VM stopped (RUN_STATE_COLO); checkpoint-reply about to be sent',
  'secondary.checkpoint.replied': 'checkpoint-reply sent; waiting for vmstate-send',
  'secondary.checkpoint.loading-ram': 'loading RAM into the COLO cache (qemu_loadvm_state_main)',
  'secondary.checkpoint.receiving-device': 'vmstate-size received; reading the device-state buffer',
  'secondary.checkpoint.loading-device': 'vmstate-received sent; loading device state (vmstate_loading)',
  exited: 'the COLO thread left its loop (COLO_EXIT reason error) and waits for x-colo-lost-heartbeat',
};

export function coloChart(_p: Profile, side: Side): ChartSpec {
  return { chart: 'colo', side, region: 'colo', tree: COLO_TREE[side], initial: 'none', describe: (s) => DOC[s] ?? s };
}
