// A trace of QMP traffic: one JSON line per message sent or received,
// {"t": <ms since the run started>, "vm": <the process name>, "dir": "send"|"recv", "msg": {...}},
// plus free-form "note" lines ({"t", "note": {...}}) for what the runner did outside QMP (faults,
// model predictions, mismatches). Lines are written synchronously, so nothing is lost if the run
// dies; close() flushes and closes the file.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { QmpDirection, QmpRecorder } from './qmp.ts';

/**
 * A process of the run: `source` and `destination` are the pair's two, started as the scenario
 * says; any other name is a process a scenario launches later (C of A→B→C).
 */
export type VmName = string;

export interface TraceLine {
  t: number;
  vm?: VmName;
  dir?: QmpDirection;
  msg?: Record<string, unknown>;
  note?: Record<string, unknown>;
}

export class TraceRecorder {
  /** Every line, in order (kept in memory as well as written). */
  readonly lines: TraceLine[] = [];
  private fd: number | null;

  /**
   * @param file where to write JSON lines (null: memory only)
   * @param t0 the run's time origin (a performance.now() value)
   */
  constructor(
    readonly file: string | null,
    readonly t0: number = performance.now(),
  ) {
    this.fd = file ? openSync(file, 'w', 0o600) : null;
  }

  now(): number {
    return Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  private put(line: TraceLine) {
    this.lines.push(line);
    if (this.fd !== null) writeSync(this.fd, JSON.stringify(line) + '\n');
  }

  record(vm: VmName, dir: QmpDirection, msg: Record<string, unknown>): void {
    this.put({ t: this.now(), vm, dir, msg });
  }

  note(note: Record<string, unknown>): void {
    this.put({ t: this.now(), note });
  }

  /** The recorder callback for one VM's QMP client. */
  recorderFor(vm: VmName): QmpRecorder {
    return (dir, msg) => this.record(vm, dir, msg);
  }

  close(): void {
    if (this.fd === null) return;
    try {
      fsyncSync(this.fd);
    } catch {
      /* not every file system syncs */
    }
    closeSync(this.fd);
    this.fd = null;
  }
}
