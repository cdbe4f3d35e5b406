// Builds the two workers of the service: `orders` (workflows + activities) and the rate-limited Commerce queue.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { TASK_QUEUES } from '../../contracts';
import { createCommerceActivities, createOrderActivities, createRemediationActivities, type OrderActivityDeps, type RemediationDeps } from '../../activities';
import type { CommerceApi } from '../clients/commerce-api';
import type { WorkerDeploymentConfig } from '../config';
import type { CommercePacer } from './commerce-pacer';
import { commerceDispatchRate, describeCommerceQueueRateLimit, reconcileCommerceRateLimit } from './commerce-rate-limit';
import { workerTracingOptions, type Tracing } from '../tracing/tracing';
import { WORKFLOW_INTERCEPTOR_MODULES } from './workflow-bundle';

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
  /** The payload codec's converter (src/pii/data-converter.ts): both workers read and write only encrypted payloads. */
  dataConverter: DataConverter;
  commerceApiRps: number;
  /**
   * The pacer the Commerce client's calls go through (src/worker/main.ts): set to the queue's rate at start and kept on
   * it while running, so every worker paces by the one limit the queue holds.
   */
  commercePacer?: Pick<CommercePacer, 'setRate' | 'rate'>;
  /** How often a running worker re-reads the queue's limit (default 15 s). */
  rateLimitCheckMs?: number;
  /** Told when the queue's limit is no longer what this worker was started with (an operator changed it). */
  onRateLimitChange?: (change: { from: number; to: number }) => void;
  /**
   * The remediation sweeper's activities (activities/remediation.ts), on `orders` beside the order's: the Schedule's
   * sweeper workflow runs on any worker. Without them (tests of the order alone) a sweep fails visibly.
   */
  remediation?: RemediationDeps;
  /** Prebuilt bundle (tests build it once per file; src/worker/workflow-bundle.ts); otherwise bundled at start. */
  workflowBundle?: WorkflowBundleOption;
  /** The sticky cache of orders in memory (WORKER_MAX_CACHED_WORKFLOWS); the SDK's default when absent. */
  maxCachedWorkflows?: number;
  /**
   * The Worker Deployment Version both workers poll as (WORKER_DEPLOYMENT_NAME, WORKER_BUILD_ID); unversioned when
   * absent. Both queues get it: a pinned order's Commerce calls must reach workers of its own version too.
   */
  deployment?: WorkerDeploymentConfig;
  /** The process's tracing (src/tracing/tracing.ts); off when absent. */
  tracing?: Pick<Tracing, 'worker'>;
}): Promise<ServiceWorkers> {
  const { connection, namespace, deps } = options;
  // Before any poller exists: one Commerce limit for the service, or this worker refuses to start (commerce-rate-limit.ts).
  const reconciled = await reconcileCommerceRateLimit({ connection, namespace, commerceApiRps: options.commerceApiRps });
  options.commercePacer?.setRate(reconciled.requestsPerSecond);
  const versioning = workerDeploymentOptions(options.deployment);
  // Activity spans on both queues (validateOrder runs on the Commerce one); the workflow spans' sink on `orders`.
  const { interceptors, sinks } = workerTracingOptions(options.tracing);
  const orders = await Worker.create({
    ...versioning,
    connection,
    namespace,
    taskQueue: TASK_QUEUES.orders,
    dataConverter: options.dataConverter,
    // Bundled here only without a prebuilt bundle, which carries the workflow interceptors itself (workflow-bundle.ts).
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle, ...(interceptors ? { interceptors } : {}) }
      : { workflowsPath: WORKFLOWS_PATH, interceptors: { ...interceptors, workflowModules: WORKFLOW_INTERCEPTOR_MODULES } }),
    ...(sinks ? { sinks } : {}),
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    activities: { ...createOrderActivities(deps), ...(options.remediation ? createRemediationActivities(options.remediation) : {}) },
  });
  const commerce = await Worker.create({
    ...versioning,
    connection,
    namespace,
    taskQueue: TASK_QUEUES.commerce,
    dataConverter: options.dataConverter,
    ...(interceptors ? { interceptors } : {}),
    activities: createCommerceActivities({ commerce: deps.commerce }),
    // The queue's API-set limit overrides this; sent as well so that a server without one still gets the same rate.
    maxTaskQueueActivitiesPerSecond: commerceDispatchRate(options.commerceApiRps),
    // About one second of calls per worker: what waits for the pacer waits in the queue, visible, not in this process
    // (tasks held here past their slots' reach would time out and be called twice).
    maxConcurrentActivityTaskExecutions: Math.max(8, Math.ceil(reconciled.requestsPerSecond)),
  });
  const checkMs = options.rateLimitCheckMs ?? 15_000;
  let watch: ReturnType<typeof setInterval> | undefined;
  let lastSeen = reconciled.requestsPerSecond;
  function startWatch(): void {
    // An operator may change the queue's limit while the workers run (temporal task-queue config set): the server
    // applies it at once, and the pacer follows it here; a read that fails is tried again at the next tick.
    watch = setInterval(() => {
      void (async () => {
        const limit = await describeCommerceQueueRateLimit(connection.workflowService, namespace);
        // Unset again (e.g. `--queue-rps-limit default`): put this worker's value back, as at start.
        const now = limit.configured?.requestsPerSecond ?? (await reconcileCommerceRateLimit({ connection, namespace, commerceApiRps: options.commerceApiRps })).requestsPerSecond;
        if (!(now > 0) || Math.fround(now) === Math.fround(lastSeen)) return;
        options.onRateLimitChange?.({ from: lastSeen, to: now });
        lastSeen = now;
        options.commercePacer?.setRate(now);
      })().catch(() => undefined);
    }, checkMs);
    watch.unref();
  }
  function shutdown(): void {
    if (watch !== undefined) clearInterval(watch);
    for (const w of [orders, commerce]) if (w.getState() === 'RUNNING') w.shutdown();
  }
  return {
    orders,
    commerce,
    shutdown,
    async run() {
      startWatch();
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

/**
 * The SDK's Worker Deployment options for a version (docs/versioning.md); none for an unversioned worker. Exported for
 * test/integration/worker-versioning.test.ts, which runs its versions with exactly these options.
 */
export function workerDeploymentOptions(deployment: WorkerDeploymentConfig | undefined): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (deployment === undefined) return {};
  const { deploymentName, buildId, defaultVersioningBehavior } = deployment;
  return { workerDeploymentOptions: { version: { deploymentName, buildId }, useWorkerVersioning: true, defaultVersioningBehavior } };
}
