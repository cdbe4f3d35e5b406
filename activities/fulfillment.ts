// Hand-off to fulfillment: the enriched order on Kafka, keyed by order id, with the workflow id as idempotency key.
import { ErrorType, wrapFailure, type FulfillmentMessage } from '../contracts';
import type { FulfillmentPublisher } from '../src/kafka/fulfillment-publisher';

export function createFulfillmentActivities(deps: { publisher: FulfillmentPublisher }) {
  return {
    /** The idempotency key is the workflow id: one order, one key, however often the activity is retried. */
    async publishFulfillment({ message, idempotencyKey }: { message: FulfillmentMessage; idempotencyKey: string }): Promise<void> {
      try {
        await deps.publisher.publish(message, idempotencyKey);
      } catch (err) {
        throw wrapFailure(ErrorType.FULFILLMENT_PUBLISH_FAILED, `publishing order ${message.order_id} failed`, err);
      }
    },
  };
}
export type FulfillmentActivities = ReturnType<typeof createFulfillmentActivities>;
