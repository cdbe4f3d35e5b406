// Forwarding: the order's record as FORWARDING, the enriched order on Kafka (keyed by order id, the workflow id as
// idempotency key), then the record as FORWARDED — one queued activity, whose scheduling in the order's history is
// the decision to forward. Nothing a lost workflow task re-decides can undo a message already on the topic.
import { log } from '@temporalio/activity';
import { ErrorType, wrapFailure, type DashboardRecord, type FulfillmentMessage } from '../contracts';
import type { FulfillmentPublisher } from '../src/kafka/fulfillment-publisher';
import { callStore } from '../src/store/store-errors';
import type { DashboardWriter } from './dashboard';

/** Which idempotency keys the broker has acknowledged (the store's fulfillment_publications). */
export interface PublicationLog {
  wasPublished(idempotencyKey: string): Promise<boolean>;
  markPublished(idempotencyKey: string, orderId: string): Promise<void>;
}

/** A record and the revision it is written at (the workflow reserves both: a retry writes the same). */
export interface RecordWrite {
  record: DashboardRecord;
  revision: number;
}

export interface PublishFulfillmentInput {
  message: FulfillmentMessage;
  idempotencyKey: string;
  /** The record before the publish: paid and FORWARDING, shown while the broker is retried. */
  forwarding?: RecordWrite;
  /** The record once the broker acknowledged: FORWARDED, with its closure mark. */
  forwarded?: RecordWrite;
}

export function createFulfillmentActivities(deps: { publisher: FulfillmentPublisher; store: PublicationLog & Pick<DashboardWriter, 'save'> }) {
  async function save(write: RecordWrite | undefined): Promise<void> {
    if (!write) return;
    await callStore(`saving order ${write.record.order_id}`, () => deps.store.save(write.record, write.revision));
  }

  return {
    /**
     * One order, one key, however often the activity is retried. A retry after the broker's ack (the worker died
     * before reporting) finds the key and does not send again; only a crash between the ack and the mark repeats
     * the message, and consumers de-duplicate by the key (contract §7). The records carry revisions: a retry
     * rewrites nothing newer.
     */
    async publishFulfillment({ message, idempotencyKey, forwarding, forwarded }: PublishFulfillmentInput): Promise<{ sent: boolean }> {
      const what = `the publication of order ${message.order_id}`;
      await save(forwarding);
      let sent = false;
      if (!(await callStore(`looking up ${what}`, () => deps.store.wasPublished(idempotencyKey)))) {
        try {
          await deps.publisher.publish(message, idempotencyKey);
        } catch (err) {
          throw wrapFailure(ErrorType.FULFILLMENT_PUBLISH_FAILED, `publishing order ${message.order_id} failed`, err);
        }
        sent = true;
        try {
          await deps.store.markPublished(idempotencyKey, message.order_id);
        } catch (err) {
          // The message is on the topic: failing now would send it again. Without the mark, only a later retry of
          // this same activity (none is due) could repeat it.
          log.warn('the publication could not be recorded; the message was sent', { orderId: message.order_id, error: String(err) });
        }
      }
      await save(forwarded);
      return { sent };
    },
  };
}
export type FulfillmentActivities = ReturnType<typeof createFulfillmentActivities>;
