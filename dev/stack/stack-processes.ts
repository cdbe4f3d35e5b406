// `.data/processes.json`: which pid runs what in `npm start` right now. Rewritten after every restart, so an operator
// (`kill $(jq '.workers[0].pid' .data/processes.json)`) and the tests find the current pids, not the banner's.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface StackProcesses {
  /** The `npm start` process: it serves the embedded store and restarts the others. */
  supervisor: number;
  gateway: { pid: number; url: string; log: string; restarts: number };
  workers: Array<{ n: number; pid: number; metrics: string | null; log: string; restarts: number }>;
  store: { kind: 'pglite'; dataDir: string; databaseUrl: string } | { kind: 'postgresql' };
}

export function stackProcessesFile(dataDir: string): string {
  return path.join(dataDir, 'processes.json');
}

export async function writeStackProcesses(dataDir: string, processes: StackProcesses): Promise<void> {
  const file = stackProcessesFile(dataDir);
  // Write then rename: a reader never sees half a file.
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(processes, null, 2)}\n`);
  await rename(partial, file);
}

export async function readStackProcesses(dataDir: string): Promise<StackProcesses> {
  return JSON.parse(await readFile(stackProcessesFile(dataDir), 'utf8')) as StackProcesses;
}
