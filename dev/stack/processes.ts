// Child processes of the local stack and of the tool installers (Temporal dev server, Kafka, a Go or Maven build, a JVM
// training run): spawn with output in a log file, wait for readiness, stop by pid, and make sure none outlives the
// parent (exit, Ctrl-C, SIGTERM).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { dirname } from 'node:path';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the child has exited (and was reaped). */
  readonly exited: Promise<ExitInfo>;
  /** undefined while running. */
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default grace period used by stop() and by the signal handlers. */
  graceMs?: number;
  /**
   * Own process group: a Ctrl-C in the terminal then reaches only the parent, which stops the child itself (a
   * supervisor must tell its own stop from a child's death). The 'exit' hook still kills it with the parent.
   */
  detached?: boolean;
}

export interface ReadyOptions {
  /** Resolves true (or without throwing) when ready; false or a rejection means "not yet". */
  probe: () => Promise<boolean>;
  timeoutMs: number;
  intervalMs?: number;
  /** A single probe attempt that hangs longer than this counts as "not yet". */
  probeTimeoutMs?: number;
}

const DEFAULT_GRACE_MS = 10_000;

// The registry is created lazily (first spawn) so that importing this module has no side effects.
interface Registry {
  children: Map<number, ManagedProcess>;
  shuttingDown: boolean;
}
let registry: Registry | undefined;

export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  // The child writes straight into the file (no pipe through this process), so a busy or paused parent cannot
  // block it and its output survives a crash of the parent.
  const fd = openSync(opts.logFile, 'a');
  let child;
  try {
    child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: opts.detached ?? false,
    });
  } finally {
    closeSync(fd);
  }
  // Must be attached synchronously: spawn failures (ENOENT, EACCES) arrive as an 'error' event.
  child.once('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`${opts.name}: could not start ${opts.command} (not found or not executable)`);
  }
  let exit: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((res) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      registry?.children.delete(pid);
      res(exit);
    });
  });
  const graceDefault = opts.graceMs ?? DEFAULT_GRACE_MS;
  let stopping: Promise<void> | undefined;
  const handle: ManagedProcess = {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    exited,
    exitInfo: () => exit,
    stop: (graceMs = graceDefault) => {
      stopping ??= stopChild(handle, graceMs);
      return stopping;
    },
  };
  ensureRegistry().children.set(pid, handle);
  return handle;
}

async function stopChild(handle: ManagedProcess, graceMs: number): Promise<void> {
  if (handle.exitInfo() !== undefined) return;
  signal(handle.pid, 'SIGTERM');
  const timer = setTimeout(() => signal(handle.pid, 'SIGKILL'), graceMs);
  try {
    await handle.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Stops a process by pid: a child started here is awaited through its handle; any other pid is polled until gone.
 */
export async function stopProcess(pid: number, graceMs = DEFAULT_GRACE_MS): Promise<void> {
  const managed = registry?.children.get(pid);
  if (managed !== undefined) return managed.stop(graceMs);
  if (!isPidAlive(pid)) return;
  signal(pid, 'SIGTERM');
  const killAt = Date.now() + graceMs;
  let killed = false;
  while (isPidAlive(pid)) {
    if (!killed && Date.now() >= killAt) {
      signal(pid, 'SIGKILL');
      killed = true;
    }
    await sleep(50);
  }
}

/** Waits until `probe` passes; on timeout or death of the child, throws with the exit status and the log's tail. */
export async function waitUntilReady(proc: ManagedProcess, opts: ReadyOptions): Promise<void> {
  const started = Date.now();
  const interval = opts.intervalMs ?? 200;
  const probeTimeout = opts.probeTimeoutMs ?? 5_000;
  let lastError: unknown;
  for (;;) {
    const exit = proc.exitInfo();
    if (exit !== undefined) {
      throw new Error(
        `${proc.name} (pid ${proc.pid}) exited before it was ready (${describeExit(exit)}).\n` +
          `--- last lines of ${proc.logFile} ---\n${await tailFile(proc.logFile)}`,
      );
    }
    try {
      if (await withTimeout(opts.probe(), probeTimeout)) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() - started >= opts.timeoutMs) {
      const why = lastError instanceof Error ? ` Last probe error: ${lastError.message}.` : '';
      throw new Error(
        `${proc.name} (pid ${proc.pid}, still running) was not ready after ${Math.round(opts.timeoutMs / 1000)} s.${why}\n` +
          `--- last lines of ${proc.logFile} ---\n${await tailFile(proc.logFile)}`,
      );
    }
    await Promise.race([sleep(interval), proc.exited]);
  }
}

/** spawnManaged + waitUntilReady; a child that never gets ready is stopped before the error is thrown. */
export async function startManaged(opts: SpawnOptions & { ready: ReadyOptions }): Promise<ManagedProcess> {
  const proc = spawnManaged(opts);
  try {
    await waitUntilReady(proc, opts.ready);
  } catch (err) {
    await proc.stop(2_000);
    throw err;
  }
  return proc;
}

/** Throws if something already accepts connections on host:port (a leftover server would fool readiness probes). */
export async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (await acceptsConnections(host, port)) throw new Error(`${what} on ${host} is already in use (another instance still running?)`);
}

/** Whether a server could listen on host:port right now (nobody holds it, whether or not it accepts connections). */
export function isPortBindable(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((res) => {
    const server = createServer();
    server.once('error', () => res(false));
    server.listen(port, host, () => server.close(() => res(true)));
  });
}

/** Whether a TCP connect to host:port succeeds within `timeoutMs` (a port-open readiness probe). */
export function acceptsConnections(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise<boolean>((res) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      res(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      res(true);
    });
    socket.once('error', () => res(false));
  });
}

export function runningChildren(): readonly ManagedProcess[] {
  return [...(registry?.children.values() ?? [])];
}

export async function tailFile(file: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

export function describeExit(exit: ExitInfo): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`;
}

function ensureRegistry(): Registry {
  if (registry !== undefined) return registry;
  const reg: Registry = { children: new Map(), shuttingDown: false };
  registry = reg;
  // Last resort, synchronous: whatever is still running when this process exits is killed outright.
  process.on('exit', () => {
    for (const pid of reg.children.keys()) signal(pid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      // Another part of the program (e.g. close-with-grace in `npm start`) owns shutdown: it stops the children
      // itself and the 'exit' hook catches the rest. Only when nobody else listens do we shut down here, because
      // a listener replaces Node's default "terminate on signal".
      if (process.listenerCount(sig) > 1) return;
      if (reg.shuttingDown) {
        for (const pid of reg.children.keys()) signal(pid, 'SIGKILL');
        process.exit(130);
      }
      reg.shuttingDown = true;
      void Promise.allSettled([...reg.children.values()].map((c) => c.stop())).then(() => {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig); // re-raise: default action, correct exit status for the caller
      });
    };
    process.on(sig, onSignal);
  }
  return reg;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Whether a process with this pid exists (any owner) and is not a zombie. */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EPERM';
  }
  // A zombie still answers kill(0) until its parent reaps it (some container inits never do); it is gone for us.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs (macOS): trust kill(0)
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`probe timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        res(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        rej(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}
