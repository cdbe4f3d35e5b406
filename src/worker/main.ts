// `npm run worker`: one worker process for production, configured only by the environment (contract §2).
import { openDashboardStore } from '../store/dashboard-store';
import { storeWaitLogger, whenReachable } from '../store/when-reachable';
import { connectClient, connectWorker } from '../temporal/connection';
import { createCommerceApi } from '../clients/commerce-api';
import { createWorkers } from './create-workers';
import { buildWorkerDeps } from './worker-deps';
import { runUntilSignal } from '../process/lifecycle';
import { installTemporalRuntime } from './runtime';
import { workflowBundle } from './workflow-bundle';
import { createCommercePacer } from './commerce-pacer';
import { encryptingDataConverter } from '../pii/data-converter';
import { startTracingFromConfig } from '../tracing/tracing';
import { COMMERCE_DISPATCH_SHARE, commerceDispatchRate } from './commerce-rate-limit';

await runUntilSignal('worker', async (config, logger) => {
  installTemporalRuntime(logger, config.workerMetricsAddress);
  // Off (undefined) unless an OTLP endpoint is configured: then activities continue the trace their order carries.
  const tracing = startTracingFromConfig(config.tracing);
  // Started while the store is down (a restart during an outage), the worker waits for it instead of exiting.
  const waitForStore = { onRetry: storeWaitLogger(logger) };
  const store = await whenReachable('the dashboard store', () => openDashboardStore({ dataDir: config.store.dataDir, ...(config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : {}) }), waitForStore);
  const owned = buildWorkerDeps(config, logger, store);
  // Commerce calls of every worker on one slot schedule (commerce-pacer.ts): in the shared store when there is one.
  const pacer = await whenReachable('the Commerce pacer\'s slot table', () => createCommercePacer({ databaseUrl: config.store.databaseUrl, requestsPerSecond: commerceDispatchRate(config.commerceApiRps) }), waitForStore);
  const deps = { ...owned.deps, commerce: createCommerceApi({ baseUrl: config.apis.commerceUrl, limiter: pacer, breaker: owned.breakers.commerce }) };
  const connection = await connectWorker(config);
  // The sweeper's visibility queries (list, count, describe) go through a client; it encrypts like every other one.
  const visibility = await connectClient(config, tracing);
  const workers = await createWorkers({
    connection,
    namespace: config.temporal.namespace,
    deps,
    dataConverter: encryptingDataConverter(config.pii.keyring),
    commerceApiRps: config.commerceApiRps,
    commercePacer: pacer,
    workflowBundle: await workflowBundle(config.worker.workflowBundlePath),
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    ...(tracing ? { tracing } : {}),
    remediation: { client: visibility, store },
    ...(config.workerDeployment !== undefined ? { deployment: config.workerDeployment } : {}),
    onRateLimitChange: ({ from, to }) =>
      logger.warn(
        { commerceApiRps: config.commerceApiRps, from, to },
        `the rate limit of task queue orders-commerce-api changed from ${from}/s to ${to}/s: Commerce calls follow it now; ` +
          `set COMMERCE_API_RPS=${Number((to / COMMERCE_DISPATCH_SHARE).toPrecision(6))} in the deployment, or the next worker started with ${config.commerceApiRps} refuses to start`,
      ),
  });
  logger.info(
    {
      temporal: config.temporal.address,
      taskQueues: ['orders', 'orders-commerce-api'],
      // Which Worker Deployment Version this process polls as: the first thing to check when orders sit unpicked.
      deployment: config.workerDeployment ?? 'unversioned',
      metrics: config.workerMetricsAddress ?? 'off',
      tracing: config.tracing?.tracesEndpoint ?? 'off',
      commerce: { commerceApiRps: config.commerceApiRps, dispatchPerSecond: pacer.rate, pacer: pacer.kind },
    },
    'worker started',
  );
  const running = workers.run();
  return {
    running,
    async stop() {
      // Slots given up for lateness mean the process was short of CPU: its calls ran below the limit.
      logger.info({ commercePacer: { kind: pacer.kind, ratePerSecond: pacer.rate, ...pacer.stats() } }, 'commerce pacer at stop');
      workers.shutdown();
      await running.catch(() => undefined);
      await owned.close();
      await pacer.close();
      await connection.close();
      await visibility.connection.close();
      await store.close();
      await tracing?.shutdown();
    },
  };
});
