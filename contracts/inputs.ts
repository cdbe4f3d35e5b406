// Schemas of the inbound bodies (contract §4). Unknown extra fields are stripped, missing or mistyped ones fail.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------
// Identifiers and text (contract §4 "Identifiers and text"): the one place that defines what an id, an agent name,
// a note or a reason may contain. The gateway, the OpenAPI document, the docs and the tests all cite INPUT_RULES.
//
// Why an alphabet at all: a NUL in an order id was once answered 202 and then failed every store write for ever, and
// a trimmed id can differ from the one the sender signed. So nothing is trimmed or rewritten: a value outside its rule
// is a 400 naming the field. Lengths count Unicode code points (the `u` flag makes each quantifier count code points,
// and JSON Schema's minLength/maxLength count them too); in `u` mode a lone surrogate is one code point of category Cs,
// which none of the patterns accepts (PostgreSQL jsonb refuses lone surrogates).

export interface InputRule {
  /** The whole rule, length included, as one anchored `u`-flag pattern; also published as the JSON Schema pattern. */
  readonly pattern: RegExp;
  /** In Unicode code points. */
  readonly minLength: number;
  readonly maxLength: number;
  /** The rule in words: the 400 message ("must be …") and the OpenAPI description. */
  readonly rule: string;
}

const CONTROL = 'control characters (Unicode Cc: U+0000–U+001F, U+007F–U+009F)';

export const INPUT_RULES = {
  /**
   * order_id, customer_id, item_id, rrn (also metadata.order_id, a correction's order.order_id, and ids in a path).
   * Letters, marks and numbers of any script, plus `. _ : @ # + -` inside: so no whitespace, control or format
   * characters (zero-width, bidi overrides), no `/`, no symbols or emoji, and never `.` or `..` alone.
   */
  id: {
    pattern: /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}._:@#+-]{0,126}[\p{L}\p{M}\p{N}])?$/u,
    minLength: 1,
    maxLength: 128,
    rule:
      '1–128 Unicode code points, each a letter (\\p{L}), combining mark (\\p{M}), number (\\p{N}) or one of . _ : @ # + -, ' +
      'the first and the last a letter, mark or number (no whitespace, control or format characters, /, symbols or emoji; never trimmed)',
  },
  /** The support agent's name: one line of text, no whitespace at either end (a value trim() would change is refused). */
  agent: {
    pattern: /^[^\p{Cc}\p{Cs}\s](?:[^\p{Cc}\p{Cs}\u2028\u2029]{0,126}[^\p{Cc}\p{Cs}\s])?$/u,
    minLength: 1,
    maxLength: 128,
    rule: `1–128 Unicode code points of one line of text: no ${CONTROL}, no U+2028/U+2029, no lone surrogates, no whitespace at either end (never trimmed)`,
  },
  /** Free text; may span lines (\n) and hold tabs, the only control characters allowed anywhere. */
  note: {
    pattern: /^(?:[^\p{Cc}\p{Cs}]|[\t\n]){0,2000}$/u,
    minLength: 0,
    maxLength: 2000,
    rule: `at most 2000 Unicode code points of text: no ${CONTROL} other than line feed and tab, no lone surrogates`,
  },
  /** The cancel reason becomes the record's status_reason: one line, and something other than whitespace. */
  reason: {
    pattern: /^(?=.*\S)[^\p{Cc}\p{Cs}\u2028\u2029]{1,500}$/u,
    minLength: 1,
    maxLength: 500,
    rule: `1–500 Unicode code points of one line of text, not only whitespace: no ${CONTROL}, no U+2028/U+2029, no lone surrogates`,
  },
} as const satisfies Record<string, InputRule>;

/** A string schema that checks exactly one rule and shows it in /docs (pattern, code-point lengths, description). */
function ruled(rule: InputRule) {
  return z.string().regex(rule.pattern, `must be ${rule.rule}`).meta({ description: rule.rule, minLength: rule.minLength, maxLength: rule.maxLength });
}

export const Id = ruled(INPUT_RULES.id);
export const AgentName = ruled(INPUT_RULES.agent);
export const NoteText = ruled(INPUT_RULES.note);
export const ReasonText = ruled(INPUT_RULES.reason);

// ---------------------------------------------------------------------------------------------------------------
// The bodies.

export const OrderItemInput = z.object({
  item_id: Id,
  // The webhook may carry a bad quantity (0, 1.5, -2): that is a business mismatch found by validation, not a 400.
  quantity: z.number().finite(),
});
export type OrderItemInput = z.infer<typeof OrderItemInput>;

/** The `order` object of a webhook; a support correction carries the same shape. */
const OrderPayload = z.object({
  order_id: Id,
  items: z.array(OrderItemInput).min(1).max(500),
});

/** What is validated against the Commerce App: who ordered what, from a webhook or a support correction. */
export interface SubmittedOrder {
  customer_id: string;
  items: OrderItemInput[];
}

export const CommerceWebhookV1 = z.object({
  customer_id: Id,
  order: OrderPayload,
});
export type CommerceWebhookV1 = z.infer<typeof CommerceWebhookV1>;

export const PaymentCaptureV1 = z.object({
  customer_id: Id,
  rrn: Id,
  amount_cents: z.number().int().nonnegative(),
  metadata: z.object({ order_id: Id }),
});
export type PaymentCaptureV1 = z.infer<typeof PaymentCaptureV1>;

/** A support agent's corrected order (contract §3); validated against the Commerce App like a webhook. */
export const CorrectionRequest = z.object({
  customer_id: Id,
  order: OrderPayload,
  note: NoteText.default(''),
  agent: AgentName,
});
export type CorrectionRequest = z.infer<typeof CorrectionRequest>;

export const CancelRequest = z.object({ reason: ReasonText });
export type CancelRequest = z.infer<typeof CancelRequest>;

export const RetryRequest = z.object({ agent: AgentName.optional(), note: NoteText.optional() });
export type RetryRequest = z.infer<typeof RetryRequest>;

/** A support agent's decision on an order in RISK_REVIEW (contract §10). */
export const RiskDecisionRequest = z.object({
  decision: z.enum(['approve', 'reject']),
  agent: AgentName,
  note: NoteText.default(''),
});
export type RiskDecisionRequest = z.infer<typeof RiskDecisionRequest>;

/**
 * Version 2 of the commerce webhook (contract §9): adds the optional customer e-mail — PII. Until Temporal payloads
 * are encrypted, the gateway validates it and drops it: it never reaches Temporal, the logs or the store.
 */
export const CommerceWebhookV2 = CommerceWebhookV1.extend({
  customer_email: z.email().max(254).optional(),
});
export type CommerceWebhookV2 = z.infer<typeof CommerceWebhookV2>;
