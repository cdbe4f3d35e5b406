// A run of OrderWorkflow that found the order already closed (the store's durable closure mark): Temporal's
// retention had dropped the closed run, so a late event started a fresh one. It reopens nothing and writes nothing
// to the order's record; every event it received is settled as a late event, then it completes.
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import type { TerminalStatus } from '../../contracts';
import { settleLateEvent } from '../late-events';
import type { OrderContext } from './order-context';

export async function handOverAsLateEvents(ctx: OrderContext, closedAs: TerminalStatus): Promise<{ status: TerminalStatus; orderId: string }> {
  const { data } = ctx;
  const { orderId } = data;
  // Validators read the phase: cancel and correction now answer "terminal", as they would on the closed run.
  data.phase = closedAs;
  let webhookSettled = false;
  for (;;) {
    const submission = data.submission;
    if (submission && !webhookSettled) {
      webhookSettled = true;
      const payload = { customer_id: submission.order.customer_id, order: { order_id: orderId, items: submission.order.items } };
      await settleLateEvent({
        orderId,
        eventId: `commerce:run-${workflowInfo().runId}`,
        event: { kind: 'commerce', receivedAt: new Date(submission.arrivedAt).toISOString(), payload },
      });
      continue;
    }
    const capture = data.pendingCaptures[0];
    if (capture) {
      const payload = { customer_id: data.customerId ?? '', rrn: capture.rrn, amount_cents: capture.amount_cents, metadata: { order_id: orderId } };
      await settleLateEvent({ orderId, eventId: `capture:${capture.rrn}`, event: { kind: 'payment', receivedAt: new Date(capture.arrivedAt).toISOString(), payload } });
      data.pendingCaptures.shift();
      continue;
    }
    if (allHandlersFinished()) return { status: closedAs, orderId };
    await condition(() => data.pendingCaptures.length > 0 || allHandlersFinished());
  }
}
