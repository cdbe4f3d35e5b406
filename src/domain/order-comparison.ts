// The validation rule of contract §5: same customer, same items, same quantities, every quantity a positive integer.
import type { CommerceOrderRecord, SubmittedOrder, ValidationError } from '../../contracts';

function totalsByItem(items: ReadonlyArray<{ item_id: string; quantity: number }>): Map<string, number> {
  // A webhook may list the same item twice; what must match is the total quantity per item.
  const totals = new Map<string, number>();
  for (const item of items) totals.set(item.item_id, (totals.get(item.item_id) ?? 0) + item.quantity);
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
    } else if (expected !== quantity) {
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
