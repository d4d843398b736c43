// The deltas of the chain, oldest first, each with the name of the profile it makes: imported with
// the registry, so every profile is there at once (the CLI, the tests, docs generation). A browser
// bundle gets deltas-lazy.ts instead (package.json "imports", condition "browser"): the page's first
// render needs one profile, and the deltas are two thirds of the profiles' code.
import type { ProfileDelta } from '../profile.ts';
import { qemu100Delta } from './qemu-10.0.ts';
import { qemuMasterDelta } from './qemu-master.ts';
import { proposedDelta } from './proposed.ts';

export interface DeltaSource {
  /** The profile the delta makes (its `name`, known before it is loaded). */
  name: string;
  /** The delta, when it came with the registry. */
  delta?: ProfileDelta;
  load(): Promise<ProfileDelta>;
}

const now = (delta: ProfileDelta): DeltaSource => ({ name: delta.name, delta, load: () => Promise.resolve(delta) });

export const DELTAS: readonly DeltaSource[] = [now(qemu100Delta), now(qemuMasterDelta), now(proposedDelta)];
