// The Java time-skipping test server of the workflow tests: TEMPORAL_TEST_SERVER_PATH, else a cached wrapper script
// made for the current JVM, else its jars fetched once from Maven Central plus a JVM class-data-sharing (AppCDS)
// archive so that it starts within the SDK's 5 s; without java (or without mvn and jars), the Temporal SDK's download.
import { rename, realpath, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { freeLoopbackPort } from '../stack/free-port';
import { acceptsConnections, spawnManaged, waitUntilReady } from '../stack/processes';
import {
  buildLogFile,
  envExecutable,
  exists,
  findExecutable,
  findJava,
  hasJars,
  isExecutable,
  lockPathFor,
  mavenCopyDependencies,
  publishDir,
  readText,
  toolDir,
  TOOL_DIRS,
  TOOL_VERSIONS,
  withBuildLock,
  writeFileAtomic,
  type Log,
} from './shared';

export type TimeSkippingServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

const TEST_SERVER_WRAPPER = 'temporal-test-server';

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

  const what = `Temporal time-skipping test server ${TOOL_VERSIONS.temporalTestServer}`;
  return withBuildLock(lockPathFor(dir), cached, async () => {
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
  }, { log, what });
}

export function testServerWrapperScript(opts: { java: string; libsDir: string; archive: string | undefined }): string {
  const flags: string[] = [...TEST_SERVER_JVM_FLAGS];
  if (opts.archive !== undefined) flags.unshift(`-XX:SharedArchiveFile=${opts.archive}`, '-Xshare:auto');
  return [
    '#!/bin/sh',
    `# Generated by dev/tools/time-skipping-server.ts: Temporal time-skipping test server ${TOOL_VERSIONS.temporalTestServer}.`,
    '# exec, so that the SDK killing this pid kills the JVM itself. Usage: temporal-test-server <port>',
    `exec ${shQuote(opts.java)} ${flags.map(shQuote).join(' ')} -cp ${shQuote(join(opts.libsDir, '*'))} ${TEST_SERVER_MAIN} "$@"`,
    '',
  ].join('\n');
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

/** Runs the server once with -XX:ArchiveClassesAtExit, waits for its port plus one gRPC call, then stops it (SIGTERM → dump). */
async function createCdsArchive(opts: {
  java: string;
  libsDir: string;
  archive: string;
  logFile: string;
}): Promise<{ ok: true } | { ok: false; reason: string }> {
  const tmp = `${opts.archive}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  const port = await freeLoopbackPort();
  const training = spawnManaged({
    name: 'time-skipping test server (CDS training run)',
    command: opts.java,
    args: [`-XX:ArchiveClassesAtExit=${tmp}`, ...TEST_SERVER_JVM_FLAGS, '-cp', join(opts.libsDir, '*'), TEST_SERVER_MAIN, String(port)],
    logFile: opts.logFile,
    // The JVM writes the archive on its way out after SIGTERM; SIGKILL only if that hangs.
    graceMs: 60_000,
  });
  try {
    await waitUntilReady(training, { probe: () => acceptsConnections('127.0.0.1', port), timeoutMs: 120_000, intervalMs: 100 });
    // The SDK's readiness check is a gRPC connect; doing one here puts the gRPC/Netty request path into the archive.
    await grpcWarmUp(port).catch(() => undefined);
  } catch {
    return training.exitInfo() !== undefined
      ? { ok: false, reason: `training run exited early, see ${opts.logFile}` }
      : { ok: false, reason: 'training run did not open its port within 120 s' };
  } finally {
    await training.stop();
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

function shQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
