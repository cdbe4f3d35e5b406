// The order's public shapes: lifecycle statuses (contract §6), the dashboard record and the Kafka message (§7).
import { z } from 'zod';

export const OrderStatus = z.enum([
  'AWAITING_ORDER',
  'VALIDATING',
  'NEEDS_CORRECTION',
  'ENRICHING',
  'AWAITING_PAYMENT',
  /** vNext (contract §10): the paid, enriched order is being assessed by the Risk API (an internal status). */
  'ASSESSING_RISK',
  /** vNext: the Risk API asked for a review; the order waits for a support agent's decision. */
  'RISK_REVIEW',
  'FORWARDING',
  /** A step exhausted its retries (an upstream down for long): waits for an operator's retry. */
  'PARKED',
  'FORWARDED',
  'CANCELLED',
  'EXPIRED',
]);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const TERMINAL_STATUSES = ['FORWARDED', 'CANCELLED', 'EXPIRED'] as const satisfies readonly OrderStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminal(status: OrderStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly OrderStatus[]).includes(status);
}

/** One named reason why an order does not match the Commerce App's record. */
export const ValidationError = z.object({
  code: z.enum([
    'order_not_found',
    'customer_mismatch',
    'item_missing',
    'item_unexpected',
    'quantity_mismatch',
    'quantity_not_positive_integer',
    'item_unknown_in_pim',
  ]),
  item_id: z.string().optional(),
  detail: z.string(),
});
export type ValidationError = z.infer<typeof ValidationError>;

export const DashboardItem = z.object({
  item_id: z.string(),
  quantity: z.number(),
  sku_id: z.string().optional(),
  brand_code: z.string().optional(),
});
export type DashboardItem = z.infer<typeof DashboardItem>;

export const HistoryEntry = z.object({
  status: OrderStatus,
  at: z.string(),
  reason: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** A step that exhausted its retry budget: it goes on retrying by itself with long backoff, and alerts meanwhile. */
export const ParkedStep = z.object({
  step: z.string(),
  error: z.string(),
  since: z.string(),
});
export type ParkedStep = z.infer<typeof ParkedStep>;

export const DashboardRecord = z.object({
  order_id: z.string(),
  customer_id: z.string(),
  status: OrderStatus,
  status_reason: z.string().nullable(),
  items: z.array(DashboardItem),
  payment: z.object({ rrn: z.string(), amount_cents: z.number(), captured_at: z.string() }).optional(),
  validation_errors: z.array(ValidationError),
  submitted_at: z.string(),
  expires_at: z.string(),
  updated_at: z.string(),
  history: z.array(HistoryEntry),
  /**
   * Steps waiting for their next automatic retry (an upstream down past the step's budget). Shown beside the
   * business status: a CANCELLED order whose refund is retrying stays CANCELLED, with the refund listed here.
   * Records written before this field existed read as none.
   */
  parked_steps: z.array(ParkedStep).default([]),
  /**
   * The customer's e-mail sealed under their data key (docs/pii.md): stored, never returned. GET /v1/orders/{id}
   * answers with `customer_email` opened from it instead; every other route leaves it out (PublicRecord).
   */
  customer_email_sealed: z.string().optional(),
});
export type DashboardRecord = z.infer<typeof DashboardRecord>;

/** The record as the API returns it: never the sealed e-mail (contract §9). */
export const PublicRecord = DashboardRecord.omit({ customer_email_sealed: true });
export type PublicRecord = z.infer<typeof PublicRecord>;

/**
 * `GET /v1/orders/{order_id}`: the record with the customer's e-mail opened, for the support token only. Absent when
 * the order came without one; null once the customer was forgotten (the data key is destroyed).
 */
export const SupportOrderView = PublicRecord.extend({ customer_email: z.email().nullable().optional() });
export type SupportOrderView = z.infer<typeof SupportOrderView>;

export const EnrichedItem = z.object({
  item_id: z.string(),
  sku_id: z.string(),
  brand_code: z.string(),
  quantity: z.number(),
});
export type EnrichedItem = z.infer<typeof EnrichedItem>;

export const FulfillmentMessage = z.object({
  customer_id: z.string(),
  order_id: z.string(),
  payment_details: z.object({ rrn: z.string() }),
  items: z.array(EnrichedItem),
});
export type FulfillmentMessage = z.infer<typeof FulfillmentMessage>;
