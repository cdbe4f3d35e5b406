// Runs the local Temporal dev server (`temporal server start-dev`, SQLite, Web UI) bound to 127.0.0.1, and knows
// when it is really usable: gRPC answers and the namespace's custom search attributes are registered.
import { Connection } from '@temporalio/client';
import type { SearchAttributeTypeName } from '../../contracts/temporal';
import type { Log } from '../tools/shared';
import { ensureTemporalCli } from '../tools/temporal-cli';
import { assertPortFree, startManaged } from './processes';

export interface TemporalDevServerOptions {
  port: number;
  /** undefined => --headless */
  uiPort?: number;
  /** undefined => in-memory */
  dbFile?: string;
  namespace: string;
  /** Name → type, as `--search-attribute Name=Type` takes them (contracts/temporal.ts SEARCH_ATTRIBUTES). */
  searchAttributes: Record<string, SearchAttributeTypeName>;
  dynamicConfig?: Record<string, unknown>;
  uiCodecEndpoint?: string;
  logFile: string;
  log: Log;
  /** Default 60 s. */
  readyTimeoutMs?: number;
}

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  /** pid of the CLI process; undefined when the SDK's downloaded server runs it (no internet-free CLI here). */
  pid: number | undefined;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Defaults the caller can override: no call home for a version check (no internet, and it only logs noise).
 * The SDK's own ephemeral server sets the same one.
 */
const DEFAULT_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = { 'frontend.enableServerVersionCheck': false };

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const address = `${HOST}:${opts.port}`;
  // Another server on the port would answer our readiness probe while our own child dies on "address in use".
  await assertPortFree(HOST, opts.port, `Temporal dev server port ${opts.port}`);
  if (opts.uiPort !== undefined) await assertPortFree(HOST, opts.uiPort, `Temporal Web UI port ${opts.uiPort}`);
  const dynamicConfig = { ...DEFAULT_DYNAMIC_CONFIG, ...opts.dynamicConfig };

  const cli = await ensureTemporalCli(opts.log);
  if (cli === undefined) return startViaSdkDownload(opts, address, dynamicConfig);

  const args = temporalDevServerArgs(opts, dynamicConfig);
  const started = Date.now();
  const proc = await startManaged({
    name: 'Temporal dev server',
    command: cli,
    args,
    logFile: opts.logFile,
    graceMs: 10_000,
    ready: {
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      intervalMs: 250,
      probe: () => isTemporalReady(address, opts.namespace, Object.keys(opts.searchAttributes), opts.uiPort),
    },
  });
  opts.log(`Temporal dev server ready on ${address} in ${Date.now() - started} ms (pid ${proc.pid}, log: ${opts.logFile})`);
  return {
    address,
    ...(opts.uiPort !== undefined ? { uiUrl: `http://${HOST}:${opts.uiPort}` } : {}),
    pid: proc.pid,
    stop: () => proc.stop(),
  };
}

/** Command-line of `temporal server start-dev` for these options (flag names checked against CLI v1.5.1 --help). */
export function temporalDevServerArgs(
  opts: Pick<TemporalDevServerOptions, 'port' | 'uiPort' | 'dbFile' | 'namespace' | 'searchAttributes' | 'uiCodecEndpoint'>,
  dynamicConfig: Readonly<Record<string, unknown>>,
): string[] {
  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(opts.port), '--namespace', opts.namespace];
  args.push('--log-level', 'warn', '--log-format', 'text');
  if (opts.uiPort === undefined) args.push('--headless');
  else args.push('--ui-ip', HOST, '--ui-port', String(opts.uiPort));
  if (opts.uiCodecEndpoint !== undefined) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFile !== undefined) args.push('--db-filename', opts.dbFile);
  for (const [name, type] of Object.entries(opts.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

async function isTemporalReady(address: string, namespace: string, attributes: string[], uiPort: number | undefined): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    const res = await connection.operatorService.listSearchAttributes({ namespace });
    const custom = res.customAttributes;
    if (!attributes.every((name) => Object.hasOwn(custom, name))) return false;
  } finally {
    await connection.close();
  }
  if (uiPort !== undefined) {
    const ui = await fetch(`http://${HOST}:${uiPort}/`, { signal: AbortSignal.timeout(2_000) });
    await ui.body?.cancel();
    if (!ui.ok) return false;
  }
  return true;
}

/**
 * No Go toolchain and no cached CLI (e.g. a laptop with internet): let the Temporal SDK download and run the CLI.
 * Its output then goes to this process's stdout/stderr (the SDK does not redirect it), not to `logFile`.
 */
async function startViaSdkDownload(
  opts: TemporalDevServerOptions,
  address: string,
  dynamicConfig: Readonly<Record<string, unknown>>,
): Promise<TemporalDevServer> {
  opts.log('Starting the Temporal dev server through the Temporal SDK (downloads the CLI once; needs internet)…');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const { defineSearchAttributeKey, SearchAttributeType } = await import('@temporalio/common');
  const SDK_TYPES = {
    Keyword: SearchAttributeType.KEYWORD,
    Text: SearchAttributeType.TEXT,
    Int: SearchAttributeType.INT,
    Double: SearchAttributeType.DOUBLE,
    Bool: SearchAttributeType.BOOL,
    Datetime: SearchAttributeType.DATETIME,
    KeywordList: SearchAttributeType.KEYWORD_LIST,
  } as const;
  const extraArgs: string[] = ['--ui-ip', HOST];
  if (opts.uiCodecEndpoint !== undefined) extraArgs.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  for (const [key, value] of Object.entries(dynamicConfig)) extraArgs.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip: HOST,
      port: opts.port,
      namespace: opts.namespace,
      ui: opts.uiPort !== undefined,
      ...(opts.uiPort !== undefined ? { uiPort: opts.uiPort } : {}),
      ...(opts.dbFile !== undefined ? { dbFilename: opts.dbFile } : {}),
      searchAttributes: Object.entries(opts.searchAttributes).map(([name, type]) => defineSearchAttributeKey(name, SDK_TYPES[type])),
      extraArgs,
    },
  }).catch((err: unknown) => {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Temporal dev server: no cached CLI, no Go toolchain to build it, and the Temporal SDK could not start its own (${reason}). ` +
        'Install Go (the CLI is then built once with go install) or set TEMPORAL_CLI_PATH to a temporal binary.',
    );
  });
  return {
    address,
    ...(opts.uiPort !== undefined ? { uiUrl: `http://${HOST}:${opts.uiPort}` } : {}),
    pid: undefined,
    stop: () => env.teardown(),
  };
}
