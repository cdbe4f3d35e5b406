// CPU accounting over a benchmark phase: this Node process, a server and a helper process by pid, and the whole machine,
// so a report can say where the time went and how much of the machine something else was using meanwhile.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface CpuSnapshot {
  atMs: number;
  self: NodeJS.CpuUsage;
  /** utime+stime of the watched processes in clock ticks; undefined without procfs or pid. */
  procTicks: number | undefined;
  helperTicks: number | undefined;
  /** Busy and total ticks of all cores (/proc/stat); undefined without procfs. */
  machine: { busy: number; total: number } | undefined;
}

export interface CpuDelta {
  elapsedMs: number;
  /** CPU time of this process (all threads: JS, GC, libuv). */
  selfMs: number;
  /** The watched server process. */
  procMs: number | undefined;
  /** The watched helper process (e.g. a load generator). */
  helperMs: number | undefined;
  /** Share of all cores busy, whoever used them. */
  machineBusyPct: number | undefined;
  /** Machine busy minus this process and the watched ones: the noise the figures carry. */
  otherPct: number | undefined;
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // the Linux default on every common architecture
    }
  }
  return clockTicks;
}

function procTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime (14) + stime (15)
  } catch {
    return undefined;
  }
}

function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    return { busy: total - idle - iowait, total };
  } catch {
    return undefined;
  }
}

/** utime+stime of a process in ms (all its threads); undefined without procfs or once it is gone. */
export function processCpuMs(pid: number | undefined): number | undefined {
  const ticks = procTicks(pid);
  return ticks === undefined ? undefined : (ticks * 1000) / ticksPerSecond();
}

/** Busy and total ticks of all cores since boot (/proc/stat); undefined without procfs. */
export function machineCpuTicks(): { busy: number; total: number } | undefined {
  return machineTicks();
}

export function cpuSnapshot(pid: number | undefined, helperPid?: number): CpuSnapshot {
  ticksPerSecond();
  return { atMs: performance.now(), self: process.cpuUsage(), procTicks: procTicks(pid), helperTicks: procTicks(helperPid), machine: machineTicks() };
}

function ticksToMs(from: number | undefined, to: number | undefined): number | undefined {
  return from !== undefined && to !== undefined ? ((to - from) * 1000) / ticksPerSecond() : undefined;
}

export function cpuSince(start: CpuSnapshot, pid: number | undefined, helperPid?: number): CpuDelta {
  const end = cpuSnapshot(pid, helperPid);
  const elapsedMs = end.atMs - start.atMs;
  const self = process.cpuUsage(start.self);
  const selfMs = (self.user + self.system) / 1000;
  const procMs = ticksToMs(start.procTicks, end.procTicks);
  const helperMs = ticksToMs(start.helperTicks, end.helperTicks);
  let machineBusyPct: number | undefined;
  let otherPct: number | undefined;
  if (start.machine !== undefined && end.machine !== undefined && end.machine.total > start.machine.total) {
    machineBusyPct = (100 * (end.machine.busy - start.machine.busy)) / (end.machine.total - start.machine.total);
    const oursPct = (100 * (selfMs + (procMs ?? 0) + (helperMs ?? 0))) / (elapsedMs * availableParallelism());
    otherPct = Math.max(0, machineBusyPct - oursPct);
  }
  return { elapsedMs, selfMs, procMs, helperMs, machineBusyPct, otherPct };
}

/** Several phases as one: times add up, shares are weighted by each phase's length. */
export function combineCpuDeltas(deltas: readonly CpuDelta[]): CpuDelta {
  const sum = (pick: (d: CpuDelta) => number | undefined): number | undefined =>
    deltas.some((d) => pick(d) === undefined) ? undefined : deltas.reduce((n, d) => n + (pick(d) ?? 0), 0);
  const elapsedMs = deltas.reduce((n, d) => n + d.elapsedMs, 0);
  const weighted = (pick: (d: CpuDelta) => number | undefined): number | undefined => {
    const total = sum((d) => {
      const v = pick(d);
      return v === undefined ? undefined : v * d.elapsedMs;
    });
    return total === undefined || elapsedMs === 0 ? undefined : total / elapsedMs;
  };
  return {
    elapsedMs,
    selfMs: sum((d) => d.selfMs) ?? 0,
    procMs: sum((d) => d.procMs),
    helperMs: sum((d) => d.helperMs),
    machineBusyPct: weighted((d) => d.machineBusyPct),
    otherPct: weighted((d) => d.otherPct),
  };
}
