// `npm start [-- --workers N]`: the whole local stack on one machine — Temporal dev server, Kafka, the shared dashboard
// store, simulators, and the service's processes as in production: one gateway and N workers, each its own child
// process (npm run gateway / npm run worker with the environment computed here), supervised and restarted alone.
// Each piece an operator already runs elsewhere (TEMPORAL_ADDRESS, KAFKA_BROKERS, DATABASE_URL, *_API_URL) is skipped.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { REMEDIATION_SCHEDULE_ID, SEARCH_ATTRIBUTES, TASK_QUEUES } from '../../contracts';
import { ConfigError, DEV_SECRETS, loadConfig } from '../../src/config';
import { DEV_PII_KEY } from '../../src/pii/keyring';
import { sweepIntervalMs } from '../../src/remediation/classify';
import { applyRemediationSchedule } from '../../src/remediation/schedule';
import { connectClient } from '../../src/temporal/connection';
import { DEFAULT_SIMULATOR_PORTS, startSimulators } from '../simulators/server';
import { ensureKafkaLibs } from '../tools/kafka-jars';
import { ensureTemporalCli } from '../tools/temporal-cli';
import { startCodecRelay, type CodecRelay } from './codec-relay';
import { freeLoopbackPort } from './free-port';
import { WORKER_NODE_ARGS } from '../../src/worker/node-args';
import { buildWorkflowBundle } from '../../src/worker/workflow-bundle';
import { startKafkaBroker } from './kafka-broker';
import { assertPortFree, isPortBindable, tailFile } from './processes';
import { stackProcessesFile, writeStackProcesses, type StackProcesses } from './stack-processes';
import { parseStartArgs, StartUsageError } from './start-args';
import { startSharedStore } from './shared-store';
import { startSupervised, type SupervisedProcess } from './supervisor';
import { startTemporalDevServer } from './temporal-dev-server';

type Stop = () => Promise<void>;

const STOP_DEADLINE_MS = 30_000;
const HOST = '127.0.0.1';
/** Longer than the processes' own close-with-grace (20 s, src/process/lifecycle.ts): SIGKILL only if that hangs. */
const CHILD_GRACE_MS = 25_000;
/** Bundling the workflows dominates a worker's start; N of them at once share the machine's 2 cores. */
const WORKER_READY_TIMEOUT_MS = 5 * 60_000;
const GATEWAY_READY_TIMEOUT_MS = 2 * 60_000;
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

const say = (message: string): void => {
  process.stdout.write(`[oms] ${message}\n`);
};

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65_535) throw new ConfigError(`Invalid environment:\n  ${name}: "${value}" is not a port`);
  return n;
}

/** Worker 1 keeps the configured metrics address; the others count up from it, or take any free port if taken. */
async function workerMetricsAddresses(base: string | undefined, count: number): Promise<Array<string | undefined>> {
  if (base === undefined) return Array.from({ length: count }, () => undefined);
  const [host = HOST, portText = '9464'] = base.split(/:(?=\d+$)/);
  const first = Number(portText);
  const addresses: string[] = [base];
  for (let i = 1; i < count; i += 1) {
    const candidate = first + i;
    const free = candidate <= 65_535 && (await isPortBindable(host, candidate));
    addresses.push(`${host}:${free ? candidate : await freeLoopbackPort()}`);
  }
  return addresses;
}

async function main(): Promise<void> {
  const started = Date.now();
  let args;
  try {
    args = parseStartArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof StartUsageError) {
      process.stderr.write(`npm start: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const env = { ...process.env };
  const dataDir = path.resolve(env.OMS_DATA_DIR || '.data');
  const logDir = path.join(dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  // A list left by a run that was killed names pids that are gone (or reused): it only ever describes this run.
  await rm(stackProcessesFile(dataDir), { force: true });
  const removeProcessList = () => rm(stackProcessesFile(dataDir), { force: true });
  const ports = {
    temporal: port('OMS_DEV_TEMPORAL_PORT', 7233),
    temporalUi: port('OMS_DEV_TEMPORAL_UI_PORT', 8233),
    kafka: port('OMS_DEV_KAFKA_PORT', 9092),
    kafkaController: port('OMS_DEV_KAFKA_CONTROLLER_PORT', 9093),
  };
  // Validate the operator's own variables before minutes of first-time builds.
  loadConfig(env);
  const externalDatabaseUrl = env.DATABASE_URL || undefined;

  const stops: Stop[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      say('stopping…');
      for (const stop of stops.reverse()) {
        await stop().catch((err: unknown) => say(`while stopping: ${(err as Error).message}`));
      }
      await removeProcessList();
      say('stopped');
    })());
  // Ctrl-C reaches every process of the terminal's group, and tsx relays it too: the same SIGINT can arrive
  // twice. The first one stops gracefully; repeats are ignored, and a hard deadline guards a stuck stop. The gateway
  // and the workers run in their own process group, so only this process decides when they stop.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      setTimeout(() => {
        say('graceful stop took too long; exiting');
        process.exit(1);
      }, STOP_DEADLINE_MS).unref();
      void stopAll().finally(() => process.exit(0));
    });
  }
  const fail = async (message: string) => {
    say(message);
    await stopAll();
    process.exit(1);
  };

  try {
    const needTemporal = !env.TEMPORAL_ADDRESS;
    const needKafka = !env.KAFKA_BROKERS;
    // PORT=0 ("any port") cannot be told to the banner by a child; the stack picks one and hands it down. Known this
    // early because the codec relay, which the Web UI is started with, forwards to it.
    const gatewayPort = env.PORT === '0' ? await freeLoopbackPort() : port('PORT', 3000);
    await assertPortFree(HOST, gatewayPort, `gateway port ${gatewayPort}`);
    // The codec server answers CORS for the Web UI this stack runs, on whichever host name the browser used.
    if (needTemporal && !env.CODEC_CORS_ORIGINS) env.CODEC_CORS_ORIGINS = `http://${HOST}:${ports.temporalUi},http://localhost:${ports.temporalUi}`;
    const relay = await startDevCodecRelay(env, `http://${HOST}:${gatewayPort}`);
    if (relay) stops.push(() => relay.stop());
    // First-time builds take minutes; both run at once and say what they do.
    await Promise.all([needTemporal ? ensureTemporalCli(say) : undefined, needKafka ? ensureKafkaLibs(say) : undefined]);

    const [temporal, kafka] = await Promise.all([
      needTemporal
        ? startTemporalDevServer({
            port: ports.temporal,
            uiPort: ports.temporalUi,
            dbFile: path.join(dataDir, 'temporal.sqlite'),
            namespace: env.TEMPORAL_NAMESPACE || 'default',
            searchAttributes: { ...SEARCH_ATTRIBUTES },
            ...(relay ? { uiCodecEndpoint: relay.endpoint } : {}),
            logFile: path.join(logDir, 'temporal.log'),
            log: say,
          })
        : undefined,
      needKafka
        ? startKafkaBroker({
            port: ports.kafka,
            controllerPort: ports.kafkaController,
            dataDir: path.join(dataDir, 'kafka'),
            topics: [env.FULFILLMENT_TOPIC || 'order-fulfillment'],
            logFile: path.join(logDir, 'kafka.log'),
            log: say,
          })
        : undefined,
    ]);
    if (temporal) {
      stops.push(() => temporal.stop());
      env.TEMPORAL_ADDRESS = temporal.address;
    }
    if (kafka) {
      stops.push(() => kafka.stop());
      env.KAFKA_BROKERS = kafka.brokers.join(',');
    }

    const missingApis = (['commerce', 'pim', 'payment', 'risk'] as const).filter((api) => !env[`${api.toUpperCase()}_API_URL`]);
    if (missingApis.length > 0) {
      // Fixed ports (4001–4004) so `npm run demo` and a curl from the README reach the simulators' admin API too.
      const simulators = await startSimulators({ only: missingApis, logger: false, ports: DEFAULT_SIMULATOR_PORTS });
      stops.push(() => simulators.stop());
      for (const api of missingApis) env[`${api.toUpperCase()}_API_URL`] = simulators.urls[api];
    }
    env.OMS_DATA_DIR = dataDir;

    // The embedded store lives in this process and is served over the Postgres wire protocol: every child gets it as
    // DATABASE_URL, exactly as production processes get their PostgreSQL (docs/local-stack.md, "The dashboard store shared over the wire").
    const dashboardDir = path.join(dataDir, 'dashboard');
    const store = externalDatabaseUrl ? undefined : await startSharedStore({ dataDir: dashboardDir, log: say });
    if (store) {
      stops.push(() => store.stop());
      env.DATABASE_URL = store.databaseUrl;
    }

    // Locally the worker's metrics stay on loopback like every other port of the stack.
    const metricsBase = env.WORKER_METRICS_ADDRESS === '' ? undefined : (env.WORKER_METRICS_ADDRESS ?? `${HOST}:${port('OMS_DEV_WORKER_METRICS_PORT', 9464)}`);
    const metrics = await workerMetricsAddresses(metricsBase, args.workers);
    const config = loadConfig({ ...env, PORT: String(gatewayPort) });

    const temporalClient = await Connection.connect({ address: config.temporal.address });
    const processes: StackProcesses = {
      supervisor: process.pid,
      gateway: { pid: 0, url: `http://${HOST}:${gatewayPort}`, log: path.join(logDir, 'gateway.log'), restarts: 0 },
      workers: metrics.map((address, i) => ({
        n: i + 1,
        pid: 0,
        metrics: address === undefined ? null : `http://${address}/metrics`,
        log: path.join(logDir, `worker-${i + 1}.log`),
        restarts: 0,
      })),
      store: store ? { kind: 'pglite', dataDir: dashboardDir, databaseUrl: store.databaseUrl } : { kind: 'postgresql' },
    };
    let ready = false;
    const publish = (proc: SupervisedProcess, slot: { pid: number; restarts: number }) => {
      slot.pid = proc.pid();
      slot.restarts = proc.restarts();
      // Only whole states reach the file: before the banner, the first starts are still filling it in.
      if (ready) void saveProcesses();
    };
    // One write at a time: two restarts at once must not interleave their renames.
    let fileWrites = Promise.resolve();
    const saveProcesses = () =>
      (fileWrites = fileWrites
        .then(() => writeStackProcesses(dataDir, processes))
        .catch((err: unknown) => say(`could not write ${stackProcessesFile(dataDir)}: ${(err as Error).message}`)));
    const events = (slot: { pid: number; restarts: number }) => ({
      log: say,
      onReady: (proc: SupervisedProcess) => publish(proc, slot),
      onGiveUp: (proc: SupervisedProcess, error: Error) => {
        void tailFile(proc.logFile).then((tail) => fail(`${error.message}\n--- last lines of ${proc.logFile} ---\n${tail}`));
      },
    });
    const tsx = [...process.execArgv.filter((a) => a.startsWith('--max-old-space-size')), '--import', 'tsx'];
    const workers: SupervisedProcess[] = [];
    const running: { gateway?: SupervisedProcess } = {};
    // Stops run in reverse: this one comes before the store's and the infrastructure's — the gateway first (no new
    // events), then the workers together (each finishes its tasks), and only then the store they write to.
    stops.push(async () => {
      await running.gateway?.stop();
      await Promise.all(workers.map((w) => w.stop()));
      await temporalClient.close();
    });

    // One workflow bundle for all workers (and their restarts), built before any starts: N workers bundling at once
    // on a small machine would each take N times as long. An operator's WORKFLOW_BUNDLE_PATH is used as given.
    if (!env.WORKFLOW_BUNDLE_PATH) {
      const bundlePath = path.join(dataDir, 'workflow-bundle.js');
      await buildWorkflowBundle(bundlePath);
      env.WORKFLOW_BUNDLE_PATH = bundlePath;
    }
    // Workers first: the gateway's first answers may already need them. They start at once.
    await Promise.all(
      processes.workers.map(async (slot, i) => {
        const proc = await startSupervised(
          {
            name: `worker ${slot.n}`,
            command: process.execPath,
            args: [...WORKER_NODE_ARGS, ...tsx, path.join(REPO_ROOT, 'src/worker/main.ts')],
            cwd: REPO_ROOT,
            env: { ...env, WORKER_METRICS_ADDRESS: metrics[i] ?? '' },
            logFile: slot.log,
            graceMs: CHILD_GRACE_MS,
            // Ready = this very process polls both task queues (the SDK's default identity is `<pid>@<host>`).
            ready: (pid) => ({ timeoutMs: WORKER_READY_TIMEOUT_MS, intervalMs: 250, probe: () => isPolling(temporalClient, config.temporal.namespace, pid) }),
          },
          events(slot),
        );
        workers[i] = proc;
      }),
    );
    const gateway = await startSupervised(
      {
        name: 'gateway',
        command: process.execPath,
        args: [...tsx, path.join(REPO_ROOT, 'src/gateway/server.ts')],
        cwd: REPO_ROOT,
        env: { ...env, PORT: String(gatewayPort), HOST },
        logFile: processes.gateway.log,
        graceMs: CHILD_GRACE_MS,
        ready: () => ({ timeoutMs: GATEWAY_READY_TIMEOUT_MS, intervalMs: 200, probe: () => answersReady(`${processes.gateway.url}/readyz`) }),
      },
      events(processes.gateway),
    );
    running.gateway = gateway;
    // The remediation sweeper's schedule, created or updated to this run's settings (the production way is
    // `npm run remediation -- schedule`). Its client encrypts like every other (the schedule's input is a payload).
    const scheduleClient = await connectClient(config);
    // A failure here leaves the stack usable without it: said in the banner, not a reason to stop.
    const schedule = await applyRemediationSchedule(scheduleClient, config.windows, env)
      .catch((err: unknown) => `NOT created (${(err as Error).message})`)
      .finally(() => scheduleClient.connection.close());
    ready = true;
    await saveProcesses();

    const secretsAreDev = (name: keyof typeof DEV_SECRETS) => (env[name] ?? DEV_SECRETS[name]) === DEV_SECRETS[name];
    const gatewayUrl = processes.gateway.url;
    const lines = [
      `OMS Processing is ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  gateway            ${gatewayUrl}   pid ${gateway.pid()}   (try GET /readyz)`,
      `  support console    ${gatewayUrl}/console   (sign in with SUPPORT_API_TOKEN)`,
      ...processes.workers.map(
        (w, i) => `  worker ${String(w.n).padEnd(12)}pid ${workers[i]?.pid()}   metrics ${w.metrics ?? 'off'}`,
      ),
      temporal?.uiUrl ? `  Temporal Web UI    ${temporal.uiUrl}` : `  Temporal           ${config.temporal.address}`,
      ...codecRelayLines(relay, Boolean(temporal?.uiUrl), gatewayUrl, config.pii.codecCorsOrigins),
      `  Temporal frontend  ${config.temporal.address} (namespace ${config.temporal.namespace})`,
      `  Kafka              ${config.kafka.brokers.join(',')} topic ${config.kafka.topic}`,
      store
        ? `  dashboard store    PGlite in ${dashboardDir}, served at ${store.databaseUrl} by pid ${process.pid}`
        : '  dashboard store    PostgreSQL (DATABASE_URL)',
      `  Commerce API       ${config.apis.commerceUrl}${missingApis.includes('commerce') ? ' (simulator)' : ''}`,
      `  PIM API            ${config.apis.pimUrl}${missingApis.includes('pim') ? ' (simulator)' : ''}`,
      `  Payment API        ${config.apis.paymentUrl}${missingApis.includes('payment') ? ' (simulator)' : ''}`,
      `  Risk API           ${config.apis.riskUrl}${missingApis.includes('risk') ? ' (simulator)' : ''}`,
      `  gateway metrics    ${gatewayUrl}/metrics   API docs ${gatewayUrl}/docs`,
      `  remediation        schedule ${REMEDIATION_SCHEDULE_ID} ${schedule} (every ${Math.round(sweepIntervalMs(env) / 1000)} s); findings at ${gatewayUrl}/v1/support/remediation`,
      `  logs               ${logDir}`,
      `  current pids       ${stackProcessesFile(dataDir)}   (kill <pid>: that process alone is restarted)`,
      ...(['COMMERCE_WEBHOOK_SECRET', 'PAYMENT_WEBHOOK_SECRET', 'SUPPORT_API_TOKEN', 'CODEC_API_TOKEN'] as const).map(
        (name) => `  ${name.padEnd(24)} ${secretsAreDev(name) ? DEV_SECRETS[name] : '(from your environment)'}`,
      ),
      // The same rule as src/config.ts: unset (or empty) means the dev key.
      `  ${'PII_ENCRYPTION_KEYS'.padEnd(24)} ${env.PII_ENCRYPTION_KEYS ? '(from your environment)' : DEV_PII_KEY}`,
      `Try it: npm run demo    Stop: Ctrl-C`,
    ];
    say(lines.join('\n'));
  } catch (err) {
    await fail(err instanceof ConfigError ? err.message : `failed to start: ${(err as Error).stack ?? String(err)}`);
  }
}

/**
 * The Web UI cannot send CODEC_API_TOKEN to a plain-http codec endpoint (codec-relay.ts): the relay adds it for the
 * origins the gateway answers CORS for. Production runs none (an identity-aware proxy does this there, docs/pii.md).
 */
async function startDevCodecRelay(env: NodeJS.ProcessEnv, gatewayUrl: string): Promise<CodecRelay | undefined> {
  if (env.NODE_ENV === 'production') return undefined;
  const config = loadConfig(env);
  const relayPort = env.OMS_DEV_CODEC_RELAY_PORT === '0' ? 0 : port('OMS_DEV_CODEC_RELAY_PORT', 0);
  if (relayPort !== 0) await assertPortFree(HOST, relayPort, `codec relay port ${relayPort}`);
  return startCodecRelay({ upstream: gatewayUrl, token: config.secrets.codecApiToken, allowedOrigins: config.pii.codecCorsOrigins, port: relayPort, nodeEnv: env.NODE_ENV });
}

function codecRelayLines(relay: CodecRelay | undefined, ownWebUi: boolean, gatewayUrl: string, origins: readonly string[]): string[] {
  if (!relay) return ['  Web UI codec       none: the token relay does not run with NODE_ENV=production'];
  const first = `  Web UI codec       ${relay.endpoint}   (relay: adds CODEC_API_TOKEN, forwards to ${gatewayUrl}/codec)`;
  if (ownWebUi) return [first];
  return [
    first,
    `                     point your Web UI at it: its codec endpoint setting, TEMPORAL_CODEC_ENDPOINT=${relay.endpoint} for a UI server,`,
    `                     or temporal server start-dev --ui-codec-endpoint ${relay.endpoint}; it answers the origins ${origins.join(', ')}`,
    '                     (CODEC_CORS_ORIGINS) and no others; OMS_DEV_CODEC_RELAY_PORT fixes its port',
  ];
}

/** Whether the worker with this pid polls both of the service's task queues (what Temporal shows as its pollers). */
async function isPolling(connection: Connection, namespace: string, pid: number): Promise<boolean> {
  const queues = [
    { name: TASK_QUEUES.orders, type: 1 /* TASK_QUEUE_TYPE_WORKFLOW */ },
    { name: TASK_QUEUES.commerce, type: 2 /* TASK_QUEUE_TYPE_ACTIVITY */ },
  ];
  for (const queue of queues) {
    const res = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: queue.name }, taskQueueType: queue.type });
    if (!(res.pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`))) return false;
  }
  return true;
}

async function answersReady(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.ok;
}

await main();
