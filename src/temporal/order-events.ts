// Hands webhook events to Temporal: signalWithStart of OrderWorkflow, so whichever event comes first starts it.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy, type SignalDefinition } from '@temporalio/common';
import {
  commerceOrderReceived,
  orderWorkflowId,
  paymentCaptureReceived,
  TASK_QUEUES,
  type CommerceOrderEvent,
  type OrderWorkflowInput,
  type PaymentCaptureEvent,
} from '../../contracts';
import type { OrderWorkflow } from '../../workflows';

export type DeliveryOutcome = 'delivered' | 'order_closed';

/** What the gateway needs from the workflow engine; the webhook path makes no other call. */
export interface OrderEventSink {
  commerceOrder(event: CommerceOrderEvent): Promise<DeliveryOutcome>;
  paymentCapture(orderId: string, event: PaymentCaptureEvent): Promise<DeliveryOutcome>;
}

export function createTemporalOrderEvents(options: {
  client: Client;
  windows: Pick<OrderWorkflowInput, 'orderTtlMs' | 'paymentCaptureWindowMs'>;
}): OrderEventSink {
  async function deliver<E>(orderId: string, signal: SignalDefinition<[E]>, event: E): Promise<DeliveryOutcome> {
    const input: OrderWorkflowInput = { orderId, ...options.windows };
    try {
      await options.client.workflow.signalWithStart<typeof OrderWorkflow, [E]>('OrderWorkflow', {
        workflowId: orderWorkflowId(orderId),
        taskQueue: TASK_QUEUES.orders,
        args: [input],
        signal,
        signalArgs: [event],
        // A closed order is never restarted by a late event.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      return 'delivered';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'order_closed';
      throw err;
    }
  }
  return {
    commerceOrder: (event) => deliver(event.payload.order.order_id, commerceOrderReceived, event),
    paymentCapture: (orderId, event) => deliver(orderId, paymentCaptureReceived, event),
  };
}
