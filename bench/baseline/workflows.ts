// The baseline of `npm run bench -- e2e`: the least a workflow can do for an order — the same four external calls as
// OrderWorkflow (validate with Commerce, enrich from PIM, confirm the capture with the Payment API, publish to Kafka)
// and nothing else: no store writes, no search attributes, no status steps, no windows, no parking, no compensation.
// Started the same way (signalWithStart of the same signals with the same arguments, bench/baseline/order-events.ts)
// and bundled for its own worker on its own task queues (bench/baseline/worker.ts). Never registered by the service.
import { condition, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  commerceOrderReceived,
  paymentCaptureReceived,
  type CommerceOrderEvent,
  type OrderWorkflowInput,
  type PaymentCaptureEvent,
} from '../../contracts';
import type { CommerceActivities, OrderActivities } from '../../activities';
import { BASELINE_TASK_QUEUES } from './names';

export type BaselineOutcome = 'FORWARDED' | 'INVALID' | 'UNKNOWN_ITEM' | 'CAPTURE_REJECTED';

/** The same 3-minute grace for a Commerce 404 right after the webhook as the service (workflows/activity-options.ts). */
const COMMERCE_NOT_FOUND_GRACE_MS = 3 * 60_000;
const backoff = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;

/** Validation is a queued activity in both variants: the Commerce limit is the task queue's (maxTaskQueueActivitiesPerSecond). */
const commerce = proxyActivities<CommerceActivities>({ taskQueue: BASELINE_TASK_QUEUES.commerce, startToCloseTimeout: '15s', retry: backoff });
const queued = proxyActivities<OrderActivities>({ startToCloseTimeout: '30s', retry: backoff });
const local = proxyLocalActivities<OrderActivities>({ startToCloseTimeout: '30s', retry: backoff });

type Steps = Pick<OrderActivities, 'enrichItems' | 'confirmCapture' | 'publishFulfillment'>;

async function order(input: OrderWorkflowInput, steps: Steps): Promise<BaselineOutcome> {
  let submission: CommerceOrderEvent | undefined;
  let capture: PaymentCaptureEvent | undefined;
  setHandler(commerceOrderReceived, (event) => void (submission ??= event));
  setHandler(paymentCaptureReceived, (event) => void (capture ??= event));

  // The payment lane runs beside validation and enrichment, as in OrderWorkflow: a capture is confirmed when it comes.
  const confirmed = (async () => {
    await condition(() => capture !== undefined);
    const { rrn, amount_cents } = (capture as PaymentCaptureEvent).payload;
    const verdict = await steps.confirmCapture({ orderId: input.orderId, rrn, amountCents: amount_cents });
    return verdict.accepted ? rrn : undefined;
  })();

  await condition(() => submission !== undefined);
  const { customer_id, order: submitted } = (submission as CommerceOrderEvent).payload;
  const validation = await commerce.validateOrder({
    orderId: input.orderId,
    submitted: { customer_id, items: submitted.items },
    notFoundIsFinalAfter: new Date(Date.parse((submission as CommerceOrderEvent).receivedAt) + COMMERCE_NOT_FOUND_GRACE_MS).toISOString(),
  });
  if (!validation.valid) return 'INVALID';
  const enrichment = await steps.enrichItems(submitted.items);
  if (!enrichment.complete) return 'UNKNOWN_ITEM';
  const rrn = await confirmed;
  if (rrn === undefined) return 'CAPTURE_REJECTED';
  await steps.publishFulfillment({
    message: { customer_id, order_id: input.orderId, payment_details: { rrn }, items: enrichment.items },
    idempotencyKey: workflowInfo().workflowId,
  });
  return 'FORWARDED';
}

/** Validation, enrichment, confirmation and publish each a queued activity: the textbook minimal workflow. */
export async function BaselineOrderWorkflow(input: OrderWorkflowInput): Promise<BaselineOutcome> {
  return order(input, queued);
}

/** The same with enrichment, confirmation and publish as local activities (validation stays queued for its limit). */
export async function BaselineLocalOrderWorkflow(input: OrderWorkflowInput): Promise<BaselineOutcome> {
  return order(input, local);
}
