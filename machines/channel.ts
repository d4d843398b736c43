// Chart: the migration channel between the two processes (the main stream and the return path,
// which shares its socket: migration/qemu-file.c: qemu_file_get_return_path). Faults act on it.
import { assign, setup, initialTransition, transition, type SnapshotFrom } from 'xstate';

export type ChannelEvent = { type: 'connect' } | { type: 'break' } | { type: 'close' };

export const channelMachine = setup({
  types: { context: {} as { connections: number }, events: {} as ChannelEvent },
  actions: { countConnection: assign({ connections: ({ context }) => context.connections + 1 }) },
}).createMachine({
  id: 'channel',
  context: { connections: 0 },
  initial: 'closed',
  states: {
    closed: {
      description: 'no connection between source and destination',
      on: { connect: { target: 'connected', actions: 'countConnection', meta: { ref: 'migration/socket.c: socket_start_outgoing_migration', label: 'connect', kind: 'internal' } } },
    },
    connected: {
      description: 'the migration stream (and the return path on the same socket) is up',
      on: {
        break: { target: 'broken', meta: { ref: 'io/channel.c: qio_channel_shutdown (yank, migrate-pause, a network fault, a peer that died)', label: 'break', kind: 'internal' } },
        close: { target: 'closed', meta: { ref: 'migration/migration.c: migrate_fd_cleanup / migration_incoming_state_destroy', label: 'close', kind: 'internal' } },
      },
    },
    broken: {
      description: 'the socket was shut down or lost; both ends see I/O errors',
      on: { connect: { target: 'connected', actions: 'countConnection', meta: { ref: 'migration/migration.c: qmp_migrate (resume) / qmp_migrate_recover', label: 'connect', kind: 'internal' } } },
    },
  },
});

export type ChannelSnapshot = SnapshotFrom<typeof channelMachine>;

export function startChannel(): ChannelSnapshot {
  return initialTransition(channelMachine)[0];
}

export function stepChannel(s: ChannelSnapshot, e: ChannelEvent): ChannelSnapshot {
  return transition(channelMachine, s, e)[0];
}
