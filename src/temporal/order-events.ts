// Hands webhook events to Temporal: signalWithStart of OrderWorkflow, so whichever event comes first starts it; an
// event for an order that already closed goes to a short LateEventWorkflow instead (the order is never restarted).
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type SignalDefinition } from '@temporalio/common';
import {
  commerceOrderReceived,
  CustomerIdAttribute,
  OrderStatusAttribute,
  OrderStatusSinceAttribute,
  LATE_EVENT_WORKFLOW_TYPE,
  lateCaptureWorkflowId,
  lateOrderEventWorkflowId,
  ORDER_WORKFLOW_TYPE,
  orderWorkflowId,
  paymentCaptureReceived,
  TASK_QUEUES,
  type CommerceOrderEvent,
  type LateEvent,
  type OrderStatus,
  type OrderWorkflowInput,
  type PaymentCaptureEvent,
} from '../../contracts';
import type { LateEventWorkflow, OrderWorkflow } from '../../workflows';

export type DeliveryOutcome = 'delivered' | 'late_event';

/** What the gateway needs from the workflow engine; the webhook path makes no other call. */
export interface OrderEventSink {
  commerceOrder(event: CommerceOrderEvent): Promise<DeliveryOutcome>;
  paymentCapture(orderId: string, event: PaymentCaptureEvent): Promise<DeliveryOutcome>;
}

/** The gateway's receipt stamp as a Date; a stamp that does not parse (never from the gateway itself) is now. */
function receiptTime(receivedAt: string): Date {
  const t = Date.parse(receivedAt);
  return new Date(Number.isFinite(t) ? t : Date.now());
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

export function createTemporalOrderEvents(options: {
  client: Client;
  windows: Pick<OrderWorkflowInput, 'orderTtlMs' | 'paymentCaptureWindowMs' | 'stepRetryBudgetMs'>;
}): OrderEventSink {
  const { client } = options;

  /**
   * `shown`: the search attributes the order starts with, as its first run would set them. Given at the start they
   * cost no history event; the workflow upserts only when they change (workflows/order/order-context.ts). The
   * status holds since the event's receipt: the first status begins with the order.
   */
  async function deliver<E>(orderId: string, signal: SignalDefinition<[E]>, event: E, shown: { status: OrderStatus; customerId: string; since: Date }): Promise<boolean> {
    const input: OrderWorkflowInput = { orderId, ...options.windows };
    try {
      await client.workflow.signalWithStart<typeof OrderWorkflow, [E]>(ORDER_WORKFLOW_TYPE, {
        workflowId: orderWorkflowId(orderId),
        taskQueue: TASK_QUEUES.orders,
        args: [input],
        signal,
        signalArgs: [event],
        typedSearchAttributes: [
          { key: OrderStatusAttribute, value: shown.status },
          { key: CustomerIdAttribute, value: shown.customerId },
          { key: OrderStatusSinceAttribute, value: shown.since },
        ],
        // A closed order is never restarted by a late event.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  async function handleLate(orderId: string, workflowId: string, eventId: string, event: LateEvent): Promise<DeliveryOutcome> {
    try {
      await client.workflow.start<typeof LateEventWorkflow>(LATE_EVENT_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: TASK_QUEUES.orders,
        args: [{ orderId, eventId, event }],
        // The order it belongs to, readable from visibility without the input (a late capture's id names only its
        // RRN): the remediation sweeper lists failed late-event runs by order.
        memo: { orderId },
        // The same late event delivered again joins the running one, and is refused once it completed: handled once.
        // A run that did not complete (failed, timed out, terminated, cancelled) may have left its work half done, so
        // the next delivery starts it again instead of being a 202 nobody acts on. A rerun does nothing twice: the
        // refund goes by its Idempotency-Key and the history entry is written once per event.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return 'late_event';
  }

  return {
    async commerceOrder(event) {
      const orderId = event.payload.order.order_id;
      if (await deliver(orderId, commerceOrderReceived, event, { status: 'VALIDATING', customerId: event.payload.customer_id, since: receiptTime(event.receivedAt) })) return 'delivered';
      const bodyDigest = digest(event.payload);
      return handleLate(orderId, lateOrderEventWorkflowId(orderId, bodyDigest), `commerce:${bodyDigest}`, { kind: 'commerce', ...event });
    },
    async paymentCapture(orderId, event) {
      if (await deliver(orderId, paymentCaptureReceived, event, { status: 'AWAITING_ORDER', customerId: event.payload.customer_id, since: receiptTime(event.receivedAt) })) return 'delivered';
      const { rrn } = event.payload;
      return handleLate(orderId, lateCaptureWorkflowId(rrn), `capture:${rrn}`, { kind: 'payment', ...event });
    },
  };
}
