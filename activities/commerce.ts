// Validation against the Commerce App; runs on its own task queue so the 150 RPS limit holds for all workers together.
import { ErrorType, failure, type SubmittedOrder, type ValidationError } from '../contracts';
import type { CommerceApi } from '../src/clients/commerce-api';
import { compareWithCommerceRecord } from '../src/domain/order-comparison';

export interface ValidateOrderInput {
  orderId: string;
  submitted: SubmittedOrder;
  /**
   * Right after the webhook the Commerce App may not show the order yet (eventual consistency): until this instant
   * a 404 is retried; after it, the 404 is an answer — the order does not exist.
   */
  notFoundIsFinalAfter: string;
}

export type ValidationResult = { valid: true; placedAt: string } | { valid: false; errors: ValidationError[] };

export function createCommerceActivities(deps: { commerce: CommerceApi; now?: () => number }) {
  const now = deps.now ?? Date.now;
  return {
    async validateOrder(input: ValidateOrderInput): Promise<ValidationResult> {
      const record = await deps.commerce.getOrder(input.orderId);
      if (!record) {
        if (now() < Date.parse(input.notFoundIsFinalAfter)) {
          throw failure(ErrorType.COMMERCE_ORDER_NOT_FOUND, `order ${input.orderId} is not visible in the Commerce App yet`);
        }
        return { valid: false, errors: [{ code: 'order_not_found', detail: `the Commerce App has no order ${input.orderId}` }] };
      }
      const errors = compareWithCommerceRecord(input.submitted, record);
      return errors.length === 0 ? { valid: true, placedAt: record.placed_at } : { valid: false, errors };
    },
  };
}
export type CommerceActivities = ReturnType<typeof createCommerceActivities>;
