// The local stack of the e2e benchmark, all private to one run and on 127.0.0.1 only: a Temporal dev server, a Kafka
// broker, the shared dashboard store, the API fakes, and the service's processes — gateway and worker, ours and the
// baseline's — each spawned as its own Node process (so CPU and memory are per process) and stopped by pid.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { temporal } from './proto';
import type { temporal as proto } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES, TASK_QUEUES } from '../../contracts';
import { freeLoopbackPort } from '../../dev/stack/free-port';
import { startKafkaBroker, type KafkaBroker } from '../../dev/stack/kafka-broker';
import { spawnManaged, waitUntilReady, type ManagedProcess } from '../../dev/stack/processes';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { DEV_PII_KEY, parseKeyring } from '../../src/pii/keyring';
import { WORKER_NODE_ARGS } from '../../src/worker/node-args';
import { startTemporalDevServer, type TemporalDevServer } from '../../dev/stack/temporal-dev-server';
import { BASELINE_TASK_QUEUES } from '../baseline/names';
import type { FakeApis } from './fake-apis';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const FULFILLMENT_TOPIC = 'order-fulfillment';

export type PathName = 'ours' | 'baseline';
export type ServiceKind = 'gateway' | 'worker';

export const ENTRIES: Record<PathName, Record<ServiceKind, string>> = {
  ours: { gateway: path.join(REPO, 'src/gateway/server.ts'), worker: path.join(REPO, 'src/worker/main.ts') },
  baseline: { gateway: path.join(REPO, 'bench/baseline/gateway.ts'), worker: path.join(REPO, 'bench/baseline/worker.ts') },
};

const QUEUES: Record<PathName, { workflows: string; commerce: string }> = {
  ours: { workflows: TASK_QUEUES.orders, commerce: TASK_QUEUES.commerce },
  baseline: { workflows: BASELINE_TASK_QUEUES.orders, commerce: BASELINE_TASK_QUEUES.commerce },
};

export interface Secrets {
  commerceWebhook: string;
  paymentWebhook: string;
  supportApiToken: string;
}

export interface Store {
  databaseUrl: string;
  pid: number | undefined;
  kind: string;
  stop(): Promise<void>;
}

// -------------------------------------------------------------------------------------------------------------------
// The shared store: dev/stack/shared-store.ts in a child process, or a PostgreSQL server given by URL.

const STORE_CHILD = fileURLToPath(new URL('./store-process-child.ts', import.meta.url));

export async function startStoreProcess(dataDir: string, logFile: string): Promise<Store> {
  await mkdir(path.dirname(logFile), { recursive: true });
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = fork(STORE_CHILD, [dataDir], { stdio: ['ignore', fd, fd, 'ipc'] });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const databaseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the shared store did not start in 60 s (log: ${logFile})`)), 60_000);
    child.once('message', (msg) => {
      clearTimeout(timer);
      resolve((msg as { databaseUrl: string }).databaseUrl);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the shared store exited before it was ready (log: ${logFile})`));
    });
  });
  return {
    databaseUrl,
    pid: child.pid,
    kind: 'PGlite served over the Postgres wire protocol (dev/stack/shared-store.ts), its own process',
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A fresh schema on an external PostgreSQL, selected through the URL's search_path, dropped at the end. */
export async function externalPostgresStore(baseUrl: string, schema: string): Promise<Store> {
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  await admin.end();
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    databaseUrl: url.toString(),
    pid: undefined,
    kind: `PostgreSQL at ${new URL(baseUrl).host}, schema ${schema} (not measured: not a process of this run)`,
    async stop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

// -------------------------------------------------------------------------------------------------------------------
// Temporal and Kafka

export async function startTemporal(workDir: string, log: (m: string) => void): Promise<TemporalDevServer> {
  return startTemporalDevServer({
    port: await freeLoopbackPort(),
    namespace: 'default',
    searchAttributes: { ...SEARCH_ATTRIBUTES },
    logFile: path.join(workDir, 'logs', 'temporal.log'),
    log,
  });
}

export async function startKafka(workDir: string, log: (m: string) => void): Promise<KafkaBroker> {
  return startKafkaBroker({
    port: await freeLoopbackPort(),
    controllerPort: await freeLoopbackPort(),
    dataDir: path.join(workDir, 'kafka'),
    topics: [FULFILLMENT_TOPIC],
    logFile: path.join(workDir, 'logs', 'kafka.log'),
    log,
  });
}

/** A client that reads what the bench's services wrote: they run on the dev key (PII_ENCRYPTION_KEYS unset). */
export async function connectBenchClient(address: string): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address }), namespace: 'default', dataConverter: encryptingDataConverter(parseKeyring(DEV_PII_KEY)) });
}

// -------------------------------------------------------------------------------------------------------------------
// Service processes

export interface ServiceEnv {
  temporalAddress: string;
  kafkaBrokers: string[];
  databaseUrl: string;
  apis: FakeApis['urls'];
  secrets: Secrets;
  commerceApiRps: number;
  logLevel: string;
  dataDir: string;
}

export interface ServiceProcess {
  label: string;
  path: PathName;
  kind: ServiceKind;
  pid: number;
  /** The gateway's origin; undefined for a worker. */
  url: string | undefined;
  proc: ManagedProcess;
  stop(): Promise<void>;
}

/** The whole environment of a service process, from nothing: no variable of the caller's shell leaks in. */
function envFor(e: ServiceEnv, port: number, extra: Record<string, string>): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG'].flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]]]));
  return {
    ...Object.fromEntries(keep),
    NODE_ENV: 'development',
    LOG_LEVEL: e.logLevel,
    TEMPORAL_ADDRESS: e.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    KAFKA_BROKERS: e.kafkaBrokers.join(','),
    FULFILLMENT_TOPIC,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    DATABASE_URL: e.databaseUrl,
    OMS_DATA_DIR: e.dataDir,
    COMMERCE_API_URL: e.apis.commerce,
    PIM_API_URL: e.apis.pim,
    PAYMENT_API_URL: e.apis.payment,
    RISK_API_URL: e.apis.risk,
    COMMERCE_API_RPS: String(e.commerceApiRps),
    COMMERCE_WEBHOOK_SECRET: e.secrets.commerceWebhook,
    PAYMENT_WEBHOOK_SECRET: e.secrets.paymentWebhook,
    SUPPORT_API_TOKEN: e.secrets.supportApiToken,
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKER_METRICS_ADDRESS: '',
    ...extra,
  };
}

export async function spawnService(options: {
  path: PathName;
  kind: ServiceKind;
  label: string;
  env: ServiceEnv;
  client: Client;
  logDir: string;
  extraEnv?: Record<string, string>;
  /** Run with `node --cpu-prof --cpu-prof-dir=<dir>`: one .cpuprofile per thread, written when the process exits. */
  cpuProfileDir?: string | undefined;
  readyTimeoutMs?: number;
}): Promise<ServiceProcess> {
  const port = options.kind === 'gateway' ? await freeLoopbackPort() : 0;
  const nodeArgs = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  if (options.cpuProfileDir !== undefined) await mkdir(options.cpuProfileDir, { recursive: true });
  const proc = spawnManaged({
    name: options.label,
    command: process.execPath,
    // Workers run as `npm run worker` runs them (the baseline's too, so both have the same heap).
    args: [...nodeArgs, ...(options.kind === 'worker' ? WORKER_NODE_ARGS : []), '--import', 'tsx', ENTRIES[options.path][options.kind]],
    cwd: REPO,
    env: envFor(options.env, port, options.extraEnv ?? {}),
    logFile: path.join(options.logDir, `${options.label.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}.log`),
    graceMs: 30_000,
  });
  const url = options.kind === 'gateway' ? `http://127.0.0.1:${port}` : undefined;
  const queues = QUEUES[options.path];
  await waitUntilReady(proc, {
    timeoutMs: options.readyTimeoutMs ?? 180_000,
    intervalMs: 500,
    probe: async () => {
      if (url !== undefined) {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 200;
      }
      // A worker is ready once it polls both of its task queues (its default identity is `<pid>@<host>`).
      const polls = async (name: string, type: proto.api.enums.v1.TaskQueueType): Promise<boolean> => {
        const res = await options.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name }, taskQueueType: type });
        return (res.pollers ?? []).some((p) => p.identity?.startsWith(`${proc.pid}@`) === true);
      };
      const T = temporal.api.enums.v1.TaskQueueType;
      return (await polls(queues.workflows, T.TASK_QUEUE_TYPE_WORKFLOW)) && (await polls(queues.commerce, T.TASK_QUEUE_TYPE_ACTIVITY));
    },
  }).catch(async (err: unknown) => {
    await proc.stop(5_000);
    throw err;
  });
  return { label: options.label, path: options.path, kind: options.kind, pid: proc.pid, url, proc, stop: () => proc.stop() };
}
