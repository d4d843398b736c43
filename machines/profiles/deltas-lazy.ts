// The chain's deltas for a browser bundle (package.json "imports", condition "browser"): each is
// its own chunk, fetched by loadProfile when a profile that needs it is first asked for (the
// viewer's profile menu, a link or a trace naming it). The names are checked against the deltas
// when they load (profiles/index.ts: loadProfile), and against deltas.ts by profile-chain.test.
import type { DeltaSource } from './deltas.ts';

export const DELTAS: readonly DeltaSource[] = [
  { name: 'qemu-10.0', load: () => import('./qemu-10.0.ts').then((m) => m.qemu100Delta) },
  { name: 'qemu-master', load: () => import('./qemu-master.ts').then((m) => m.qemuMasterDelta) },
  { name: 'proposed', load: () => import('./proposed.ts').then((m) => m.proposedDelta) },
];
