// /proc/PID/stat, read in one place for every caller that asks about a process (Linux). The command
// name (field 2) is in parentheses and may hold spaces, so the fields are read after its last ')'.
import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/PID/stat from field 3 (state) on, so index i is field i + 3 (proc_pid_stat(5):
 * state 3, ppid 4, utime 14, stime 15, starttime 22); null when the process is gone.
 */
export function procStat(pid: number | string): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
