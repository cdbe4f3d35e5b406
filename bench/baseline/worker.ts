// The worker process of the baseline path: src/worker/main.ts and create-workers.ts in miniature — the same runtime,
// the same clients (buildWorkerDeps: Commerce with its limiter, PIM, Payment, the idempotent Kafka producer) and the
// real activity implementations, on the baseline's own task queues with the baseline workflows (workflows.ts). Two
// differences, both "nothing else": it opens no store (confirmCapture's RRN claim and publishFulfillment's record of
// the publication, both store calls, are no-ops here), and it registers only the activities the baseline calls.
// SDK worker options are the defaults.
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { createCommerceActivities } from '../../activities/commerce';
import { createEnrichmentActivities } from '../../activities/enrichment';
import { createFulfillmentActivities } from '../../activities/fulfillment';
import { createPaymentActivities } from '../../activities/payment';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { runUntilSignal } from '../../src/process/lifecycle';
import type { DashboardStore } from '../../src/store/dashboard-store';
import { connectWorker } from '../../src/temporal/connection';
import { installTemporalRuntime } from '../../src/worker/runtime';
import { buildWorkerDeps } from '../../src/worker/worker-deps';
import { BASELINE_TASK_QUEUES } from './names';

const WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/** buildWorkerDeps wants a store for the service's activities; the baseline's never touch it. */
const noStore = new Proxy({} as DashboardStore, {
  get: (_target, name) => () => Promise.reject(new Error(`baseline worker: the store was called (${String(name)})`)),
});

const noPublicationLog: Parameters<typeof createFulfillmentActivities>[0]['store'] = {
  wasPublished: () => Promise.resolve(false),
  markPublished: () => Promise.resolve(),
  // The baseline has no record: the service's forwarding writes FORWARDING and FORWARDED in the same activity.
  save: () => Promise.resolve({ applied: true, closedAs: null }),
};

await runUntilSignal('worker', async (config, logger) => {
  installTemporalRuntime(logger, config.workerMetricsAddress);
  const owned = buildWorkerDeps(config, logger, noStore);
  const { deps } = owned;
  const connection = await connectWorker(config);
  const namespace = config.temporal.namespace;
  // The payload codec of the service's clients and workers (contract §9): the baseline's gateway starts its orders
  // through the same encrypting client, and both paths pay the same codec, so the comparison stays the workflow's.
  const dataConverter = encryptingDataConverter(config.pii.keyring);
  const orders = await Worker.create({
    connection,
    namespace,
    taskQueue: BASELINE_TASK_QUEUES.orders,
    dataConverter,
    workflowsPath: WORKFLOWS_PATH,
    // The service's cache size, so both hold the same number of orders in memory.
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    // Each factory gets exactly what it needs, spelled out: a dependency the service adds to an activity fails the
    // typecheck here instead of reaching the refusing store at run time.
    activities: {
      ...createEnrichmentActivities({ pim: deps.pim }),
      // The claim of the RRN is a store write in the service; the baseline makes only the Payment API call.
      ...createPaymentActivities({ payments: deps.payments, claims: { claimRrn: (_rrn, orderId) => Promise.resolve(orderId) } }),
      // The service records each publication in the store (so a replayed local activity does not send it twice);
      // the baseline only sends.
      ...createFulfillmentActivities({ publisher: deps.publisher, store: noPublicationLog }),
    },
  });
  const commerce = await Worker.create({
    connection,
    namespace,
    taskQueue: BASELINE_TASK_QUEUES.commerce,
    dataConverter,
    activities: createCommerceActivities({ commerce: deps.commerce }),
    maxTaskQueueActivitiesPerSecond: config.commerceApiRps,
  });
  logger.info({ temporal: config.temporal.address, taskQueues: Object.values(BASELINE_TASK_QUEUES) }, 'baseline worker started');
  const shutdown = (): void => {
    for (const w of [orders, commerce]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const running = Promise.all([orders.run(), commerce.run()]).then(
    () => undefined,
    async (err: unknown) => {
      shutdown();
      throw err;
    },
  );
  return {
    running,
    async stop() {
      shutdown();
      await running.catch(() => undefined);
      await owned.close();
      await connection.close();
    },
  };
});
