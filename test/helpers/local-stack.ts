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
}

export async function startLocalStack(extraEnv: Record<string, string>, options: LocalStackOptions = {}): Promise<LocalStack> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 25 * 60_000;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'oms-e2e-'));
  const [gateway, temporal, temporalUi, kafka, kafkaController, workerMetrics] = await Promise.all([
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
    const timer = setTimeout(() => reject(new Error(`the stack was not ready in ${readyTimeoutMs} ms:\n${output}`)), readyTimeoutMs);
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
    gatewayUrl: `http://127.0.0.1:${gateway}`,
    kafkaBrokers: [`127.0.0.1:${kafka}`],
    temporalAddress: `127.0.0.1:${temporal}`,
    workerMetricsUrl: `http://127.0.0.1:${workerMetrics}/metrics`,
    env,
    dataDir,
    processes: () => readStackProcesses(dataDir),
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const code = await exited;
      await rm(dataDir, { recursive: true, force: true });
      if (code !== 0) throw new Error(`npm start stopped with exit code ${code}:\n${output.slice(-4000)}`);
    },
  };
}
