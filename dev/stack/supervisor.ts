// Keeps the service's own processes of `npm start` (the gateway, N workers) running as in production: each is a
// child process with its own log, restarted when it dies unexpectedly (a crash, a SIGKILL from the chaos tests or
// an operator), stopped by pid on Ctrl-C. Temporal and Kafka are infrastructure: processes.ts runs them unsupervised.
import { describeExit, spawnManaged, waitUntilReady, type ExitInfo, type ManagedProcess, type ReadyOptions } from './processes';

export interface ServiceProcessSpec {
  /** "gateway", "worker 2": how messages and the banner name it. */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Readiness of the process with this pid (a new one after each restart). */
  ready: (pid: number) => ReadyOptions;
  /** SIGTERM → SIGKILL grace of a stop; longer than the process's own graceful close. */
  graceMs: number;
}

export interface SupervisorEvents {
  log: (message: string) => void;
  /** After every (re)start that became ready: the place to publish the new pid. */
  onReady: (proc: SupervisedProcess) => void;
  /** The process died before it got ready too many times in a row: the stack cannot run. */
  onGiveUp: (proc: SupervisedProcess, error: Error) => void;
}

export interface SupervisedProcess {
  readonly name: string;
  readonly logFile: string;
  /** The pid of the current run. */
  pid(): number;
  /** How many times it was restarted after an unexpected exit. */
  restarts(): number;
  /** Stops it for good (no restart); resolves once the process is gone. */
  stop(): Promise<void>;
}

/**
 * A run that fails by itself before it is ready (error exit, or no readiness in time) this many times in a row is a
 * broken start (config, code), not a crash.
 */
const MAX_FAILED_STARTS = 3;
/** Between failed starts only: a run that had been ready is restarted at once (the chaos tests kill every few s). */
const FAILED_START_BACKOFF_MS = 1_000;
/** At most this many seconds of backoff come from starts ended by a signal (see killedStarts). */
const MAX_KILLED_START_BACKOFF_STEPS = 5;

/** Starts the process and waits until it is ready (throwing with its log's tail if it is not), then supervises it. */
export async function startSupervised(spec: ServiceProcessSpec, events: SupervisorEvents): Promise<SupervisedProcess> {
  let current: ManagedProcess = spawnManaged({ name: spec.name, command: spec.command, args: spec.args, cwd: spec.cwd, env: spec.env, logFile: spec.logFile, detached: true });
  let restarts = 0;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  const handle: SupervisedProcess = {
    name: spec.name,
    logFile: spec.logFile,
    pid: () => current.pid,
    restarts: () => restarts,
    stop() {
      stopped = true;
      stopping ??= current.stop(spec.graceMs);
      return stopping;
    },
  };

  try {
    await waitUntilReady(current, spec.ready(current.pid));
  } catch (err) {
    stopped = true;
    await current.stop(2_000);
    throw err;
  }
  events.onReady(handle);

  const supervise = async (): Promise<void> => {
    let failedStarts = 0;
    // Starts ended by a signal before ready, in a row: not a failure of the code (never given up on), but backed
    // off, so a start that is killed every time (out of memory, a native crash) does not respawn in a tight loop.
    let killedStarts = 0;
    for (;;) {
      const exit: ExitInfo = await current.exited;
      if (stopped) return;
      const previous = current.pid;
      events.log(`${spec.name} (pid ${previous}) exited unexpectedly (${describeExit(exit)}); restarting it — log ${spec.logFile}`);
      const backoffSteps = failedStarts + Math.min(killedStarts, MAX_KILLED_START_BACKOFF_STEPS);
      if (backoffSteps > 0) await new Promise((res) => setTimeout(res, FAILED_START_BACKOFF_MS * backoffSteps));
      if (stopped) return;
      current = spawnManaged({ name: spec.name, command: spec.command, args: spec.args, cwd: spec.cwd, env: spec.env, logFile: spec.logFile, detached: true });
      restarts += 1;
      try {
        await waitUntilReady(current, spec.ready(current.pid));
      } catch (err) {
        if (stopped) return;
        const died = current.exitInfo();
        // Killed by a signal, or stopped cleanly by one (exit 0): someone — the chaos tests, an operator — ended this
        // start from outside. Only a start that fails by itself (an error exit, never ready) says the code is broken.
        if (died !== undefined && (died.signal !== null || died.code === 0)) {
          killedStarts += 1;
          continue;
        }
        failedStarts += 1;
        if (failedStarts >= MAX_FAILED_STARTS) {
          await current.stop(2_000);
          events.onGiveUp(handle, new Error(`${spec.name} failed to start ${failedStarts} times in a row; last attempt: ${(err as Error).message}`));
          return;
        }
        // A run that is still alive but not ready (a stuck start) is replaced like a dead one.
        await current.stop(2_000);
        continue;
      }
      if (stopped) return;
      failedStarts = 0;
      killedStarts = 0;
      events.log(`${spec.name} is back as pid ${current.pid} (restart ${restarts})`);
      events.onReady(handle);
    }
  };
  void supervise().catch(async (err: unknown) => {
    events.onGiveUp(handle, err instanceof Error ? err : new Error(String(err)));
  });
  return handle;
}
