/**
 * CPU time of another process from /proc/<pid>/stat (Linux): user and system time, in the
 * kernel's clock ticks of 1/100 s, read before and after a run.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux build we run. */
const CLOCK_TICKS = 100;

/** CPU seconds used so far by a process, its own threads only (not its children). */
export interface CpuTimes {
  readonly userS: number;
  readonly systemS: number;
}

/** The CPU time process `pid` has used so far (utime and stime). */
export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields 14 and 15 come after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userS: Number(fields[11]) / CLOCK_TICKS, systemS: Number(fields[12]) / CLOCK_TICKS };
}

/** CPU seconds used so far by process `pid` (utime + stime). */
export function cpuSeconds(pid: number): number {
  const { userS, systemS } = cpuTimes(pid);
  return userS + systemS;
}

/** Read and write system calls made so far by process `pid` (`syscr`, `syscw` of /proc/<pid>/io). */
export function syscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  return { reads: field('syscr'), writes: field('syscw') };
}
