// The HTTP load generator (autocannon) in a process of its own: the gateway's process then does only the gateway's
// work, as in production, and the generator's CPU is measured apart instead of being billed to the gateway.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadResult } from './drivers';
import type { WorkloadSpec } from './workloads';

export interface RemoteLoadOptions {
  url: string;
  path: string;
  connections: number;
  durationMs: number;
  expectStatus: number;
  workload: WorkloadSpec;
}

export type ToLoadProcess = { type: 'run'; options: RemoteLoadOptions } | { type: 'stop' } | { type: 'exit' };
export type FromLoadProcess =
  | { type: 'ready' }
  | { type: 'result'; result: LoadResult; cpuMs: number }
  | { type: 'error'; message: string };

export interface RemoteLoadResult extends LoadResult {
  /** CPU time of the load-generator process over the run. */
  loadgenCpuMs: number;
}

export interface LoadProcess {
  readonly pid: number;
  run(options: RemoteLoadOptions, signal: AbortSignal): Promise<RemoteLoadResult>;
  /** Asks it to exit, then kills it by pid if it does not. */
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./load-process-child.ts', import.meta.url));
const EXIT_GRACE_MS = 5_000;

export async function startLoadProcess(): Promise<LoadProcess> {
  // The default execArgv is ours, which carries tsx's loader; 'advanced' serialization sends the latency arrays cheaply.
  const child: ChildProcess = fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the load-generator process');
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let pending: { resolve: (r: RemoteLoadResult) => void; reject: (e: Error) => void } | undefined;

  child.on('message', (raw) => {
    const msg = raw as FromLoadProcess;
    if (msg.type === 'result') pending?.resolve({ ...msg.result, loadgenCpuMs: msg.cpuMs });
    else if (msg.type === 'error') pending?.reject(new Error(`load generator: ${msg.message}`));
    if (msg.type !== 'ready') pending = undefined;
  });
  void exit.then(() => pending?.reject(new Error('the load-generator process exited during a run')));

  await new Promise<void>((resolve, reject) => {
    const onMessage = (raw: unknown): void => {
      if ((raw as FromLoadProcess).type === 'ready') {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    void exit.then(() => reject(new Error('the load-generator process exited before it was ready')));
  });

  const send = (msg: ToLoadProcess): void => {
    if (!exited && child.connected) child.send(msg);
  };
  return {
    pid,
    run(options, signal) {
      if (pending !== undefined) return Promise.reject(new Error('the load generator runs one load at a time'));
      return new Promise<RemoteLoadResult>((resolve, reject) => {
        const onAbort = (): void => send({ type: 'stop' });
        signal.addEventListener('abort', onAbort, { once: true });
        pending = {
          resolve: (r) => {
            signal.removeEventListener('abort', onAbort);
            resolve(r);
          },
          reject: (e) => {
            signal.removeEventListener('abort', onAbort);
            reject(e);
          },
        };
        send({ type: 'run', options });
      });
    },
    async close() {
      if (exited) return;
      send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
      await exit;
      clearTimeout(timer);
    },
  };
}
