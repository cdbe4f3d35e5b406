// `npm run worker`: one worker process for production, configured only by the environment (contract §2).
import { openDashboardStore } from '../store/dashboard-store';
import { connectWorker } from '../temporal/connection';
import { createWorkers } from './create-workers';
import { buildWorkerDeps } from './worker-deps';
import { runUntilSignal } from '../process/lifecycle';
import { installTemporalRuntime } from './runtime';

await runUntilSignal('worker', async (config, logger) => {
  installTemporalRuntime(logger, config.workerMetricsAddress);
  const store = await openDashboardStore({ dataDir: config.store.dataDir, ...(config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : {}) });
  const owned = buildWorkerDeps(config, logger, store);
  const connection = await connectWorker(config);
  const workers = await createWorkers({ connection, namespace: config.temporal.namespace, deps: owned.deps, commerceApiRps: config.commerceApiRps });
  logger.info(
    { temporal: config.temporal.address, taskQueues: ['orders', 'orders-commerce-api'], metrics: config.workerMetricsAddress ?? 'off' },
    'worker started',
  );
  const running = workers.run();
  return {
    running,
    async stop() {
      workers.shutdown();
      await running.catch(() => undefined);
      await owned.close();
      await connection.close();
      await store.close();
    },
  };
});
