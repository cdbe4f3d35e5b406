// What the tool installers share: the versioned cache outside the clone (so fresh clones on the same machine, e.g. CI,
// reuse it), the cross-process build lock, running a build command into a log file, the Maven fetch of jars, atomic
// publishing, and finding executables. Child processes are spawned, awaited and killed by ../stack/processes.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir, hostname, tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { describeExit, isPidAlive, sleep, spawnManaged, tailFile } from '../stack/processes';

export const TOOL_VERSIONS = { temporalCli: '1.5.1', kafka: '3.9.1', temporalTestServer: '1.38.0' } as const;

export type Log = (msg: string) => void;

export type Env = Readonly<Record<string, string | undefined>>;

// ---------------------------------------------------------------------------------------------------------------------
// Cache

/** Directory names inside the cache; the version is part of the name so an upgrade never reuses an old build. */
export const TOOL_DIRS = {
  temporalCli: `temporal-cli-${TOOL_VERSIONS.temporalCli}`,
  kafka: `kafka-${TOOL_VERSIONS.kafka}`,
  temporalTestServer: `temporal-test-server-${TOOL_VERSIONS.temporalTestServer}`,
} as const;

/** `${OMS_TOOLS_CACHE:-~/.cache/oms-tools}`, absolute. */
export function toolsCacheDir(env: Env = process.env): string {
  const fromEnv = nonEmpty(env['OMS_TOOLS_CACHE']);
  return fromEnv !== undefined ? resolve(fromEnv) : join(homedir(), '.cache', 'oms-tools');
}

export function toolDir(tool: keyof typeof TOOL_DIRS, env: Env = process.env): string {
  return join(toolsCacheDir(env), TOOL_DIRS[tool]);
}

export function buildLogFile(toolDirName: string): string {
  return join(toolsCacheDir(), 'logs', `${toolDirName}.log`);
}

/** Atomic publish: the final directory appears complete or not at all. A concurrent winner's copy is kept. */
export async function publishDir(partial: string, final: string): Promise<void> {
  try {
    await rename(partial, final);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      await rm(partial, { recursive: true, force: true });
      return;
    }
    throw err;
  }
}

export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

// ---------------------------------------------------------------------------------------------------------------------
// Build lock: one builder per tool across processes (parallel vitest files, `npm start` + `npm test`).

export interface BuildLockOptions {
  log?: Log;
  what?: string;
  /** A lock whose heartbeat is older than this is abandoned (its owner crashed or was killed). */
  staleMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
}

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export function lockPathFor(toolDirPath: string): string {
  return `${toolDirPath}.lock`;
}

/**
 * Returns `done()` if the tool is already there; otherwise takes `mkdir <lockDir>` (atomic), re-checks, and runs
 * `build()`. Waiters poll until the owner publishes the tool or its lock goes stale.
 */
export async function withBuildLock<T>(
  lockDir: string,
  done: () => Promise<T | undefined>,
  build: () => Promise<T>,
  opts: BuildLockOptions = {},
): Promise<T> {
  const staleMs = opts.staleMs ?? 5 * 60_000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const pollMs = opts.pollMs ?? 1_000;
  const what = opts.what ?? lockDir;
  let lastWaitLog = 0;
  for (;;) {
    const ready = await done();
    if (ready !== undefined) return ready;
    if (await tryAcquireLock(lockDir)) {
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimes(lockDir, now, now).catch(() => undefined);
      }, heartbeatMs);
      heartbeat.unref();
      try {
        const again = await done();
        return again !== undefined ? again : await build();
      } finally {
        clearInterval(heartbeat);
        await rm(lockDir, { recursive: true, force: true });
      }
    }
    const state = await inspectLock(lockDir, staleMs);
    if (state.kind === 'stale') {
      opts.log?.(`${what}: removing a stale build lock (${state.reason}).`);
      await breakLock(lockDir);
      continue;
    }
    if (state.kind === 'held' && Date.now() - lastWaitLog >= 30_000) {
      lastWaitLog = Date.now();
      const by = state.owner !== undefined ? ` (pid ${state.owner.pid} on ${state.owner.host}, since ${state.owner.since})` : '';
      opts.log?.(`${what}: another process is installing it${by}; waiting…`);
    }
    await sleep(pollMs);
  }
}

export async function tryAcquireLock(lockDir: string): Promise<boolean> {
  await mkdir(dirname(lockDir), { recursive: true });
  try {
    await mkdir(lockDir);
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  }
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  await writeFile(join(lockDir, 'owner.json'), JSON.stringify(owner));
  return true;
}

export type LockState = { kind: 'free' } | { kind: 'held'; owner: LockOwner | undefined } | { kind: 'stale'; reason: string };

export async function inspectLock(lockDir: string, staleMs: number): Promise<LockState> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(lockDir)).mtimeMs;
  } catch (err) {
    if (errCode(err) === 'ENOENT') return { kind: 'free' };
    throw err;
  }
  const owner = parseOwner(await readText(join(lockDir, 'owner.json')));
  if (owner !== undefined && owner.host === hostname() && !isPidAlive(owner.pid)) {
    return { kind: 'stale', reason: `owner pid ${owner.pid} is gone` };
  }
  const age = Date.now() - mtimeMs;
  if (age > staleMs) return { kind: 'stale', reason: `no heartbeat for ${Math.round(age / 1000)} s` };
  return { kind: 'held', owner };
}

/** Rename first (atomic, only one breaker wins), then delete, so two waiters cannot both break and re-take it. */
async function breakLock(lockDir: string): Promise<void> {
  const doomed = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockDir, doomed);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return;
    throw err;
  }
  await rm(doomed, { recursive: true, force: true });
}

function parseOwner(text: string | undefined): LockOwner | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const rec = value as Record<string, unknown>;
    const { pid, host, since } = rec;
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof since !== 'string') return undefined;
    return { pid, host, since };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Running a build

/** Runs a build command with output in a log file, printing a heartbeat so a minutes-long first build is not silent. */
export async function runToCompletion(opts: {
  what: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  log: Log;
  hint: string;
}): Promise<void> {
  await mkdir(dirname(opts.logFile), { recursive: true });
  await writeFile(opts.logFile, `$ ${opts.command} ${opts.args.join(' ')}\n`, { flag: 'a' });
  const started = Date.now();
  // A managed child: a build must not outlive an interrupted `npm start`; the lock it leaves behind is then seen as stale.
  const proc = spawnManaged({ name: opts.what, command: opts.command, args: opts.args, cwd: opts.cwd, env: opts.env, logFile: opts.logFile });
  const progress = setInterval(() => {
    opts.log(`${opts.what}: still working (${formatSeconds(Date.now() - started)} so far; log: ${opts.logFile})…`);
  }, 30_000);
  progress.unref();
  try {
    const exit = await proc.exited;
    if (exit.code !== 0) {
      const tail = await tailFile(opts.logFile, 30);
      throw new Error(
        `${opts.what}: \`${opts.command} ${opts.args.join(' ')}\` failed (${describeExit(exit)}). ${opts.hint}\n--- ${opts.logFile} (tail) ---\n${tail}`,
      );
    }
  } finally {
    clearInterval(progress);
  }
}

/**
 * Builds one Go binary with `go install <pkg>@<version>` into `dir` (a tool's cache dir), once across processes: under
 * the build lock, into `<dir>.partial`, published by rename. CGO off; checksum verification (GOSUMDB) stays on, so a
 * module that cannot be verified fails the build. Resolves to the binary's path.
 */
export async function goInstallIntoCache(opts: {
  /** "Temporal CLI 1.5.1": how messages name it. */
  what: string;
  go: string;
  /** `module/path/cmd/x@vX.Y.Z` */
  pkg: string;
  binaryName: string;
  dir: string;
  /** How long it usually takes, for the first-build message ("a few minutes on 2 cores"). */
  expect: string;
  /** What to do when the build fails (the override variable to set instead). */
  hint: string;
  log: Log;
}): Promise<string> {
  const { what, dir, log } = opts;
  const binary = join(dir, opts.binaryName);
  const cached = async (): Promise<string | undefined> => ((await isExecutable(binary)) ? binary : undefined);
  return withBuildLock(lockPathFor(dir), cached, async () => {
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    const logFile = buildLogFile(basename(dir));
    log(`Building ${what} with go install (first time only, ${opts.expect}; log: ${logFile})…`);
    await runToCompletion({
      what,
      command: opts.go,
      args: ['install', opts.pkg],
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: partial },
      cwd: partial,
      logFile,
      log,
      hint: opts.hint,
    });
    if (!(await isExecutable(join(partial, opts.binaryName)))) {
      throw new Error(`${what}: go install succeeded but ${join(partial, opts.binaryName)} is missing; see ${logFile}`);
    }
    await publishDir(partial, dir);
    log(`${what} ready: ${binary}`);
    return binary;
  }, { log, what });
}

// ---------------------------------------------------------------------------------------------------------------------
// Maven

export interface MavenDependency {
  groupId: string;
  artifactId: string;
  version: string;
}

export function dependenciesPom(dependencies: readonly MavenDependency[]): string {
  const deps = dependencies
    .map(
      (d) =>
        `    <dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version></dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.oms-tools</groupId>
  <artifactId>fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

/** Copies the runtime closure of `dependencies` from Maven Central into `outputDir`. */
export async function mavenCopyDependencies(opts: {
  mvn: string;
  what: string;
  dependencies: readonly MavenDependency[];
  outputDir: string;
  logFile: string;
  log: Log;
}): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'oms-tools-mvn-'));
  try {
    await writeFile(join(work, 'pom.xml'), dependenciesPom(opts.dependencies));
    await runToCompletion({
      what: opts.what,
      command: opts.mvn,
      args: [
        '-B',
        '-q',
        '-f',
        join(work, 'pom.xml'),
        'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${opts.outputDir}`,
      ],
      env: process.env,
      cwd: work,
      logFile: opts.logFile,
      log: opts.log,
      hint: 'Maven Central must be reachable (or a mirror configured in ~/.m2/settings.xml).',
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (!(await hasJars(opts.outputDir))) throw new Error(`${opts.what}: Maven copied no jars into ${opts.outputDir}; see ${opts.logFile}`);
}

export async function hasJars(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((f) => f.endsWith('.jar'));
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Executables

/** Env override of a tool path: must exist and be executable, else it is a configuration error worth stopping for. */
export async function envExecutable(name: string): Promise<string | undefined> {
  const value = nonEmpty(process.env[name]);
  if (value === undefined) return undefined;
  const path = resolve(value);
  if (!(await isExecutable(path))) throw new Error(`${name}=${value} is not an executable file`);
  return path;
}

export async function findExecutable(name: string, env: Env = process.env): Promise<string | undefined> {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function requireExecutable(name: string, purpose: string): Promise<string> {
  const found = await findExecutable(name);
  if (found === undefined) throw new Error(`${name} not found on PATH; it is needed to fetch ${purpose}`);
  return found;
}

export async function findJava(): Promise<string | undefined> {
  const home = nonEmpty(process.env['JAVA_HOME']);
  if (home !== undefined && (await isExecutable(join(home, 'bin', 'java')))) return join(home, 'bin', 'java');
  return findExecutable('java');
}

export async function requireJava(): Promise<string> {
  const java = await findJava();
  if (java === undefined) throw new Error('java (17+) not found on PATH or in JAVA_HOME; install a JDK (e.g. apt-get install openjdk-17-jdk-headless)');
  return java;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Small helpers

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

export function formatSeconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
