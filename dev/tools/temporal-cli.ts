// The Temporal CLI (`temporal server start-dev` runs the local Temporal): TEMPORAL_CLI_PATH, else the cached build,
// else built once from source with `go install`; without Go, undefined, and the Temporal SDK downloads it instead.
import { join } from 'node:path';
import { envExecutable, findExecutable, goInstallIntoCache, isExecutable, toolDir, TOOL_VERSIONS, type Log } from './shared';

export async function ensureTemporalCli(log: Log): Promise<string | undefined> {
  const override = await envExecutable('TEMPORAL_CLI_PATH');
  if (override !== undefined) return override;

  const dir = toolDir('temporalCli');
  const binary = join(dir, 'temporal');
  if (await isExecutable(binary)) return binary;

  const go = await findExecutable('go');
  if (go === undefined) {
    log(
      `Temporal CLI ${TOOL_VERSIONS.temporalCli}: not in ${dir} and no Go toolchain on PATH; ` +
        `falling back to the Temporal SDK's download (needs internet). Set TEMPORAL_CLI_PATH to use an installed CLI.`,
    );
    return undefined;
  }

  return goInstallIntoCache({
    what: `Temporal CLI ${TOOL_VERSIONS.temporalCli}`,
    go,
    pkg: `github.com/temporalio/cli/cmd/temporal@v${TOOL_VERSIONS.temporalCli}`,
    binaryName: 'temporal',
    dir,
    expect: 'a few minutes on 2 cores',
    hint:
      'If a checksum lookup failed (sum.golang.org unreachable), fix the network or GOPROXY/GOSUMDB settings, or ' +
      'point TEMPORAL_CLI_PATH at an installed temporal binary.',
    log,
  });
}
