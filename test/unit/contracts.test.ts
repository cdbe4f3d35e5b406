// Unit tests of the inbound webhook schemas (contract §4): what passes, what is stripped, what fails and where.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CommerceWebhookV1, PaymentCaptureV1 } from '../../contracts';

function commerceBody(): Record<string, unknown> {
  return {
    customer_id: 'cus-007',
    order: {
      order_id: 'ord-0001',
      items: [
        { item_id: 'itm-tee-navy-m', quantity: 2 },
        { item_id: 'itm-jeans-blue-32', quantity: 1 },
      ],
    },
  };
}

function paymentBody(): Record<string, unknown> {
  return { customer_id: 'cus-007', rrn: 'rrn-0001', amount_cents: 7_450, metadata: { order_id: 'ord-0001' } };
}

/** The dotted paths of every failing field, as the gateway's errors[] would name them. */
function failingPaths(schema: z.ZodType, body: unknown): string[] {
  const result = schema.safeParse(body);
  expect(result.success, 'expected the body to be rejected').toBe(false);
  return result.success ? [] : result.error.issues.map((i) => i.path.map(String).join('.'));
}

describe('CommerceWebhookV1', () => {
  it('accepts a valid body unchanged', () => {
    const body = commerceBody();
    expect(CommerceWebhookV1.parse(body)).toEqual(body);
  });

  it('strips unknown extra fields at every level', () => {
    const body = {
      ...commerceBody(),
      channel: 'web',
      order: {
        order_id: 'ord-0001',
        coupon: 'XMAS',
        items: [{ item_id: 'itm-tee-navy-m', quantity: 2, gift_wrap: true }],
      },
    };
    const parsed = CommerceWebhookV1.parse(body);
    expect(parsed).toEqual({ customer_id: 'cus-007', order: { order_id: 'ord-0001', items: [{ item_id: 'itm-tee-navy-m', quantity: 2 }] } });
    expect(parsed).not.toHaveProperty('channel');
    expect(parsed.order).not.toHaveProperty('coupon');
    expect(parsed.order.items[0]).not.toHaveProperty('gift_wrap');
  });

  it.each([
    ['customer_id missing', (b: Record<string, unknown>) => delete b.customer_id, 'customer_id'],
    ['customer_id a number', (b: Record<string, unknown>) => (b.customer_id = 7), 'customer_id'],
    ['customer_id empty', (b: Record<string, unknown>) => (b.customer_id = ''), 'customer_id'],
    ['customer_id blank', (b: Record<string, unknown>) => (b.customer_id = '   '), 'customer_id'],
    ['order missing', (b: Record<string, unknown>) => delete b.order, 'order'],
    ['order a string', (b: Record<string, unknown>) => (b.order = 'ord-0001'), 'order'],
    ['order_id missing', (b: Record<string, unknown>) => (b.order = { items: [{ item_id: 'x', quantity: 1 }] }), 'order.order_id'],
    ['order_id empty', (b: Record<string, unknown>) => (b.order = { order_id: '', items: [{ item_id: 'x', quantity: 1 }] }), 'order.order_id'],
    ['items missing', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1' }), 'order.items'],
    ['items empty', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [] }), 'order.items'],
    ['items an object', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: { item_id: 'x', quantity: 1 } }), 'order.items'],
    ['item_id missing', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ quantity: 1 }] }), 'order.items.0.item_id'],
    ['item_id empty', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: '', quantity: 1 }] }), 'order.items.0.item_id'],
    ['quantity missing', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x' }] }), 'order.items.0.quantity'],
    ['quantity a string', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x', quantity: '2' }] }), 'order.items.0.quantity'],
    ['quantity null', (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x', quantity: null }] }), 'order.items.0.quantity'],
    [
      'second item quantity a string',
      (b: Record<string, unknown>) => (b.order = { order_id: 'ord-1', items: [{ item_id: 'x', quantity: 1 }, { item_id: 'y', quantity: 'one' }] }),
      'order.items.1.quantity',
    ],
  ])('rejects a body with %s, naming %s', (_name, mutate, path) => {
    const body = commerceBody();
    mutate(body);
    expect(failingPaths(CommerceWebhookV1, body)).toEqual([path]);
  });

  it('names every bad field when several are wrong', () => {
    const body = { customer_id: '', order: { order_id: 42, items: [{ item_id: 'x', quantity: '1' }] } };
    expect(failingPaths(CommerceWebhookV1, body).sort()).toEqual(['customer_id', 'order.items.0.quantity', 'order.order_id']);
  });

  it.each([
    ['JSON null', null],
    ['an array', [commerceBody()]],
    ['a string', 'order'],
  ])('rejects %s as the whole body', (_name, body) => {
    expect(CommerceWebhookV1.safeParse(body).success).toBe(false);
  });

  it.each([0, -1, 1.5, 1e6])('lets quantity %s through: a bad quantity is a business mismatch found by validation, not a 400', (quantity) => {
    const parsed = CommerceWebhookV1.parse({ customer_id: 'cus-007', order: { order_id: 'ord-1', items: [{ item_id: 'x', quantity }] } });
    expect(parsed.order.items[0]?.quantity).toBe(quantity);
  });
});

describe('PaymentCaptureV1', () => {
  it('accepts a valid body unchanged', () => {
    const body = paymentBody();
    expect(PaymentCaptureV1.parse(body)).toEqual(body);
  });

  it('strips unknown extra fields, also inside metadata', () => {
    const parsed = PaymentCaptureV1.parse({ ...paymentBody(), currency: 'EUR', metadata: { order_id: 'ord-0001', source: 'psp' } });
    expect(parsed).toEqual(paymentBody());
  });

  it.each([
    ['customer_id missing', (b: Record<string, unknown>) => delete b.customer_id, 'customer_id'],
    ['rrn missing', (b: Record<string, unknown>) => delete b.rrn, 'rrn'],
    ['rrn empty', (b: Record<string, unknown>) => (b.rrn = ''), 'rrn'],
    ['rrn a number', (b: Record<string, unknown>) => (b.rrn = 1234), 'rrn'],
    ['amount_cents missing', (b: Record<string, unknown>) => delete b.amount_cents, 'amount_cents'],
    ['amount_cents a string', (b: Record<string, unknown>) => (b.amount_cents = '7450'), 'amount_cents'],
    ['amount_cents fractional', (b: Record<string, unknown>) => (b.amount_cents = 74.5), 'amount_cents'],
    ['amount_cents negative', (b: Record<string, unknown>) => (b.amount_cents = -1), 'amount_cents'],
    ['metadata missing', (b: Record<string, unknown>) => delete b.metadata, 'metadata'],
    ['metadata.order_id missing', (b: Record<string, unknown>) => (b.metadata = {}), 'metadata.order_id'],
    ['metadata.order_id empty', (b: Record<string, unknown>) => (b.metadata = { order_id: '' }), 'metadata.order_id'],
  ])('rejects a body with %s, naming %s', (_name, mutate, path) => {
    const body = paymentBody();
    mutate(body);
    expect(failingPaths(PaymentCaptureV1, body)).toEqual([path]);
  });
});
