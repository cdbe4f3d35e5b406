// What a benchmark ran on — the machine and the code revision — printed with every result: figures without them are
// not comparable.
import { execFileSync } from 'node:child_process';
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

/** `abc1234`, with a note when the working tree differs from it; undefined outside a git checkout. */
export function codeRevision(): string | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const sha = git('rev-parse', '--short', 'HEAD');
    const changed = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).length;
    return changed === 0 ? sha : `${sha} + uncommitted changes in ${changed} tracked file${changed === 1 ? '' : 's'}`;
  } catch {
    return undefined;
  }
}
