// One Commerce rate for the whole service, held by the Temporal server: at start every worker reconciles the
// `orders-commerce-api` queue's API-set rate limit with its COMMERCE_API_RPS — sets it when the queue has none,
// refuses to start when the queue holds another value — so no worker's own setting can move the rate.
//
// Why the API-set limit and not the worker option alone: the server keeps the rate of whichever poller reported one
// last (and a poller that reports none clears it), so two workers started with different COMMERCE_API_RPS would make
// the rate flap. A limit set with UpdateTaskQueueConfig (server ≥ 1.28) takes precedence over every poller's value
// (DescribeTaskQueue then reports RATE_LIMIT_SOURCE_API), which experiments on the dev server (1.29.1) confirmed.
import { hostname } from 'node:os';
import type { NativeConnection } from '@temporalio/worker';
import { TASK_QUEUES } from '../../contracts';

/** temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY (the proto package is not a runtime dependency). */
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/**
 * The share of COMMERCE_API_RPS the service dispatches: the rest is headroom for a call that starts a few ms after
 * its slot (timers, the event loop, the network), so that no 1 s window ever sees more than COMMERCE_API_RPS calls.
 * With calls spaced 1/r apart and each late by at most Δ, a 1 s window holds at most ⌈r·(1 + Δ)⌉ of them: 95 %
 * keeps that ≤ the limit for Δ up to ~50 ms at 150/s (and ~25 ms at 40/s).
 */
export const COMMERCE_DISPATCH_SHARE = 0.95;

/** The calls per second the service dispatches for a Commerce limit of `commerceApiRps`: the queue's rate limit. */
export function commerceDispatchRate(commerceApiRps: number): number {
  return commerceApiRps * COMMERCE_DISPATCH_SHARE;
}

/** The server stores the limit as a float32: compare at that precision (150 × 0.95 is not exact in it). */
function sameRate(a: number, b: number): boolean {
  return Math.fround(a) === Math.fround(b);
}

export interface QueueRateLimit {
  /** The queue's API-set limit; undefined when none is set (then a worker's value or the system default applies). */
  configured: { requestsPerSecond: number; reason: string; updatedBy: string; updatedAt: Date | undefined } | undefined;
  /** What the server enforces now and where it comes from (RATE_LIMIT_SOURCE_API | _WORKER | _SYSTEM). */
  effective: { requestsPerSecond: number; source: string } | undefined;
}

export class CommerceRateLimitConflictError extends Error {
  override readonly name = 'CommerceRateLimitConflictError';
}

type WorkflowService = NativeConnection['workflowService'];

export async function describeCommerceQueueRateLimit(service: WorkflowService, namespace: string): Promise<QueueRateLimit> {
  const res = await service.describeTaskQueue({
    namespace,
    taskQueue: { name: TASK_QUEUES.commerce },
    taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
    reportConfig: true,
  });
  const limit = res.config?.queueRateLimit;
  const rps = limit?.rateLimit?.requestsPerSecond;
  const updateSeconds = limit?.metadata?.updateTime?.seconds;
  const effective = res.effectiveRateLimit;
  return {
    configured:
      limit?.rateLimit === undefined || limit.rateLimit === null
        ? undefined
        : {
            requestsPerSecond: rps ?? 0,
            reason: limit.metadata?.reason ?? '',
            updatedBy: limit.metadata?.updateIdentity ?? '',
            updatedAt: updateSeconds === undefined || updateSeconds === null ? undefined : new Date(Number(updateSeconds) * 1000),
          },
    effective:
      effective === undefined || effective === null
        ? undefined
        : { requestsPerSecond: effective.requestsPerSecond ?? 0, source: rateLimitSourceName(effective.rateLimitSource) },
  };
}

function rateLimitSourceName(source: unknown): string {
  // The generated client hands enums back as their names (e.g. "RATE_LIMIT_SOURCE_API"); numbers are mapped for safety.
  if (typeof source === 'string') return source;
  const names = ['RATE_LIMIT_SOURCE_UNSPECIFIED', 'RATE_LIMIT_SOURCE_API', 'RATE_LIMIT_SOURCE_WORKER', 'RATE_LIMIT_SOURCE_SYSTEM'];
  return typeof source === 'number' ? (names[source] ?? String(source)) : 'RATE_LIMIT_SOURCE_UNSPECIFIED';
}

function conflictMessage(commerceApiRps: number, wanted: number, current: NonNullable<QueueRateLimit['configured']>, namespace: string): string {
  const by = current.updatedBy ? ` by "${current.updatedBy}"` : '';
  const at = current.updatedAt ? ` at ${current.updatedAt.toISOString()}` : '';
  const why = current.reason ? ` (reason: "${current.reason}")` : '';
  const implied = current.requestsPerSecond / COMMERCE_DISPATCH_SHARE;
  return [
    `COMMERCE_API_RPS=${commerceApiRps} asks for a dispatch rate of ${wanted}/s on task queue "${TASK_QUEUES.commerce}", ` +
      `but the queue already holds a rate limit of ${current.requestsPerSecond}/s${by}${at}${why}, ` +
      `which is what COMMERCE_API_RPS=${Number(implied.toPrecision(6))} sets. All workers share one Commerce limit, so this worker does not start.`,
    `Either start it with COMMERCE_API_RPS=${Number(implied.toPrecision(6))}, or change the limit on purpose: set the new rate on the queue first,`,
    `  temporal task-queue config set --namespace ${namespace} --task-queue ${TASK_QUEUES.commerce} --task-queue-type activity ` +
      `--queue-rps-limit ${wanted} --queue-rps-limit-reason "COMMERCE_API_RPS=${commerceApiRps}"`,
    `(it applies to the running workers at once), then roll out every worker with COMMERCE_API_RPS=${commerceApiRps}.`,
  ].join('\n');
}

export interface ReconcileResult {
  /** The dispatch rate now on the queue (= commerceDispatchRate(commerceApiRps)). */
  requestsPerSecond: number;
  /** 'set' when this worker put the limit on the queue, 'matched' when it was already there. */
  action: 'set' | 'matched';
}

/**
 * Makes the queue's API-set limit the dispatch rate of `commerceApiRps`, or throws CommerceRateLimitConflictError
 * when the queue already holds another one. Two workers starting at the same moment with different values could both
 * find the queue unset: each reads the limit back after writing it, so at most one of them starts.
 */
export async function reconcileCommerceRateLimit(options: {
  connection: NativeConnection;
  namespace: string;
  commerceApiRps: number;
  identity?: string;
}): Promise<ReconcileResult> {
  const { connection, namespace, commerceApiRps } = options;
  const service = connection.workflowService;
  const wanted = commerceDispatchRate(commerceApiRps);
  const before = await describeCommerceQueueRateLimit(service, namespace);
  if (before.configured !== undefined) {
    if (sameRate(before.configured.requestsPerSecond, wanted)) return { requestsPerSecond: wanted, action: 'matched' };
    throw new CommerceRateLimitConflictError(conflictMessage(commerceApiRps, wanted, before.configured, namespace));
  }
  await service.updateTaskQueueConfig({
    namespace,
    identity: options.identity ?? `oms-worker@${hostname()}:${process.pid}`,
    taskQueue: TASK_QUEUES.commerce,
    taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
    updateQueueRateLimit: {
      rateLimit: { requestsPerSecond: wanted },
      reason: `COMMERCE_API_RPS=${commerceApiRps} (${Math.round(COMMERCE_DISPATCH_SHARE * 100)} %), set by the first worker`,
    },
  });
  const after = await describeCommerceQueueRateLimit(service, namespace);
  if (after.configured === undefined || !sameRate(after.configured.requestsPerSecond, wanted)) {
    if (after.configured === undefined) throw new Error(`the rate limit set on task queue "${TASK_QUEUES.commerce}" did not read back`);
    throw new CommerceRateLimitConflictError(conflictMessage(commerceApiRps, wanted, after.configured, namespace));
  }
  return { requestsPerSecond: wanted, action: 'set' };
}
