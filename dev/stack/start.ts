// `npm start`: the whole local stack on one machine — Temporal dev server, Kafka, store, simulators, worker, gateway.
// Each piece an operator already runs elsewhere (TEMPORAL_ADDRESS, KAFKA_BROKERS, DATABASE_URL, *_API_URL) is skipped.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../../contracts';
import { ConfigError, DEV_SECRETS, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { openDashboardStore } from '../../src/store/dashboard-store';
import { DEFAULT_SIMULATOR_PORTS, startSimulators } from '../simulators/server';
import { ensureKafkaLibs } from '../tools/kafka-jars';
import { ensureTemporalCli } from '../tools/temporal-cli';
import { startKafkaBroker } from './kafka-broker';
import { startServiceInProcess } from './service-in-process';
import { startTemporalDevServer } from './temporal-dev-server';

type Stop = () => Promise<void>;

const STOP_DEADLINE_MS = 30_000;

const say = (message: string) => process.stdout.write(`[oms] ${message}\n`);

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65_535) throw new ConfigError(`Invalid environment:\n  ${name}: "${value}" is not a port`);
  return n;
}

async function main(): Promise<void> {
  const started = Date.now();
  const env = { ...process.env };
  const dataDir = path.resolve(env.OMS_DATA_DIR || '.data');
  const logDir = path.join(dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const ports = {
    temporal: port('OMS_DEV_TEMPORAL_PORT', 7233),
    temporalUi: port('OMS_DEV_TEMPORAL_UI_PORT', 8233),
    kafka: port('OMS_DEV_KAFKA_PORT', 9092),
    kafkaController: port('OMS_DEV_KAFKA_CONTROLLER_PORT', 9093),
  };
  // Validate the operator's own variables before minutes of first-time builds.
  loadConfig(env);

  const stops: Stop[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      say('stopping…');
      for (const stop of stops.reverse()) {
        await stop().catch((err: unknown) => say(`while stopping: ${(err as Error).message}`));
      }
      say('stopped');
    })());
  // Ctrl-C reaches every process of the terminal's group, and tsx relays it too: the same SIGINT can arrive
  // twice. The first one stops gracefully; repeats are ignored, and a hard deadline guards a stuck stop.
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

  try {
    const needTemporal = !env.TEMPORAL_ADDRESS;
    const needKafka = !env.KAFKA_BROKERS;
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

    const missingApis = (['commerce', 'pim', 'payment'] as const).filter((api) => !env[`${api.toUpperCase()}_API_URL`]);
    if (missingApis.length > 0) {
      // Fixed ports (4001–4003) so `npm run demo` and a curl from the README reach the simulators' admin API too.
      const simulators = await startSimulators({ only: missingApis, logger: false, ports: DEFAULT_SIMULATOR_PORTS });
      stops.push(() => simulators.stop());
      for (const api of missingApis) env[`${api.toUpperCase()}_API_URL`] = simulators.urls[api];
    }
    env.OMS_DATA_DIR = dataDir;
    // Locally the worker's metrics stay on loopback like every other port of the stack.
    env.WORKER_METRICS_ADDRESS ??= `127.0.0.1:${port('OMS_DEV_WORKER_METRICS_PORT', 9464)}`;

    const config = loadConfig(env);
    const logger = createLogger({ level: config.logLevel, name: 'oms' });
    const store = await openDashboardStore({ dataDir: config.store.dataDir, ...(config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : {}) });
    stops.push(() => store.close());
    const service = await startServiceInProcess(config, logger, store);
    stops.push(() => service.stop());
    service.running.catch(async (err: unknown) => {
      say(`the worker stopped: ${(err as Error).message}`);
      await stopAll();
      process.exit(1);
    });

    const secretsAreDev = (name: keyof typeof DEV_SECRETS) => (env[name] ?? DEV_SECRETS[name]) === DEV_SECRETS[name];
    const lines = [
      `OMS Processing is ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      `  gateway            http://127.0.0.1:${service.port}   (try GET /readyz)`,
      temporal?.uiUrl ? `  Temporal Web UI    ${temporal.uiUrl}` : `  Temporal           ${config.temporal.address}`,
      `  Temporal frontend  ${config.temporal.address} (namespace ${config.temporal.namespace})`,
      `  Kafka              ${config.kafka.brokers.join(',')} topic ${config.kafka.topic}`,
      `  dashboard store    ${config.store.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.store.dataDir}`}`,
      `  Commerce API       ${config.apis.commerceUrl}${missingApis.includes('commerce') ? ' (simulator)' : ''}`,
      `  PIM API            ${config.apis.pimUrl}${missingApis.includes('pim') ? ' (simulator)' : ''}`,
      `  Payment API        ${config.apis.paymentUrl}${missingApis.includes('payment') ? ' (simulator)' : ''}`,
      `  gateway metrics    http://127.0.0.1:${service.port}/metrics   API docs http://127.0.0.1:${service.port}/docs`,
      config.workerMetricsAddress ? `  worker metrics     http://${config.workerMetricsAddress}/metrics` : '  worker metrics     off',
      `  logs               ${logDir}`,
      ...(['COMMERCE_WEBHOOK_SECRET', 'PAYMENT_WEBHOOK_SECRET', 'SUPPORT_API_TOKEN'] as const).map(
        (name) => `  ${name.padEnd(24)} ${secretsAreDev(name) ? DEV_SECRETS[name] : '(from your environment)'}`,
      ),
      `Try it: npm run demo    Stop: Ctrl-C`,
    ];
    say(lines.join('\n'));
  } catch (err) {
    say(err instanceof ConfigError ? err.message : `failed to start: ${(err as Error).stack ?? String(err)}`);
    await stopAll();
    process.exit(1);
  }
}

await main();
