// The Temporal CLI (`temporal server start-dev` runs the local Temporal): TEMPORAL_CLI_PATH, else the cached build,
// else built once from source with `go install`; without Go, undefined, and the Temporal SDK downloads it instead.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildLogFile,
  envExecutable,
  findExecutable,
  isExecutable,
  lockPathFor,
  publishDir,
  runToCompletion,
  toolDir,
  TOOL_DIRS,
  TOOL_VERSIONS,
  withBuildLock,
  type Log,
} from './shared';

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

  const what = `Temporal CLI ${TOOL_VERSIONS.temporalCli}`;
  return withBuildLock(lockPathFor(dir), cached, async () => {
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
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
  }, { log, what });
}
