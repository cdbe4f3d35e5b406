// The request bodies the benchmarks send, shared by the in-process paths and the load-generator process: every call a
// fresh order id, so each signalWithStart starts a new workflow (a reused id would only signal, a closed one would take
// the late-event path: different work, not comparable).
import type { CommerceWebhookV1, PaymentCaptureV1 } from '../../contracts';
import { signBody } from '../../src/gateway/signature';

/** Every id has the same length, so every body has the same size on both paths. */
export function orderIdGenerator(prefix: string): () => string {
  let n = 0;
  return () => `bench-${prefix}-${String(++n).padStart(9, '0')}`;
}

export function commercePayload(orderId: string): CommerceWebhookV1 {
  return {
    customer_id: 'cust-bench-0001',
    order: {
      order_id: orderId,
      items: [
        { item_id: 'SKU-TSHIRT-M-BLUE', quantity: 2 },
        { item_id: 'SKU-JEANS-32-32', quantity: 1 },
      ],
    },
  };
}

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function signedCommerceRequest(secret: string, orderId: string): SignedRequest {
  const body = JSON.stringify(commercePayload(orderId));
  return { body, headers: { 'content-type': 'application/json', 'x-commerce-signature': signBody(secret, body) } };
}

/** What every bench order is paid with; the Payment fake of the e2e benchmark answers it for `benchRrn(orderId)`. */
export const BENCH_AMOUNT_CENTS = 4_999;

/** The RRN of a bench order's capture: derived from the order id, so a stateless Payment fake can answer it. */
export function benchRrn(orderId: string): string {
  return `rrn-${orderId}`;
}

export function capturePayload(orderId: string): PaymentCaptureV1 {
  return { customer_id: 'cust-bench-0001', rrn: benchRrn(orderId), amount_cents: BENCH_AMOUNT_CENTS, metadata: { order_id: orderId } };
}

export function signedCaptureRequest(secret: string, orderId: string): SignedRequest {
  const body = JSON.stringify(capturePayload(orderId));
  return { body, headers: { 'content-type': 'application/json', 'x-payment-signature': signBody(secret, body) } };
}

/** A workload as data, so it can be sent to the load-generator process. */
export interface WorkloadSpec {
  kind: 'commerce-webhook';
  secret: string;
  /** Unique per phase: ids never repeat within a run. */
  idPrefix: string;
}

export function requestFactory(spec: WorkloadSpec): () => SignedRequest {
  const nextId = orderIdGenerator(spec.idPrefix);
  return () => signedCommerceRequest(spec.secret, nextId());
}
