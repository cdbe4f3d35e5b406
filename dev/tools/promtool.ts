// Prometheus's promtool (checks and unit-tests ops/prometheus/oms-alerts.yml) and the Prometheus server (the chaos
// run's alert evaluation, dev/chaos/prometheus.ts): PROMTOOL_PATH / PROMETHEUS_PATH, else the cached build, else built
// once from source with `go install` into the tools cache. Without Go, ensure… fails naming what to install.
import { join } from 'node:path';
import { envExecutable, findExecutable, goInstallIntoCache, isExecutable, toolsCacheDir, type Env, type Log } from './shared';

/** One module version for both binaries, so the second build reuses the first one's compiled packages. */
export const PROMETHEUS_VERSION = '0.316.0';

type PrometheusTool = 'promtool' | 'prometheus';

const ENV_OVERRIDE: Record<PrometheusTool, string> = { promtool: 'PROMTOOL_PATH', prometheus: 'PROMETHEUS_PATH' };

function dirName(tool: PrometheusTool): string {
  return `${tool}-${PROMETHEUS_VERSION}`;
}

/** Where the cached binary is (or would be): `<cache>/<tool>-<version>/<tool>`. */
export function cachedBinaryPath(tool: PrometheusTool, env: Env = process.env): string {
  return join(toolsCacheDir(env), dirName(tool), tool);
}

/** The env override or the cached binary, without building: for tests, which must not start a minutes-long build. */
export async function findPrometheusTool(tool: PrometheusTool): Promise<string | undefined> {
  const override = await envExecutable(ENV_OVERRIDE[tool]);
  if (override !== undefined) return override;
  const binary = cachedBinaryPath(tool);
  return (await isExecutable(binary)) ? binary : undefined;
}

export function ensurePromtool(log: Log): Promise<string> {
  return ensurePrometheusTool('promtool', log);
}

export function ensurePrometheus(log: Log): Promise<string> {
  return ensurePrometheusTool('prometheus', log);
}

async function ensurePrometheusTool(tool: PrometheusTool, log: Log): Promise<string> {
  const found = await findPrometheusTool(tool);
  if (found !== undefined) return found;

  const what = `${tool} ${PROMETHEUS_VERSION}`;
  const dir = join(toolsCacheDir(), dirName(tool));
  const go = await findExecutable('go');
  if (go === undefined) {
    throw new Error(`${what}: not in ${dir} and no Go toolchain on PATH; install Go or set ${ENV_OVERRIDE[tool]}`);
  }
  // No `builtinassets` tag: the server's web UI is not needed (its HTTP API is), and the tag would need the UI's
  // compiled assets in the module.
  return goInstallIntoCache({
    what,
    go,
    pkg: `github.com/prometheus/prometheus/cmd/${tool}@v${PROMETHEUS_VERSION}`,
    binaryName: tool,
    dir,
    expect: 'minutes on 2 cores',
    hint:
      'If a checksum lookup failed (sum.golang.org unreachable), fix the network or GOPROXY/GOSUMDB settings, or ' +
      `point ${ENV_OVERRIDE[tool]} at an installed ${tool} binary.`,
    log,
  });
}
