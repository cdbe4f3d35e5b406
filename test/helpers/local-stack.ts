// Boots the real local stack exactly as a user does (`npm start [-- --workers N]`), on free ports and a fresh data dir,
// and stops it by its pid. Everything the tests then do goes through the contract: HTTP, Kafka and the environment,
// plus the process list `npm start` keeps for operators (which pid is the gateway, which are the workers).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../../dev/stack/free-port';
import { readStackProcesses, type StackProcesses } from '../../dev/stack/stack-processes';

export interface LocalStack {
  gatewayUrl: string;
  kafkaBrokers: string[];
  temporalAddress: string;
  /** The Temporal Web UI of the dev server (OMS_DEV_TEMPORAL_UI_PORT). */
  temporalUiUrl: string;
  /** The dev codec token relay the Web UI is pointed at (OMS_DEV_CODEC_RELAY_PORT): `http://127.0.0.1:<port>/codec`. */
  codecRelayUrl: string;
  /** Worker 1's metrics; the others' are in processes(). */
  workerMetricsUrl: string;
  env: Record<string, string>;
  /** `.data` of this stack (OMS_DATA_DIR). */
  dataDir: string;
  /** Which pid runs what right now (`.data/processes.json`, rewritten after every restart). */
  processes(): Promise<StackProcesses>;
  output(): string;
  stop(): Promise<void>;
}

const READY_LINE = 'OMS Processing is ready';

export interface LocalStackOptions {
  /** The command line after `npm start --`, e.g. ['--workers', '2']. */
  args?: readonly string[];
  readyTimeoutMs?: number;
  /**
   * Start on the data dir of an earlier stack (its Temporal SQLite file, Kafka log and store), as a user restarting
   * `npm start` does; that stack must have been stopped with keepDataDir. Default: a fresh one.
   */
  dataDir?: string;
  /** Leave the data dir in place at stop, for a later stack to start on. */
  keepDataDir?: boolean;
}

export async function startLocalStack(extraEnv: Record<string, string>, options: LocalStackOptions = {}): Promise<LocalStack> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 25 * 60_000;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'oms-e2e-')));
  const [gateway, temporal, temporalUi, kafka, kafkaController, workerMetrics, codecRelay] = await Promise.all([
    freeLoopbackPort(),
    freeLoopbackPort(),
    freeLoopbackPort(),
    freeLoopbackPort(),
    freeLoopbackPort(),
    freeLoopbackPort(),
    freeLoopbackPort(),
  ]);
  const env: Record<string, string> = {
    PORT: String(gateway),
    OMS_DATA_DIR: dataDir,
    OMS_DEV_TEMPORAL_PORT: String(temporal),
    OMS_DEV_TEMPORAL_UI_PORT: String(temporalUi),
    OMS_DEV_KAFKA_PORT: String(kafka),
    OMS_DEV_KAFKA_CONTROLLER_PORT: String(kafkaController),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetrics}`,
    OMS_DEV_CODEC_RELAY_PORT: String(codecRelay),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'dev/stack/start.ts', ...(options.args ?? [])], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not ready is not left running: npm start stops its children on SIGINT.
      if (child.exitCode === null) child.kill('SIGINT');
      reject(new Error(`the stack was not ready in ${readyTimeoutMs} ms:\n${output}`));
    }, readyTimeoutMs);
    const check = () => {
      if (output.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before it was ready:\n${output}`));
    });
  });

  return {
    // From the env the stack got: a caller's own ports (a restart on an earlier stack's env) win over the free ones.
    gatewayUrl: `http://127.0.0.1:${env.PORT}`,
    kafkaBrokers: [`127.0.0.1:${env.OMS_DEV_KAFKA_PORT}`],
    temporalAddress: `127.0.0.1:${env.OMS_DEV_TEMPORAL_PORT}`,
    temporalUiUrl: `http://127.0.0.1:${env.OMS_DEV_TEMPORAL_UI_PORT}`,
    codecRelayUrl: `http://127.0.0.1:${env.OMS_DEV_CODEC_RELAY_PORT}/codec`,
    workerMetricsUrl: `http://${env.WORKER_METRICS_ADDRESS}/metrics`,
    env,
    dataDir,
    processes: () => readStackProcesses(dataDir),
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const code = await exited;
      if (!options.keepDataDir) await rm(dataDir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`npm start stopped with exit code ${code}:\n${output.slice(-4000)}`);
    },
  };
}
