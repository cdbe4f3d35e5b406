// The stack of a chaos run: the infrastructure the run must be able to break (Temporal dev server on a SQLite file,
// the Kafka broker, the dashboard store behind a fault proxy) started here, and `npm start -- --workers N` given
// their addresses so that it runs only the gateway and the workers. Everything is stopped by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../contracts';
import { freeLoopbackPort } from '../stack/free-port';
import { startKafkaBroker, type KafkaBroker } from '../stack/kafka-broker';
import { isPidAlive, sleep } from '../stack/processes';
import { startSharedStore, type SharedStore } from '../stack/shared-store';
import { readStackProcesses, type StackProcesses } from '../stack/stack-processes';
import { startTemporalDevServer, type TemporalDevServer } from '../stack/temporal-dev-server';
import { openPgClient } from '../../src/store/sql-client';
import { startFaultProxy, type FaultProxy } from './fault-proxy';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const READY_LINE = 'OMS Processing is ready';
export const FULFILLMENT_TOPIC = 'order-fulfillment';

export interface ChaosStackOptions {
  dataDir: string;
  workers: number;
  apiUrls: { commerce: string; pim: string; payment: string; risk: string };
  /** An external PostgreSQL (DATABASE_URL); else the embedded shared store runs in this process. */
  databaseUrl: string | undefined;
  extraEnv: Record<string, string>;
  log: (message: string) => void;
}

export interface ChaosStack {
  gatewayUrl: string;
  kafkaBrokers: string[];
  temporalAddress: string;
  storeProxy: FaultProxy;
  storeKind: 'postgresql' | 'pglite';
  processes(): Promise<StackProcesses>;
  /** Each resolves with when the restart really began (a second restart of the same server waits for the first). */
  restartTemporal(): Promise<number>;
  restartKafka(): Promise<number>;
  /** npm start's own output, for a failure message. */
  output(): string;
  /** Settles if npm start exits (it gives up on a process that cannot start): the run is then aborted. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function startChaosStack(opts: ChaosStackOptions): Promise<ChaosStack> {
  const logDir = path.join(opts.dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const temporalPort = await freeLoopbackPort();
  const kafkaPort = await freeLoopbackPort();
  const controllerPort = await freeLoopbackPort();
  const gatewayPort = await freeLoopbackPort();
  const metricsPort = await freeLoopbackPort();
  const relayPort = await freeLoopbackPort();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch((err: unknown) => opts.log(`while stopping: ${(err as Error).message}`));
  };

  try {
    const temporalOptions = {
      port: temporalPort,
      // Headless: the Web UI costs CPU the 2-core machine needs for the workers.
      dbFile: path.join(opts.dataDir, 'temporal.sqlite'),
      namespace: 'default',
      searchAttributes: { ...SEARCH_ATTRIBUTES },
      logFile: path.join(logDir, 'temporal.log'),
      log: opts.log,
    };
    const kafkaOptions = {
      port: kafkaPort,
      controllerPort,
      dataDir: path.join(opts.dataDir, 'kafka'),
      topics: [FULFILLMENT_TOPIC],
      logFile: path.join(logDir, 'kafka.log'),
      log: opts.log,
    };
    const restarts: { temporal: Promise<unknown>; kafka: Promise<unknown> } = { temporal: Promise.resolve(), kafka: Promise.resolve() };
    let temporal: TemporalDevServer = await startTemporalDevServer(temporalOptions);
    stops.push(() => temporal.stop());
    let kafka: KafkaBroker = await startKafkaBroker(kafkaOptions);
    stops.push(() => kafka.stop());

    let target: { host: string; port: number };
    let store: SharedStore | undefined;
    let databaseUrl = opts.databaseUrl;
    if (databaseUrl) {
      const u = new URL(databaseUrl);
      target = { host: u.hostname, port: Number(u.port || 5432) };
      // A schema of its own (search_path), as the store's tests do: other runs and suites share that database.
      const schema = `chaos_${path.basename(opts.dataDir).replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
      const admin = openPgClient(databaseUrl, { max: 1 });
      try {
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      } finally {
        await admin.close();
      }
      u.searchParams.set('options', `-c search_path=${schema}`);
      databaseUrl = u.toString();
      opts.log(`PostgreSQL schema ${schema}`);
    } else {
      store = await startSharedStore({ dataDir: path.join(opts.dataDir, 'dashboard'), log: opts.log });
      const s = store;
      stops.push(() => s.stop());
      target = { host: '127.0.0.1', port: s.port };
    }
    const proxy = await startFaultProxy(target);
    stops.push(() => proxy.stop());
    const proxied = new URL(databaseUrl ?? store?.databaseUrl ?? '');
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);

    const stackDataDir = path.join(opts.dataDir, 'stack');
    const env: Record<string, string> = {
      ...opts.extraEnv,
      OMS_DATA_DIR: stackDataDir,
      PORT: String(gatewayPort),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      OMS_DEV_CODEC_RELAY_PORT: String(relayPort),
      TEMPORAL_ADDRESS: temporal.address,
      KAFKA_BROKERS: kafka.brokers.join(','),
      DATABASE_URL: proxied.toString(),
      COMMERCE_API_URL: opts.apiUrls.commerce,
      PIM_API_URL: opts.apiUrls.pim,
      PAYMENT_API_URL: opts.apiUrls.payment,
      RISK_API_URL: opts.apiUrls.risk,
    };
    const startLog = createWriteStream(path.join(logDir, 'npm-start.log'));
    // The same command as `npm start -- --workers N` without npm in between, so that its pid is the supervisor's.
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'dev/stack/start.ts', '--workers', String(opts.workers)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
      startLog.write(d);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lastProcesses: { value: StackProcesses | undefined } = { value: undefined };
    const processes = async () => {
      const p = await readStackProcesses(stackDataDir);
      lastProcesses.value = p;
      return p;
    };
    stops.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const code = await Promise.race([exited, sleep(45_000).then(() => 'timeout' as const)]);
      if (code === 'timeout' && child.pid !== undefined) child.kill('SIGKILL');
      // Should npm start have died hard, its gateway and workers (own process group) are stopped here, by pid.
      const left = lastProcesses.value;
      for (const pid of left ? [left.gateway.pid, ...left.workers.map((w) => w.pid)] : []) {
        if (pid > 0 && isPidAlive(pid)) {
          opts.log(`stopping leftover pid ${pid}`);
          process.kill(pid, 'SIGKILL');
        }
      }
      startLog.end();
    });

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start was not ready in 10 min:\n${output.slice(-4000)}`)), 10 * 60_000);
      const check = () => {
        if (output.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code} before it was ready:\n${output.slice(-4000)}`));
      });
    });
    await processes();

    return {
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      kafkaBrokers: kafka.brokers,
      temporalAddress: temporal.address,
      storeProxy: proxy,
      storeKind: opts.databaseUrl ? 'postgresql' : 'pglite',
      processes,
      // One restart of a server at a time (a second one waits for the first), and none still running at stop.
      restartTemporal() {
        const next = restarts.temporal.catch(() => undefined).then(async () => {
          const began = Date.now();
          await temporal.stop();
          temporal = await startTemporalDevServer(temporalOptions);
          return began;
        });
        restarts.temporal = next;
        return next;
      },
      restartKafka() {
        const next = restarts.kafka.catch(() => undefined).then(async () => {
          const began = Date.now();
          await kafka.stop();
          kafka = await startKafkaBroker(kafkaOptions);
          return began;
        });
        restarts.kafka = next;
        return next;
      },
      output: () => output,
      exited,
      async stop() {
        await Promise.allSettled([restarts.temporal, restarts.kafka]);
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
