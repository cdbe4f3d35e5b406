// Response schemas of the external APIs the service calls (contract §5); clients parse every answer through these.
import { z } from 'zod';

export const CommerceOrderRecord = z.object({
  order_id: z.string(),
  customer_id: z.string(),
  items: z.array(z.object({ item_id: z.string(), quantity: z.number() })),
  placed_at: z.string(),
});
export type CommerceOrderRecord = z.infer<typeof CommerceOrderRecord>;

export const PimItem = z.object({ item_id: z.string(), sku_id: z.string(), brand_code: z.string() });
export type PimItem = z.infer<typeof PimItem>;

export const PaymentStatus = z.enum(['authorized', 'captured', 'voided', 'refunded']);
export const PaymentRecord = z.object({
  rrn: z.string(),
  order_id: z.string(),
  amount_cents: z.number(),
  status: PaymentStatus,
});
export type PaymentRecord = z.infer<typeof PaymentRecord>;

/** Contract §10: the Risk API's assessment of one order (vNext). `review` waits for a support agent's decision. */
export const RiskDecision = z.enum(['approve', 'review', 'reject']);
export type RiskDecision = z.infer<typeof RiskDecision>;
export const RiskAssessment = z.object({
  decision: RiskDecision,
  score: z.number(),
  reasons: z.array(z.string()),
});
export type RiskAssessment = z.infer<typeof RiskAssessment>;
