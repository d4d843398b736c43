// One-line meanings of QEMU's statuses and run states (qapi/migration.json, qapi/run-state.json),
// shown by the viewer and the docs.
export const STATUS_DOC: Record<string, string> = {
  none: 'no migration has been started',
  setup: 'migration is being set up (connection, setup of devices)',
  cancelling: 'migrate_cancel was issued; cleaning up',
  cancelled: 'migration was cancelled',
  active: 'precopy: RAM and device state are being sent while the guest runs',
  'postcopy-device': 'postcopy: device state is being sent before postcopy-active',
  'postcopy-active': 'postcopy: the destination runs, the source serves pages on request',
  'postcopy-paused': 'postcopy: the channel broke; waiting for recovery',
  'postcopy-recover-setup': 'postcopy recovery: setting up the new channel',
  'postcopy-recover': 'postcopy recovery: resyncing over the new channel',
  completed: 'migration finished successfully',
  failing: 'migration failed; cleanup still runs',
  failed: 'migration failed',
  colo: 'COLO: the VM is in fault-tolerance mode (checkpointing)',
  'pre-switchover': 'paused before switchover (pause-before-switchover); waiting for migrate-continue',
  device: 'device state is being sent after pre-switchover',
  'wait-unplug': 'waiting for failover devices to be unplugged',
};

export const RUNSTATE_DOC: Record<string, string> = {
  prelaunch: 'started with -S, guest not yet run',
  inmigrate: 'waiting for or loading an incoming migration',
  running: 'guest running',
  paused: 'guest paused (stop, or autostart off after an incoming migration)',
  'finish-migrate': 'guest stopped for the final stage of migration',
  postmigrate: 'guest stopped after its state migrated away',
  colo: 'guest stopped for a COLO checkpoint',
  suspended: 'guest suspended to RAM (ACPI S3) until system_wakeup',
};
