// Hand-off to fulfillment: the enriched order on Kafka, keyed by order id, with the workflow id as idempotency key.
import { ErrorType, wrapFailure, type FulfillmentMessage } from '../contracts';
import type { FulfillmentPublisher } from '../src/kafka/fulfillment-publisher';
import { callStore } from '../src/store/store-errors';

/** Which idempotency keys the broker has acknowledged (the store's fulfillment_publications). */
export interface PublicationLog {
  wasPublished(idempotencyKey: string): Promise<boolean>;
  markPublished(idempotencyKey: string, orderId: string): Promise<void>;
}

export function createFulfillmentActivities(deps: { publisher: FulfillmentPublisher; store: PublicationLog }) {
  return {
    /**
     * The idempotency key is the workflow id: one order, one key, however often the activity is retried. It runs
     * as a local activity, which Temporal runs again when the workflow task that recorded it is lost, so the key
     * is looked up first: a message the broker acknowledged is not sent again. Only a crash between the broker's
     * ack and the mark repeats it, as with any activity; consumers de-duplicate by the key (contract §7).
     */
    async publishFulfillment({ message, idempotencyKey }: { message: FulfillmentMessage; idempotencyKey: string }): Promise<{ sent: boolean }> {
      const what = `the publication of order ${message.order_id}`;
      if (await callStore(`looking up ${what}`, () => deps.store.wasPublished(idempotencyKey))) return { sent: false };
      try {
        await deps.publisher.publish(message, idempotencyKey);
      } catch (err) {
        throw wrapFailure(ErrorType.FULFILLMENT_PUBLISH_FAILED, `publishing order ${message.order_id} failed`, err);
      }
      await callStore(`recording ${what}`, () => deps.store.markPublished(idempotencyKey, message.order_id));
      return { sent: true };
    },
  };
}
export type FulfillmentActivities = ReturnType<typeof createFulfillmentActivities>;
