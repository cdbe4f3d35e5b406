// CPU and memory of several processes by pid over a phase, for benchmarks that run the service as separate processes:
// CPU from /proc/<pid>/stat (cpu.ts), the machine's busy share and what of it none of the watched processes used, and
// resident memory — sampled VmRSS (the peak within a phase) and VmHWM (the kernel's peak since the process started).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { machineCpuTicks, processCpuMs } from './cpu';

export interface ProcessMemory {
  rssKiB: number;
  /** VmHWM: the peak resident set since the process started. */
  hwmKiB: number;
}

/** VmRSS and VmHWM from /proc/<pid>/status; undefined without procfs or once the process is gone. */
export function processMemory(pid: number | undefined): ProcessMemory | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number | undefined => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return m?.[1] === undefined ? undefined : Number(m[1]);
    };
    const rssKiB = kib('VmRSS');
    const hwmKiB = kib('VmHWM');
    return rssKiB === undefined || hwmKiB === undefined ? undefined : { rssKiB, hwmKiB };
  } catch {
    return undefined;
  }
}

/** A labelled set of processes, e.g. { 'gateway (ours)': 123, worker: 456, temporal: 789 }; this process is `self`. */
export type WatchedPids = Readonly<Record<string, number | undefined>>;

export interface MultiCpuSnapshot {
  atMs: number;
  selfUs: NodeJS.CpuUsage;
  procMs: Record<string, number | undefined>;
  machine: { busy: number; total: number } | undefined;
}

export interface MultiCpuDelta {
  elapsedMs: number;
  /** CPU ms of each watched process over the phase; `self` is this (the benchmark's) process. */
  procMs: Record<string, number | undefined>;
  machineBusyPct: number | undefined;
  /** Machine busy minus every watched process and this one: load from outside the benchmark. */
  otherPct: number | undefined;
}

export function multiCpuSnapshot(pids: WatchedPids): MultiCpuSnapshot {
  const procMs: Record<string, number | undefined> = {};
  for (const [label, pid] of Object.entries(pids)) procMs[label] = processCpuMs(pid);
  return { atMs: performance.now(), selfUs: process.cpuUsage(), procMs, machine: machineCpuTicks() };
}

export function multiCpuSince(start: MultiCpuSnapshot, pids: WatchedPids): MultiCpuDelta {
  const end = multiCpuSnapshot(pids);
  const elapsedMs = end.atMs - start.atMs;
  const self = process.cpuUsage(start.selfUs);
  const procMs: Record<string, number | undefined> = { self: (self.user + self.system) / 1000 };
  for (const label of Object.keys(pids)) {
    const a = start.procMs[label];
    const b = end.procMs[label];
    procMs[label] = a !== undefined && b !== undefined ? b - a : undefined;
  }
  let machineBusyPct: number | undefined;
  let otherPct: number | undefined;
  if (start.machine !== undefined && end.machine !== undefined && end.machine.total > start.machine.total) {
    machineBusyPct = (100 * (end.machine.busy - start.machine.busy)) / (end.machine.total - start.machine.total);
    const oursMs = Object.values(procMs).reduce<number>((n, v) => n + (v ?? 0), 0);
    otherPct = Math.max(0, machineBusyPct - (100 * oursMs) / (elapsedMs * availableParallelism()));
  }
  return { elapsedMs, procMs, machineBusyPct, otherPct };
}

/** Samples VmRSS of the watched processes every `intervalMs`, keeping each one's peak since the last reset. */
export class RssSampler {
  private readonly peaks = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: () => WatchedPids,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    for (const [label, pid] of Object.entries(this.pids())) {
      const mem = processMemory(pid);
      if (mem !== undefined) this.peaks.set(label, Math.max(this.peaks.get(label) ?? 0, mem.rssKiB));
    }
  }

  /** Peak sampled VmRSS (KiB) per label since the last reset, then starts over. */
  takePeaks(): Map<string, number> {
    this.sample();
    const out = new Map(this.peaks);
    this.peaks.clear();
    return out;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
