// The validation rule of contract §5: same customer, same items, same quantities, every quantity a positive integer.
import type { CommerceOrderRecord, SubmittedOrder, ValidationError } from '../../contracts';

/**
 * A webhook may list the same item twice; what must match is the total quantity per item. Integer totals are summed
 * exactly (BigInt): past 2^53 a floating-point sum depends on the order of the lines, and the same lines in another
 * order would then disagree. A non-integer quantity is already an error of its own; its total is summed as a number.
 */
function totalsByItem(items: ReadonlyArray<{ item_id: string; quantity: number }>): Map<string, bigint | number> {
  const totals = new Map<string, bigint | number>();
  for (const { item_id, quantity } of items) {
    const sum = totals.get(item_id) ?? 0n;
    totals.set(item_id, typeof sum === 'bigint' && Number.isSafeInteger(quantity) ? sum + BigInt(quantity) : Number(sum) + quantity);
  }
  return totals;
}

/** One named reason per mismatch; an empty list means the order is valid. */
export function compareWithCommerceRecord(submitted: SubmittedOrder, record: CommerceOrderRecord): ValidationError[] {
  const errors: ValidationError[] = [];
  if (submitted.customer_id !== record.customer_id) {
    errors.push({ code: 'customer_mismatch', detail: `customer_id is ${submitted.customer_id}, the Commerce App has ${record.customer_id}` });
  }
  for (const item of submitted.items) {
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) {
      errors.push({ code: 'quantity_not_positive_integer', item_id: item.item_id, detail: `quantity ${item.quantity} of ${item.item_id} is not a positive integer` });
    }
  }
  const submittedTotals = totalsByItem(submitted.items);
  const recordTotals = totalsByItem(record.items);
  for (const [itemId, quantity] of submittedTotals) {
    const expected = recordTotals.get(itemId);
    if (expected === undefined) {
      errors.push({ code: 'item_unexpected', item_id: itemId, detail: `${itemId} is not in the Commerce App's order` });
    } else if (String(expected) !== String(quantity)) {
      errors.push({ code: 'quantity_mismatch', item_id: itemId, detail: `${itemId} has quantity ${quantity}, the Commerce App has ${expected}` });
    }
  }
  for (const itemId of recordTotals.keys()) {
    if (!submittedTotals.has(itemId)) {
      errors.push({ code: 'item_missing', item_id: itemId, detail: `${itemId} is in the Commerce App's order but missing here` });
    }
  }
  return errors;
}
