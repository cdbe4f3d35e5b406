// Deterministic seed data shared by the three simulators (Commerce App, PIM, Payment API) and the demo:
// a clothing catalogue, 1000 orders and one captured payment per order. Pure data, identical on every run.

export const PAYMENT_STATUSES = ['authorized', 'captured', 'voided', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface OrderLine {
  readonly item_id: string;
  readonly quantity: number;
}

/** The Commerce App's view of an order (contract §5). */
export interface OrderRecord {
  readonly order_id: string;
  readonly customer_id: string;
  readonly items: readonly OrderLine[];
  readonly placed_at: string;
}

/** The PIM's view of an item (contract §5). */
export interface ItemRecord {
  readonly item_id: string;
  readonly sku_id: string;
  readonly brand_code: string;
}

/** A catalogue entry: the PIM record plus what the seed needs to price orders (PIM never returns these). */
export interface CatalogueItem extends ItemRecord {
  readonly name: string;
  readonly unit_price_cents: number;
}

/** The Payment API's view of a payment (contract §5). */
export interface PaymentRecord {
  readonly rrn: string;
  readonly order_id: string;
  readonly amount_cents: number;
  readonly status: PaymentStatus;
}

export const SEEDED_ORDER_COUNT = 1000;
export const SEEDED_CUSTOMER_COUNT = 50;

// Ten garments in three variants each; the unit price is per garment so every variant costs the same.
const PRODUCTS: ReadonlyArray<{
  slug: string;
  name: string;
  brand: string;
  price: number;
  variants: readonly string[];
}> = [
  { slug: 'tee', name: 'Crew T-shirt', brand: 'NORTHWIND', price: 1900, variants: ['navy-m', 'white-l', 'black-s'] },
  { slug: 'hoodie', name: 'Fleece hoodie', brand: 'NORTHWIND', price: 5900, variants: ['grey-m', 'black-l', 'forest-xl'] },
  { slug: 'jeans', name: 'Slim jeans', brand: 'ATLAS', price: 7900, variants: ['indigo-32', 'black-30', 'stone-34'] },
  { slug: 'chino', name: 'Chino trousers', brand: 'ATLAS', price: 6500, variants: ['khaki-32', 'navy-34', 'olive-30'] },
  { slug: 'sneaker', name: 'Canvas sneaker', brand: 'KESTREL', price: 8900, variants: ['white-42', 'black-44', 'red-40'] },
  { slug: 'jacket', name: 'Denim jacket', brand: 'KESTREL', price: 12900, variants: ['blue-m', 'black-l', 'ecru-s'] },
  { slug: 'dress', name: 'Wrap dress', brand: 'MERIDIAN', price: 9900, variants: ['rust-s', 'navy-m', 'sage-l'] },
  { slug: 'sweater', name: 'Merino sweater', brand: 'MERIDIAN', price: 8400, variants: ['camel-m', 'grey-l', 'navy-s'] },
  { slug: 'cap', name: 'Baseball cap', brand: 'HALYARD', price: 2400, variants: ['navy-os', 'black-os', 'sand-os'] },
  { slug: 'socks', name: 'Cotton socks 3-pack', brand: 'HALYARD', price: 1200, variants: ['white-m', 'black-l', 'grey-s'] },
];

function freezeAll<T extends object>(values: T[]): readonly T[] {
  for (const value of values) Object.freeze(value);
  return Object.freeze(values);
}

export const seededCatalogue: readonly CatalogueItem[] = freezeAll(
  PRODUCTS.flatMap((product, p) =>
    product.variants.map((variant, v) => ({
      item_id: `itm-${product.slug}-${variant}`,
      sku_id: `SKU-${200101 + p * 100 + v}`,
      brand_code: product.brand,
      name: `${product.name} (${variant})`,
      unit_price_cents: product.price,
    })),
  ),
);

/** mulberry32: a tiny seeded PRNG, so the order book (and a chaos run's orders) are the same on every machine and run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
export const seededOrderId = (n: number): string => `ord-${pad(n, 4)}`;
export const seededRrn = (n: number): string => `rrn-${pad(n, 4)}`;

const PLACED_FROM = Date.parse('2026-10-01T08:00:00.000Z');

function buildOrderBook(): { orders: OrderRecord[]; payments: PaymentRecord[] } {
  const random = seededRandom(20261001);
  const pick = (n: number): number => Math.floor(random() * n);
  const orders: OrderRecord[] = [];
  const payments: PaymentRecord[] = [];
  let placedAt = PLACED_FROM;
  for (let n = 1; n <= SEEDED_ORDER_COUNT; n++) {
    // Distinct items per order (a partial Fisher-Yates over the catalogue indexes).
    const indexes = seededCatalogue.map((_, i) => i);
    const lineCount = 1 + pick(4);
    const items: OrderLine[] = [];
    let amount = 0;
    for (let line = 0; line < lineCount; line++) {
      const j = line + pick(indexes.length - line);
      const chosen = indexes[j] ?? 0;
      indexes[j] = indexes[line] ?? 0;
      indexes[line] = chosen;
      const item = seededCatalogue[chosen];
      if (item === undefined) throw new Error(`seed: catalogue index ${chosen} out of range`);
      const quantity = 1 + pick(3);
      items.push(Object.freeze({ item_id: item.item_id, quantity }));
      amount += item.unit_price_cents * quantity;
    }
    placedAt += (1 + pick(15)) * 60_000;
    // Round-robin customers so each of the 50 has exactly 20 orders (handy for the per-customer dashboard).
    const customerId = `cus-${pad(((n - 1) % SEEDED_CUSTOMER_COUNT) + 1, 3)}`;
    orders.push({
      order_id: seededOrderId(n),
      customer_id: customerId,
      items: Object.freeze(items),
      placed_at: new Date(placedAt).toISOString(),
    });
    payments.push({ rrn: seededRrn(n), order_id: seededOrderId(n), amount_cents: amount, status: 'captured' });
  }
  return { orders, payments };
}

const orderBook = buildOrderBook();

export const seededOrders: readonly OrderRecord[] = freezeAll(orderBook.orders);
export const seededPayments: readonly PaymentRecord[] = freezeAll(orderBook.payments);

const paymentByOrderId: ReadonlyMap<string, PaymentRecord> = new Map(seededPayments.map((p) => [p.order_id, p]));

/** The seeded (captured) payment of a seeded order, e.g. to build the matching capture callback in the demo. */
export function seededPaymentForOrder(orderId: string): PaymentRecord | undefined {
  return paymentByOrderId.get(orderId);
}
