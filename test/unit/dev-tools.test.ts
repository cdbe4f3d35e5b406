// Unit tests of the tool installers' pure parts (dev/tools): cache location, env-override precedence, build lock,
// generated files. No builds and no servers: fake executables in temp dirs stand in for the real tools.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureKafkaLibs } from '../../dev/tools/kafka-jars';
import {
  dependenciesPom,
  inspectLock,
  lockPathFor,
  toolDir,
  toolsCacheDir,
  tryAcquireLock,
  withBuildLock,
  TOOL_VERSIONS,
} from '../../dev/tools/shared';
import { ensureTemporalCli } from '../../dev/tools/temporal-cli';
import { ensureTimeSkippingServer, javaIdentity, testServerWrapperScript } from '../../dev/tools/time-skipping-server';

const ENV_KEYS = ['OMS_TOOLS_CACHE', 'TEMPORAL_CLI_PATH', 'KAFKA_LIBS_DIR', 'TEMPORAL_TEST_SERVER_PATH', 'PATH', 'JAVA_HOME'] as const;

let tmp: string;
let emptyBin: string;
let saved: Partial<Record<(typeof ENV_KEYS)[number], string | undefined>>;
let messages: string[];
const log = (m: string): void => void messages.push(m);

beforeEach(async () => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  tmp = await mkdtemp(join(tmpdir(), 'oms-tools-test-'));
  emptyBin = join(tmp, 'empty-bin');
  await mkdir(emptyBin);
  process.env['OMS_TOOLS_CACHE'] = join(tmp, 'cache');
  for (const k of ['TEMPORAL_CLI_PATH', 'KAFKA_LIBS_DIR', 'TEMPORAL_TEST_SERVER_PATH', 'JAVA_HOME'] as const) delete process.env[k];
  // No go/java/mvn: any attempt to build would show up as a fallback or an error, never as a minutes-long build.
  process.env['PATH'] = emptyBin;
  messages = [];
});

afterEach(async () => {
  for (const k of ENV_KEYS) {
    const value = saved[k];
    if (value === undefined) delete process.env[k];
    else process.env[k] = value;
  }
  await rm(tmp, { recursive: true, force: true });
});

async function fakeExecutable(path: string, body = 'exit 0'): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((res) => child.once('exit', res));
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

describe('toolsCacheDir', () => {
  it('defaults to ~/.cache/oms-tools', () => {
    expect(toolsCacheDir({})).toBe(join(homedir(), '.cache', 'oms-tools'));
    expect(toolsCacheDir({ OMS_TOOLS_CACHE: '  ' })).toBe(join(homedir(), '.cache', 'oms-tools'));
  });

  it('honours OMS_TOOLS_CACHE and makes it absolute', () => {
    expect(toolsCacheDir({ OMS_TOOLS_CACHE: '/opt/tools' })).toBe('/opt/tools');
    expect(toolsCacheDir({ OMS_TOOLS_CACHE: 'rel/tools' })).toBe(join(process.cwd(), 'rel/tools'));
  });

  it('keys every tool directory by its version', () => {
    expect(toolDir('temporalCli')).toBe(join(tmp, 'cache', `temporal-cli-${TOOL_VERSIONS.temporalCli}`));
    expect(toolDir('kafka')).toBe(join(tmp, 'cache', `kafka-${TOOL_VERSIONS.kafka}`));
    expect(toolDir('temporalTestServer')).toBe(join(tmp, 'cache', `temporal-test-server-${TOOL_VERSIONS.temporalTestServer}`));
  });
});

describe('ensureTemporalCli', () => {
  it('prefers TEMPORAL_CLI_PATH over the cache', async () => {
    await fakeExecutable(join(toolDir('temporalCli'), 'temporal'));
    const own = await fakeExecutable(join(tmp, 'own', 'temporal'));
    process.env['TEMPORAL_CLI_PATH'] = own;
    expect(await ensureTemporalCli(log)).toBe(own);
  });

  it('rejects a TEMPORAL_CLI_PATH that is not an executable', async () => {
    process.env['TEMPORAL_CLI_PATH'] = join(tmp, 'missing');
    await expect(ensureTemporalCli(log)).rejects.toThrow(/TEMPORAL_CLI_PATH/);
  });

  it('uses the cached build', async () => {
    const cached = await fakeExecutable(join(toolDir('temporalCli'), 'temporal'));
    expect(await ensureTemporalCli(log)).toBe(cached);
    expect(messages).toEqual([]);
  });

  it('ignores a half-built .partial directory and, without Go, leaves it to the SDK download', async () => {
    await fakeExecutable(join(`${toolDir('temporalCli')}.partial`, 'temporal'));
    expect(await ensureTemporalCli(log)).toBeUndefined();
    expect(messages.join('\n')).toMatch(/no Go toolchain.*SDK/s);
  });

  it('builds with go install into the cache, once', async () => {
    // A stand-in for `go install`: writes the binary into $GOBIN, as the real one does.
    await fakeExecutable(join(emptyBin, 'go'), 'printf "#!/bin/sh\\n" > "$GOBIN/temporal" && /bin/chmod +x "$GOBIN/temporal"');
    const binary = join(toolDir('temporalCli'), 'temporal');
    expect(await ensureTemporalCli(log)).toBe(binary);
    expect(messages.join('\n')).toMatch(/ready: /);
    await expect(stat(lockPathFor(toolDir('temporalCli')))).rejects.toThrow(); // released
    await rm(join(emptyBin, 'go'));
    expect(await ensureTemporalCli(log)).toBe(binary);
  });

  it('fails a broken build with its exit status and the log tail, and releases the lock', async () => {
    await fakeExecutable(join(emptyBin, 'go'), 'echo "verifying module: checksum mismatch"; exit 3');
    await expect(ensureTemporalCli(log)).rejects.toThrow(/failed \(exit code 3\)[^]*checksum mismatch/);
    await expect(stat(lockPathFor(toolDir('temporalCli')))).rejects.toThrow();
    await expect(stat(`${toolDir('temporalCli')}.partial`)).resolves.toBeDefined(); // never published
    await expect(stat(toolDir('temporalCli'))).rejects.toThrow();
  });
});

describe('ensureKafkaLibs', () => {
  it('prefers KAFKA_LIBS_DIR, then the cache', async () => {
    await mkdir(toolDir('kafka'), { recursive: true });
    await writeFile(join(toolDir('kafka'), 'kafka_2.13-3.9.1.jar'), '');
    expect(await ensureKafkaLibs(log)).toBe(toolDir('kafka'));
    const own = join(tmp, 'own-libs');
    await mkdir(own);
    await writeFile(join(own, 'kafka-clients.jar'), '');
    process.env['KAFKA_LIBS_DIR'] = own;
    expect(await ensureKafkaLibs(log)).toBe(own);
  });

  it('rejects a KAFKA_LIBS_DIR without jars', async () => {
    process.env['KAFKA_LIBS_DIR'] = tmp;
    await expect(ensureKafkaLibs(log)).rejects.toThrow(/KAFKA_LIBS_DIR/);
  });

  it('names the missing Maven when it has to fetch', async () => {
    await expect(ensureKafkaLibs(log)).rejects.toThrow(/mvn not found/);
  });
});

describe('ensureTimeSkippingServer', () => {
  it('prefers TEMPORAL_TEST_SERVER_PATH', async () => {
    const own = await fakeExecutable(join(tmp, 'own', 'temporal-test-server'));
    process.env['TEMPORAL_TEST_SERVER_PATH'] = own;
    expect(await ensureTimeSkippingServer(log)).toEqual({ type: 'existing-path', path: own });
  });

  it('falls back to the SDK download without java', async () => {
    expect(await ensureTimeSkippingServer(log)).toEqual({ type: 'cached-download' });
  });

  it('uses the cached wrapper only while it was made for the current JVM', async () => {
    const java = await fakeExecutable(join(tmp, 'jdk', 'bin', 'java'));
    process.env['JAVA_HOME'] = join(tmp, 'jdk');
    const wrapper = await fakeExecutable(join(toolDir('temporalTestServer'), 'temporal-test-server'));
    await writeFile(join(toolDir('temporalTestServer'), 'java.stamp'), await javaIdentity(java));
    expect(await ensureTimeSkippingServer(log)).toEqual({ type: 'existing-path', path: wrapper });

    // Another JVM (e.g. a JDK upgrade): the CDS archive would not match, so the wrapper is not trusted; with no
    // jars and no mvn this ends at the SDK's download.
    await writeFile(join(toolDir('temporalTestServer'), 'java.stamp'), 'some other jvm');
    expect(await ensureTimeSkippingServer(log)).toEqual({ type: 'cached-download' });
  });

  it('writes a wrapper that execs the JVM with the archive and forwards the port', () => {
    const script = testServerWrapperScript({ java: '/usr/bin/java', libsDir: '/c/libs', archive: '/c/app-cds.jsa' });
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toMatch(/^exec \/usr\/bin\/java -XX:SharedArchiveFile=\/c\/app-cds.jsa .*-cp '\/c\/libs\/\*' io\.temporal\.testserver\.TestServer "\$@"$/m);
    expect(script).toContain('-XX:TieredStopAtLevel=1');
    expect(testServerWrapperScript({ java: '/usr/bin/java', libsDir: '/c/libs', archive: undefined })).not.toContain('SharedArchiveFile');
  });
});

describe('build lock', () => {
  it('is exclusive', async () => {
    const lock = lockPathFor(join(tmp, 'tool-1'));
    expect(await tryAcquireLock(lock)).toBe(true);
    expect(await tryAcquireLock(lock)).toBe(false);
    expect(await inspectLock(lock, 60_000)).toMatchObject({ kind: 'held', owner: { pid: process.pid } });
  });

  it('is stale when its owner died or its heartbeat stopped', async () => {
    const lock = join(tmp, 'tool.lock');
    await mkdir(lock);
    await writeFile(join(lock, 'owner.json'), JSON.stringify({ pid: await deadPid(), host: hostname(), since: '' }));
    expect(await inspectLock(lock, 60_000)).toMatchObject({ kind: 'stale', reason: expect.stringMatching(/is gone/) });

    const old = join(tmp, 'old.lock');
    await mkdir(old);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(old, longAgo, longAgo);
    expect(await inspectLock(old, 60_000)).toMatchObject({ kind: 'stale', reason: expect.stringMatching(/no heartbeat/) });
    expect(await inspectLock(join(tmp, 'none.lock'), 60_000)).toEqual({ kind: 'free' });
  });

  it('runs one build for concurrent callers and hands everyone its result', async () => {
    const lock = join(tmp, 'tool.lock');
    let published: string | undefined;
    let builds = 0;
    const build = async (): Promise<string> => {
      builds++;
      await new Promise((res) => setTimeout(res, 100));
      published = 'built';
      return published;
    };
    const done = (): Promise<string | undefined> => Promise.resolve(published);
    const results = await Promise.all([1, 2, 3].map(() => withBuildLock(lock, done, build, { pollMs: 10 })));
    expect(results).toEqual(['built', 'built', 'built']);
    expect(builds).toBe(1);
    await expect(stat(lock)).rejects.toThrow(); // released
  });

  it('takes over a lock left by a dead builder, and releases it when the build fails', async () => {
    const lock = join(tmp, 'tool.lock');
    await mkdir(lock);
    await writeFile(join(lock, 'owner.json'), JSON.stringify({ pid: await deadPid(), host: hostname(), since: '' }));
    const result = await withBuildLock(lock, () => Promise.resolve(undefined), () => Promise.resolve('rebuilt'), { log, pollMs: 10 });
    expect(result).toBe('rebuilt');
    expect(messages.join('\n')).toMatch(/stale build lock/);

    await expect(withBuildLock(lock, () => Promise.resolve(undefined), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(stat(lock)).rejects.toThrow();
  });
});

describe('Maven fetch', () => {
  it('fetches exactly the given artifacts with Maven', () => {
    const pom = dependenciesPom([{ groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: '3.9.1' }]);
    expect(pom).toContain('<groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>3.9.1</version>');
    expect(pom).toContain('<packaging>pom</packaging>');
  });
});
