// A finding of check-trace (trace/check.ts) and which findings are departures: a module of its own,
// so the viewer's sequence chart can tell them apart without loading the checker.
import type { Vm } from './format.ts';

export type FindingKind =
  | 'unexpected-accept'
  | 'unexpected-reject'
  | 'wrong-error'
  | 'unexpected-status'
  | 'unexpected-runstate'
  | 'unexpected-event'
  | 'missing-event'
  | 'unmatched-reply'
  | 'unexplained-start'
  | 'model-error'
  | 'pending'
  | 'unchecked';

/**
 * Whether a finding is a departure from the model. Two kinds are not: `pending` (a command the
 * trace ends before answering) and `unchecked` (a command that changes what migration reads, which
 * the model does not model: Profile.unmodelledCommands). The trace conforms only with neither
 * departures nor unchecked commands.
 */
export function isDeparture(f: { kind: FindingKind | string }): boolean {
  return f.kind !== 'pending' && f.kind !== 'unchecked';
}

export interface Finding {
  line: number;
  vm: Vm;
  kind: FindingKind;
  expected: unknown;
  observed: unknown;
  command?: string;
  /** For a command's outcome: the line of the command (`line` is the line of its reply). */
  commandLine?: number;
  event?: string;
  note?: string;
}
