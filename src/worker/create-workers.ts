// Builds the two workers of the service: `orders` (workflows + activities) and the rate-limited Commerce queue.
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { TASK_QUEUES } from '../../contracts';
import { createCommerceActivities, createOrderActivities, type OrderActivityDeps } from '../../activities';
import type { CommerceApi } from '../clients/commerce-api';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export interface WorkerDeps extends OrderActivityDeps {
  commerce: CommerceApi;
}

export interface ServiceWorkers {
  orders: Worker;
  commerce: Worker;
  /** Runs both until shutdown() (or a fatal error in either); resolves when both have drained. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorkers(options: {
  connection: NativeConnection;
  namespace: string;
  deps: WorkerDeps;
  commerceApiRps: number;
  /** Prebuilt bundle (tests build it once per file); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundleOption;
}): Promise<ServiceWorkers> {
  const { connection, namespace, deps } = options;
  const orders = await Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.orders,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createOrderActivities(deps),
  });
  const commerce = await Worker.create({
    connection,
    namespace,
    taskQueue: TASK_QUEUES.commerce,
    activities: createCommerceActivities({ commerce: deps.commerce }),
    // Enforced by the server for this task queue as a whole, so the limit holds however many workers poll it.
    maxTaskQueueActivitiesPerSecond: options.commerceApiRps,
  });
  function shutdown(): void {
    for (const w of [orders, commerce]) if (w.getState() === 'RUNNING') w.shutdown();
  }
  return {
    orders,
    commerce,
    shutdown,
    async run() {
      const runs = [orders.run(), commerce.run()];
      try {
        await Promise.all(runs);
      } catch (err) {
        // One worker failing must not leave the other polling alone as a half-service.
        shutdown();
        await Promise.allSettled(runs);
        throw err;
      }
    },
  };
}
