// Unit tests of the validation rule (contract §5): same customer, same items, same quantities, positive integers.
import { describe, expect, it } from 'vitest';
import type { CommerceOrderRecord, SubmittedOrder, ValidationError } from '../../contracts';
import { compareWithCommerceRecord } from '../../src/domain/order-comparison';

const record: CommerceOrderRecord = {
  order_id: 'ord-0001',
  customer_id: 'cus-007',
  items: [
    { item_id: 'itm-tee', quantity: 2 },
    { item_id: 'itm-jeans', quantity: 1 },
  ],
  placed_at: '2026-11-22T10:00:00.000Z',
};

function submitted(items: SubmittedOrder['items'], customer_id = 'cus-007'): SubmittedOrder {
  return { customer_id, items };
}

function codes(errors: ValidationError[]): Array<[string, string | undefined]> {
  return errors.map((e) => [e.code, e.item_id]);
}

describe('compareWithCommerceRecord', () => {
  it('finds nothing when customer, items and quantities match', () => {
    expect(compareWithCommerceRecord(submitted([{ item_id: 'itm-tee', quantity: 2 }, { item_id: 'itm-jeans', quantity: 1 }]), record)).toEqual([]);
  });

  it('ignores the order of the lines', () => {
    expect(compareWithCommerceRecord(submitted([{ item_id: 'itm-jeans', quantity: 1 }, { item_id: 'itm-tee', quantity: 2 }]), record)).toEqual([]);
  });

  it('sums duplicate lines exactly past 2^53: the same lines in another order still match', () => {
    const lines = [
      { item_id: 'itm-x', quantity: Number.MAX_SAFE_INTEGER },
      { item_id: 'itm-x', quantity: 2 },
      { item_id: 'itm-x', quantity: 1 },
    ];
    const big: CommerceOrderRecord = { ...record, items: [...lines].reverse() };
    expect(compareWithCommerceRecord(submitted(lines), big)).toEqual([]);
    expect(codes(compareWithCommerceRecord(submitted(lines.slice(0, 2)), big))).toEqual([['quantity_mismatch', 'itm-x']]);
  });

  it('reports a different customer', () => {
    const errors = compareWithCommerceRecord(submitted(record.items, 'cus-999'), record);
    expect(codes(errors)).toEqual([['customer_mismatch', undefined]]);
    expect(errors[0]?.detail).toContain('cus-999');
    expect(errors[0]?.detail).toContain('cus-007');
  });

  it('reports an item the Commerce App has but the webhook lacks', () => {
    const errors = compareWithCommerceRecord(submitted([{ item_id: 'itm-tee', quantity: 2 }]), record);
    expect(codes(errors)).toEqual([['item_missing', 'itm-jeans']]);
  });

  it('reports an item the webhook has but the Commerce App does not', () => {
    const errors = compareWithCommerceRecord(submitted([...record.items, { item_id: 'itm-socks', quantity: 3 }]), record);
    expect(codes(errors)).toEqual([['item_unexpected', 'itm-socks']]);
  });

  it('reports a different quantity, naming both numbers', () => {
    const errors = compareWithCommerceRecord(submitted([{ item_id: 'itm-tee', quantity: 3 }, { item_id: 'itm-jeans', quantity: 1 }]), record);
    expect(codes(errors)).toEqual([['quantity_mismatch', 'itm-tee']]);
    expect(errors[0]?.detail).toMatch(/3/);
    expect(errors[0]?.detail).toMatch(/2/);
  });

  it.each([0, -1, 1.5])('reports quantity %s as not a positive integer', (quantity) => {
    const rec: CommerceOrderRecord = { ...record, items: [{ item_id: 'itm-tee', quantity }] };
    const errors = compareWithCommerceRecord(submitted([{ item_id: 'itm-tee', quantity }]), rec);
    // Even when the Commerce App holds the same odd quantity, the order is not valid.
    expect(codes(errors)).toEqual([['quantity_not_positive_integer', 'itm-tee']]);
  });

  it('reports a non-positive quantity and the resulting quantity difference separately', () => {
    const errors = compareWithCommerceRecord(submitted([{ item_id: 'itm-tee', quantity: 0 }, { item_id: 'itm-jeans', quantity: 1 }]), record);
    expect(codes(errors)).toContainEqual(['quantity_not_positive_integer', 'itm-tee']);
    expect(errors.every((e) => e.item_id === 'itm-tee')).toBe(true);
  });

  it('sums duplicated lines of one item before comparing', () => {
    const lines = [
      { item_id: 'itm-tee', quantity: 1 },
      { item_id: 'itm-jeans', quantity: 1 },
      { item_id: 'itm-tee', quantity: 1 },
    ];
    expect(compareWithCommerceRecord(submitted(lines), record)).toEqual([]);
  });

  it('sums duplicated lines on the Commerce App side too', () => {
    const rec: CommerceOrderRecord = { ...record, items: [{ item_id: 'itm-tee', quantity: 1 }, { item_id: 'itm-tee', quantity: 1 }, { item_id: 'itm-jeans', quantity: 1 }] };
    expect(compareWithCommerceRecord(submitted(record.items), rec)).toEqual([]);
  });

  it('flags summed duplicates that exceed the record', () => {
    const lines = [
      { item_id: 'itm-tee', quantity: 2 },
      { item_id: 'itm-jeans', quantity: 1 },
      { item_id: 'itm-tee', quantity: 1 },
    ];
    expect(codes(compareWithCommerceRecord(submitted(lines), record))).toEqual([['quantity_mismatch', 'itm-tee']]);
  });

  it('gives one reason per mismatch when several things are wrong', () => {
    const rec: CommerceOrderRecord = {
      ...record,
      items: [
        { item_id: 'itm-tee', quantity: 2 },
        { item_id: 'itm-jeans', quantity: 1 },
        { item_id: 'itm-cap', quantity: 1 },
      ],
    };
    const errors = compareWithCommerceRecord(
      submitted(
        [
          { item_id: 'itm-tee', quantity: 5 },
          { item_id: 'itm-socks', quantity: 1 },
          { item_id: 'itm-cap', quantity: 1 },
        ],
        'cus-999',
      ),
      rec,
    );
    expect(codes(errors).sort()).toEqual(
      [
        ['customer_mismatch', undefined],
        ['quantity_mismatch', 'itm-tee'],
        ['item_unexpected', 'itm-socks'],
        ['item_missing', 'itm-jeans'],
      ].sort(),
    );
    for (const e of errors) expect(e.detail.length).toBeGreaterThan(0);
  });
});
