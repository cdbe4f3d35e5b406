// The orders of a chaos run and what each must end as (contract §6): a seeded, reproducible mix of arrival orders,
// duplicates, invalid-then-corrected, cancelled, never-captured and twice-paid orders. Pure: no I/O.
import { seededRandom } from '../simulators/seed';

export type OrderKind = 'normal' | 'duplicate' | 'invalid' | 'cancelled' | 'never_captured' | 'second_payment';
export type Arrival = 'webhook_first' | 'capture_first';
export type Duplicated = 'webhook' | 'capture' | 'both';

export interface Line {
  item_id: string;
  quantity: number;
}

export interface PlannedOrder {
  orderId: string;
  customerId: string;
  kind: OrderKind;
  arrival: Arrival;
  /** Which deliveries a `duplicate` order sends twice. */
  duplicated?: Duplicated;
  /** What the Commerce App holds (and what a correction sends). */
  commerceItems: Line[];
  /** What the webhook says: the Commerce App's lines, except for an `invalid` order. */
  webhookItems: Line[];
  amountCents: number;
  /** The RRNs captured for this order, in the order their callbacks are sent (none, one, or two). */
  rrns: string[];
}

export interface Expected {
  status: 'FORWARDED' | 'CANCELLED';
  /** The status_reason that must come with it, when the contract names one. */
  reason?: string;
  /** Messages on order-fulfillment: exactly 1 when forwarded (more are duplicates, counted apart), else 0. */
  messages: 0 | 1;
  /** RRNs that must be refunded exactly once; every other RRN of the order never. */
  refunded: string[];
}

/** Shares of the mix (issue 13 item 1); the rest are plain orders. */
export const MIX: Readonly<Record<Exclude<OrderKind, 'normal'>, number>> = {
  duplicate: 0.1,
  invalid: 0.1,
  cancelled: 0.05,
  never_captured: 0.05,
  second_payment: 0.02,
};

/** The item pool: few enough that PIM lookups repeat, as in a real catalogue. */
export const ITEM_POOL = Array.from({ length: 24 }, (_, i) => ({
  item_id: `chaos-item-${String(i + 1).padStart(2, '0')}`,
  sku_id: `SKU-${1000 + i}`,
  brand_code: ['ACME', 'NORD', 'SOLE'][i % 3] ?? 'ACME',
}));

/** How many orders of each kind a run of `n` has (each share rounded; at least one of each from 50 orders on). */
export function kindCounts(n: number): Record<OrderKind, number> {
  const counts = { normal: 0, duplicate: 0, invalid: 0, cancelled: 0, never_captured: 0, second_payment: 0 };
  let special = 0;
  for (const [kind, share] of Object.entries(MIX) as Array<[Exclude<OrderKind, 'normal'>, number]>) {
    const c = Math.max(n >= 50 ? 1 : 0, Math.round(n * share));
    counts[kind] = c;
    special += c;
  }
  counts.normal = Math.max(0, n - special);
  return counts;
}

export function planOrders(n: number, seed: number, runId: string): PlannedOrder[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const kinds: OrderKind[] = [];
  for (const [kind, c] of Object.entries(kindCounts(n)) as Array<[OrderKind, number]>) for (let i = 0; i < c; i++) kinds.push(kind);
  // Fisher–Yates, so the kinds are spread over the whole run (and over every fault window).
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as OrderKind, kinds[i] as OrderKind];
  }
  return kinds.slice(0, n).map((kind, i) => {
    const orderId = `chaos-${runId}-${String(i + 1).padStart(5, '0')}`;
    const lineCount = 1 + Math.floor(random() * 3);
    const chosen = new Set<string>();
    while (chosen.size < lineCount) chosen.add(pick(ITEM_POOL).item_id);
    const commerceItems = [...chosen].map((item_id) => ({ item_id, quantity: 1 + Math.floor(random() * 4) }));
    // An invalid order's webhook disagrees with the Commerce App on one quantity.
    const webhookItems =
      kind === 'invalid' ? commerceItems.map((l, j) => (j === 0 ? { ...l, quantity: l.quantity + 1 } : { ...l })) : commerceItems.map((l) => ({ ...l }));
    const captured = kind !== 'cancelled' && kind !== 'never_captured';
    const arrival: Arrival = captured && random() < 0.5 ? 'capture_first' : 'webhook_first';
    const rrns = !captured ? [] : kind === 'second_payment' ? [`rrn-${orderId}-a`, `rrn-${orderId}-b`] : [`rrn-${orderId}`];
    return {
      orderId,
      customerId: `chaos-cus-${1 + Math.floor(random() * 200)}`,
      kind,
      arrival,
      ...(kind === 'duplicate' ? { duplicated: pick(['webhook', 'capture', 'both'] as const) } : {}),
      commerceItems,
      webhookItems,
      amountCents: 500 + Math.floor(random() * 20_000),
      rrns,
    };
  });
}

/** The final state contract §6 requires of an order of this plan. */
export function expectedOutcome(order: PlannedOrder): Expected {
  switch (order.kind) {
    case 'cancelled':
      return { status: 'CANCELLED', messages: 0, refunded: [] };
    case 'never_captured':
      return { status: 'CANCELLED', reason: 'payment_not_captured', messages: 0, refunded: [] };
    case 'second_payment':
      // One RRN pays; the other was captured too, and nothing keeps money for nothing: it is refunded once.
      return { status: 'FORWARDED', messages: 1, refunded: order.rrns.slice(1) };
    default:
      return { status: 'FORWARDED', messages: 1, refunded: [] };
  }
}

/** The deliveries of one order, in order; `cancel` and `correct` are support commands. */
export type Step = { kind: 'commerce' } | { kind: 'capture'; rrn: string } | { kind: 'cancel' } | { kind: 'correct' };

export function stepsOf(order: PlannedOrder): Step[] {
  const commerce: Step[] = [{ kind: 'commerce' }];
  const [first, second] = order.rrns;
  const captures: Step[] = order.rrns.map((rrn) => ({ kind: 'capture', rrn }));
  if (order.duplicated === 'webhook' || order.duplicated === 'both') commerce.push({ kind: 'commerce' });
  if ((order.duplicated === 'capture' || order.duplicated === 'both') && first !== undefined) captures.push({ kind: 'capture', rrn: first });
  let steps: Step[];
  if (order.kind === 'second_payment' && order.arrival === 'capture_first' && first !== undefined && second !== undefined) {
    steps = [{ kind: 'capture', rrn: first }, ...commerce, { kind: 'capture', rrn: second }];
  } else {
    steps = order.arrival === 'capture_first' ? [...captures, ...commerce] : [...commerce, ...captures];
  }
  if (order.kind === 'cancelled') steps.push({ kind: 'cancel' });
  if (order.kind === 'invalid') steps.push({ kind: 'correct' });
  return steps;
}
