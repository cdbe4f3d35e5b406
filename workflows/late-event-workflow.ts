// LateEventWorkflow: an event for an order whose workflow already closed. The closed order is never restarted;
// this short workflow records the event on the order's history and refunds a valid capture (no money without an order).
import { proxyActivities } from '@temporalio/workflow';
import type { LateEventInput } from '../contracts';
import type { OrderActivities } from '../activities';
import { ACTIVITY_OPTIONS } from './activity-options';

export type LateEventOutcome = 'recorded' | 'duplicate_capture' | 'capture_rejected' | 'capture_refunded';

export async function LateEventWorkflow(input: LateEventInput): Promise<LateEventOutcome> {
  const acts = proxyActivities<OrderActivities>(ACTIVITY_OPTIONS.lateEvent);
  const record = (reason: string) => acts.recordLateEvent({ orderId: input.orderId, eventId: input.eventId, at: new Date().toISOString(), reason });
  const { event } = input;

  if (event.kind === 'commerce') {
    await record('late commerce webhook after the order closed: ignored');
    return 'recorded';
  }

  const { rrn, amount_cents } = event.payload;
  const order = await acts.readDashboardRecord(input.orderId);
  if (order?.payment?.rrn === rrn) {
    // The capture that paid (and, if the order closed unforwarded, was refunded by) the order itself, delivered again.
    await record(`capture ${rrn} delivered again after the order closed: ignored`);
    return 'duplicate_capture';
  }
  const verdict = await acts.confirmCapture({ orderId: input.orderId, rrn, amountCents: amount_cents });
  if (!verdict.accepted) {
    await record(`late capture ${rrn} rejected: ${verdict.reason}`);
    return 'capture_rejected';
  }
  const status = order?.status ?? 'closed';
  await acts.refundCapture({ rrn, amountCents: amount_cents, reason: `order_${status.toLowerCase()}: late capture` });
  await record(`late capture ${rrn} refunded (${amount_cents} cents): the order is ${status}`);
  return 'capture_refunded';
}
