// What machine a benchmark ran on, printed with every result: figures without their machine are not comparable.
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  totalMemGiB: number;
  node: string;
  os: string;
  loadavg: [number, number, number];
}

export function machineInfo(): MachineInfo {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: availableParallelism(),
    totalMemGiB: totalmem() / 2 ** 30,
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    loadavg: [one, five, fifteen],
  };
}

export function formatLoadavg(l: readonly number[]): string {
  return l.map((v) => v.toFixed(2)).join(' / ');
}

export function describeMachine(m: MachineInfo): string[] {
  return [
    `machine   ${m.cpus} × ${m.cpuModel}, ${m.totalMemGiB.toFixed(1)} GiB RAM, ${m.os}`,
    `node      ${m.node}`,
    `load avg  ${formatLoadavg(m.loadavg)} (1 / 5 / 15 min) at start`,
  ];
}
