// Installs and locates the external tools of the local stack (Temporal CLI, Kafka jars, Java time-skipping test server).
// They are cached outside the clone, keyed by version, so fresh clones on the same machine (CI) reuse them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, openSync, closeSync } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { homedir, hostname, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

export const TOOL_VERSIONS = { temporalCli: '1.5.1', kafka: '3.9.1', temporalTestServer: '1.38.0' } as const;

export type Log = (msg: string) => void;

export type TimeSkippingServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

type Env = Readonly<Record<string, string | undefined>>;

/** Directory names inside the cache; the version is part of the name so an upgrade never reuses an old build. */
export const TOOL_DIRS = {
  temporalCli: `temporal-cli-${TOOL_VERSIONS.temporalCli}`,
  kafka: `kafka-${TOOL_VERSIONS.kafka}`,
  temporalTestServer: `temporal-test-server-${TOOL_VERSIONS.temporalTestServer}`,
} as const;

export const TEST_SERVER_WRAPPER = 'temporal-test-server';

/** `${OMS_TOOLS_CACHE:-~/.cache/oms-tools}`, absolute. */
export function toolsCacheDir(env: Env = process.env): string {
  const fromEnv = nonEmpty(env['OMS_TOOLS_CACHE']);
  return fromEnv !== undefined ? resolve(fromEnv) : join(homedir(), '.cache', 'oms-tools');
}

export function toolDir(tool: keyof typeof TOOL_DIRS, env: Env = process.env): string {
  return join(toolsCacheDir(env), TOOL_DIRS[tool]);
}

// ---------------------------------------------------------------------------------------------------------------------
// Temporal CLI

export async function ensureTemporalCli(log: Log): Promise<string | undefined> {
  const override = await envExecutable('TEMPORAL_CLI_PATH');
  if (override !== undefined) return override;

  const dir = toolDir('temporalCli');
  const binary = join(dir, 'temporal');
  const cached = async (): Promise<string | undefined> => ((await isExecutable(binary)) ? binary : undefined);
  const hit = await cached();
  if (hit !== undefined) return hit;

  const go = await findExecutable('go');
  if (go === undefined) {
    log(
      `Temporal CLI ${TOOL_VERSIONS.temporalCli}: not in ${dir} and no Go toolchain on PATH; ` +
        `falling back to the Temporal SDK's download (needs internet). Set TEMPORAL_CLI_PATH to use an installed CLI.`,
    );
    return undefined;
  }

  return withBuildLock(lockPathFor(dir), cached, async () => {
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    const what = `Temporal CLI ${TOOL_VERSIONS.temporalCli}`;
    const logFile = buildLogFile(TOOL_DIRS.temporalCli);
    log(`Building ${what} with go install (first time only, a few minutes on 2 cores; log: ${logFile})…`);
    // Checksum verification (GOSUMDB) stays on: a module that cannot be verified must fail the build.
    await runToCompletion({
      what,
      command: go,
      args: ['install', `github.com/temporalio/cli/cmd/temporal@v${TOOL_VERSIONS.temporalCli}`],
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: partial },
      cwd: partial,
      logFile,
      log,
      hint:
        'If a checksum lookup failed (sum.golang.org unreachable), fix the network or GOPROXY/GOSUMDB settings, or ' +
        'point TEMPORAL_CLI_PATH at an installed temporal binary.',
    });
    if (!(await isExecutable(join(partial, 'temporal')))) {
      throw new Error(`${what}: go install succeeded but ${join(partial, 'temporal')} is missing; see ${logFile}`);
    }
    await publishDir(partial, dir);
    log(`${what} ready: ${binary}`);
    return binary;
  }, { log, what: `Temporal CLI ${TOOL_VERSIONS.temporalCli}` });
}

// ---------------------------------------------------------------------------------------------------------------------
// Kafka

const KAFKA_DEPENDENCIES: readonly MavenDependency[] = [
  { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: TOOL_VERSIONS.kafka },
  // log4j is only a compile-time dependency of Kafka core: the broker needs a logging backend at run time.
  { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' },
  { groupId: 'ch.qos.reload4j', artifactId: 'reload4j', version: '1.2.25' },
];

export async function ensureKafkaLibs(log: Log): Promise<string> {
  const override = nonEmpty(process.env['KAFKA_LIBS_DIR']);
  if (override !== undefined) {
    const dir = resolve(override);
    if (!(await hasJars(dir))) throw new Error(`KAFKA_LIBS_DIR=${override} is not a directory containing .jar files`);
    return dir;
  }

  const dir = toolDir('kafka');
  const cached = async (): Promise<string | undefined> => ((await hasJars(dir)) ? dir : undefined);
  const hit = await cached();
  if (hit !== undefined) return hit;

  const mvn = await requireExecutable('mvn', `Kafka ${TOOL_VERSIONS.kafka} jars (or set KAFKA_LIBS_DIR)`);
  return withBuildLock(lockPathFor(dir), cached, async () => {
    const what = `Kafka ${TOOL_VERSIONS.kafka} jars`;
    const partial = `${dir}.partial`;
    const logFile = buildLogFile(TOOL_DIRS.kafka);
    log(`Fetching ${what} from Maven Central (first time only, about a minute; log: ${logFile})…`);
    await rm(partial, { recursive: true, force: true });
    await mavenCopyDependencies({ mvn, what, dependencies: KAFKA_DEPENDENCIES, outputDir: partial, logFile, log });
    await publishDir(partial, dir);
    log(`${what} ready: ${dir}`);
    return dir;
  }, { log, what: `Kafka ${TOOL_VERSIONS.kafka} jars` });
}

// ---------------------------------------------------------------------------------------------------------------------
// Time-skipping test server

/**
 * JVM flags for the time-skipping test server. The Temporal SDK gives it only ~5 s to open its port, so start-up
 * matters more than peak speed: C1 only, serial GC, small heap, no perf-data file, and an AppCDS archive (added by
 * the wrapper when present) so most classes are mapped instead of parsed.
 */
export const TEST_SERVER_JVM_FLAGS = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
  '-Xms64m',
  '-Xmx512m',
  '-Xss512k',
  '-XX:-UsePerfData',
  '-Djava.awt.headless=true',
] as const;

const TEST_SERVER_MAIN = 'io.temporal.testserver.TestServer';

export async function ensureTimeSkippingServer(log: Log): Promise<TimeSkippingServerExecutable> {
  const override = await envExecutable('TEMPORAL_TEST_SERVER_PATH');
  if (override !== undefined) return { type: 'existing-path', path: override };

  const dir = toolDir('temporalTestServer');
  const wrapper = join(dir, TEST_SERVER_WRAPPER);
  const java = await findJava();
  if (java === undefined) {
    log(
      `Time-skipping test server ${TOOL_VERSIONS.temporalTestServer}: no java on PATH/JAVA_HOME; ` +
        `falling back to the Temporal SDK's download (needs internet).`,
    );
    return { type: 'cached-download' };
  }
  const javaId = await javaIdentity(java);
  // The wrapper is written last, with a stamp of the JVM it (and its CDS archive) was made for: a JDK upgrade
  // invalidates the archive, so the wrapper is regenerated rather than silently starting slowly.
  const cached = async (): Promise<TimeSkippingServerExecutable | undefined> =>
    (await isExecutable(wrapper)) && (await readText(join(dir, 'java.stamp'))) === javaId
      ? { type: 'existing-path', path: wrapper }
      : undefined;
  const hit = await cached();
  if (hit !== undefined) return hit;

  const libsDir = join(dir, 'libs');
  const mvn = await findExecutable('mvn');
  if (mvn === undefined && !(await hasJars(libsDir))) {
    log(
      `Time-skipping test server ${TOOL_VERSIONS.temporalTestServer}: not in ${dir} and no mvn on PATH; ` +
        `falling back to the Temporal SDK's download (needs internet).`,
    );
    return { type: 'cached-download' };
  }

  return withBuildLock(lockPathFor(dir), cached, async () => {
    const what = `Temporal time-skipping test server ${TOOL_VERSIONS.temporalTestServer}`;
    const logFile = buildLogFile(TOOL_DIRS.temporalTestServer);
    if (!(await hasJars(libsDir))) {
      if (mvn === undefined) throw new Error(`${what}: mvn disappeared from PATH`);
      const partial = `${dir}.partial`;
      log(`Fetching ${what} from Maven Central (first time only, about a minute; log: ${logFile})…`);
      await rm(partial, { recursive: true, force: true });
      await mavenCopyDependencies({
        mvn,
        what,
        dependencies: [
          { groupId: 'io.temporal', artifactId: 'temporal-test-server', version: TOOL_VERSIONS.temporalTestServer },
          // Its slf4j has no binding and would print a 3-line warning on every start inside test output.
          { groupId: 'org.slf4j', artifactId: 'slf4j-nop', version: '1.7.36' },
        ],
        outputDir: join(partial, 'libs'),
        logFile,
        log,
      });
      await publishDir(partial, dir);
    }
    // The CDS archive records the absolute class path, so it is made after the jars are at their final place.
    log(`${what}: creating a class-data-sharing archive so the JVM starts within the SDK's 5 s (once)…`);
    const archive = join(dir, 'app-cds.jsa');
    const made = await createCdsArchive({ java, libsDir, archive, logFile });
    if (!made.ok) log(`${what}: CDS archive not created (${made.reason}); the server will start without it.`);
    await writeFileAtomic(join(dir, 'java.stamp'), javaId);
    await writeFileAtomic(wrapper, testServerWrapperScript({ java, libsDir, archive: made.ok ? archive : undefined }), 0o755);
    log(`${what} ready: ${wrapper}`);
    return { type: 'existing-path', path: wrapper };
  }, { log, what: `Temporal time-skipping test server ${TOOL_VERSIONS.temporalTestServer}` });
}

export function testServerWrapperScript(opts: { java: string; libsDir: string; archive: string | undefined }): string {
  const flags: string[] = [...TEST_SERVER_JVM_FLAGS];
  if (opts.archive !== undefined) flags.unshift(`-XX:SharedArchiveFile=${opts.archive}`, '-Xshare:auto');
  return [
    '#!/bin/sh',
    `# Generated by src/devstack/tools.ts: Temporal time-skipping test server ${TOOL_VERSIONS.temporalTestServer}.`,
    '# exec, so that the SDK killing this pid kills the JVM itself. Usage: temporal-test-server <port>',
    `exec ${shQuote(opts.java)} ${flags.map(shQuote).join(' ')} -cp ${shQuote(join(opts.libsDir, '*'))} ${TEST_SERVER_MAIN} "$@"`,
    '',
  ].join('\n');
}

/** Runs the server once with -XX:ArchiveClassesAtExit, waits for its port plus one gRPC call, then stops it (SIGTERM → dump). */
async function createCdsArchive(opts: {
  java: string;
  libsDir: string;
  archive: string;
  logFile: string;
}): Promise<{ ok: true } | { ok: false; reason: string }> {
  const tmp = `${opts.archive}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  const port = await freePort();
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(
    opts.java,
    [`-XX:ArchiveClassesAtExit=${tmp}`, ...TEST_SERVER_JVM_FLAGS, '-cp', join(opts.libsDir, '*'), TEST_SERVER_MAIN, String(port)],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  try {
    const deadline = Date.now() + 120_000;
    while (!(await canConnect(port))) {
      if (exitedEarly) return { ok: false, reason: `training run exited early, see ${opts.logFile}` };
      if (Date.now() > deadline) return { ok: false, reason: 'training run did not open its port within 120 s' };
      await sleep(100);
    }
    // The SDK's readiness check is a gRPC connect; doing one here puts the gRPC/Netty request path into the archive.
    await grpcWarmUp(port).catch(() => undefined);
  } finally {
    if (!exitedEarly) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }
  if (!(await exists(tmp))) return { ok: false, reason: `JVM wrote no archive, see ${opts.logFile}` };
  await rename(tmp, opts.archive);
  return { ok: true };
}

async function grpcWarmUp(port: number): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 10_000 });
  try {
    await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
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

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

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

async function mavenCopyDependencies(opts: {
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

/** Runs a build command with output in a log file, printing a heartbeat so a minutes-long first build is not silent. */
async function runToCompletion(opts: {
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
  const fd = openSync(opts.logFile, 'a');
  const started = Date.now();
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const progress = setInterval(() => {
    opts.log(`${opts.what}: still working (${formatSeconds(Date.now() - started)} so far; log: ${opts.logFile})…`);
  }, 30_000);
  progress.unref();
  // A build must not outlive an interrupted `npm start`; the lock it leaves behind is then seen as stale.
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  try {
    const code = await new Promise<number | null>((res, rej) => {
      child.once('error', rej);
      child.once('exit', (c, signal) => res(c ?? (signal !== null ? -1 : null)));
    });
    if (code !== 0) {
      const tail = await tailOf(opts.logFile, 30);
      throw new Error(`${opts.what}: \`${opts.command} ${opts.args.join(' ')}\` exited with ${String(code)}. ${opts.hint}\n--- ${opts.logFile} (tail) ---\n${tail}`);
    }
  } finally {
    clearInterval(progress);
    process.removeListener('exit', onExit);
  }
}

/** Atomic publish: the final directory appears complete or not at all. A concurrent winner's copy is kept. */
async function publishDir(partial: string, final: string): Promise<void> {
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

async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

function buildLogFile(toolDirName: string): string {
  return join(toolsCacheDir(), 'logs', `${toolDirName}.log`);
}

/** Env override of a tool path: must exist and be executable, else it is a configuration error worth stopping for. */
async function envExecutable(name: string): Promise<string | undefined> {
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

async function findJava(): Promise<string | undefined> {
  const home = nonEmpty(process.env['JAVA_HOME']);
  if (home !== undefined && (await isExecutable(join(home, 'bin', 'java')))) return join(home, 'bin', 'java');
  return findExecutable('java');
}

export async function requireJava(): Promise<string> {
  const java = await findJava();
  if (java === undefined) throw new Error('java (17+) not found on PATH or in JAVA_HOME; install a JDK (e.g. apt-get install openjdk-17-jdk-headless)');
  return java;
}

async function requireExecutable(name: string, purpose: string): Promise<string> {
  const found = await findExecutable(name);
  if (found === undefined) throw new Error(`${name} not found on PATH; it is needed to fetch ${purpose}`);
  return found;
}

/** Cheap fingerprint of the JVM (real path + size/mtime of the binary and libjvm): no JVM start needed to compare. */
export async function javaIdentity(java: string): Promise<string> {
  const real = await realpath(java);
  const parts = [real];
  for (const file of [real, join(dirname(dirname(real)), 'lib', 'server', 'libjvm.so')]) {
    try {
      const s = await stat(file);
      parts.push(`${s.size}:${Math.trunc(s.mtimeMs)}`);
    } catch {
      parts.push('-');
    }
  }
  return parts.join('|');
}

async function hasJars(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((f) => f.endsWith('.jar'));
  } catch {
    return false;
  }
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function tailOf(file: string, lines: number): Promise<string> {
  const text = (await readText(file)) ?? '';
  return text.split('\n').slice(-lines - 1).join('\n');
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => res(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      res(true);
    });
    socket.once('error', () => res(false));
  });
}

function shQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

export function formatSeconds(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
