// Schemas of the two inbound webhooks (contract §4). Unknown extra fields are stripped, missing or mistyped ones fail.
import { z } from 'zod';

const nonEmpty = z.string().trim().min(1).max(128);

export const OrderItemInput = z.object({
  item_id: nonEmpty,
  // The webhook may carry a bad quantity (0, 1.5, -2): that is a business mismatch found by validation, not a 400.
  quantity: z.number().finite(),
});
export type OrderItemInput = z.infer<typeof OrderItemInput>;

/** The `order` object of a webhook; a support correction carries the same shape. */
const OrderPayload = z.object({
  order_id: nonEmpty,
  items: z.array(OrderItemInput).min(1).max(500),
});

/** What is validated against the Commerce App: who ordered what, from a webhook or a support correction. */
export interface SubmittedOrder {
  customer_id: string;
  items: OrderItemInput[];
}

export const CommerceWebhookV1 = z.object({
  customer_id: nonEmpty,
  order: OrderPayload,
});
export type CommerceWebhookV1 = z.infer<typeof CommerceWebhookV1>;

export const PaymentCaptureV1 = z.object({
  customer_id: nonEmpty,
  rrn: nonEmpty,
  amount_cents: z.number().int().nonnegative(),
  metadata: z.object({ order_id: nonEmpty }),
});
export type PaymentCaptureV1 = z.infer<typeof PaymentCaptureV1>;

/** A support agent's corrected order (contract §3); validated against the Commerce App like a webhook. */
export const CorrectionRequest = z.object({
  customer_id: nonEmpty,
  order: OrderPayload,
  note: z.string().max(2000).default(''),
  agent: nonEmpty,
});
export type CorrectionRequest = z.infer<typeof CorrectionRequest>;

export const CancelRequest = z.object({ reason: z.string().trim().min(1).max(500) });
export type CancelRequest = z.infer<typeof CancelRequest>;

export const RetryRequest = z.object({ agent: nonEmpty.optional(), note: z.string().max(2000).optional() });
export type RetryRequest = z.infer<typeof RetryRequest>;

/**
 * Version 2 of the commerce webhook (contract §9): adds the optional customer e-mail — PII. Until Temporal payloads
 * are encrypted, the gateway validates it and drops it: it never reaches Temporal, the logs or the store.
 */
export const CommerceWebhookV2 = CommerceWebhookV1.extend({
  customer_email: z.email().max(254).optional(),
});
export type CommerceWebhookV2 = z.infer<typeof CommerceWebhookV2>;
