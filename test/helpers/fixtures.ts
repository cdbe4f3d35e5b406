// Test data shared by unit, workflow and end-to-end tests: webhook bodies and events for one order.
import type { CommerceOrderEvent, CommerceWebhookV1, PaymentCaptureEvent, PaymentCaptureV1 } from '../../contracts';

export function commerceWebhook(orderId: string, overrides: Partial<CommerceWebhookV1> = {}): CommerceWebhookV1 {
  return {
    customer_id: 'cus-007',
    order: {
      order_id: orderId,
      items: [
        { item_id: 'itm-tee-navy-m', quantity: 2 },
        { item_id: 'itm-jeans-blue-32', quantity: 1 },
      ],
    },
    ...overrides,
  };
}

export function paymentCapture(orderId: string, overrides: Partial<PaymentCaptureV1> = {}): PaymentCaptureV1 {
  return { customer_id: 'cus-007', rrn: `rrn-${orderId}`, amount_cents: 7_450, metadata: { order_id: orderId }, ...overrides };
}

export function commerceEvent(orderId: string, receivedAt = new Date().toISOString()): CommerceOrderEvent {
  return { receivedAt, payload: commerceWebhook(orderId) };
}

export function captureEvent(orderId: string, overrides: Partial<PaymentCaptureV1> = {}, receivedAt = new Date().toISOString()): PaymentCaptureEvent {
  return { receivedAt, payload: paymentCapture(orderId, overrides) };
}

let counter = 0;
/** Unique per test run, so tests against a long-lived server never collide with a closed workflow id. */
export function uniqueOrderId(prefix = 'ord-test'): string {
  counter++;
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}
