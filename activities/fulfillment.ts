// Forwarding: the order's record as FORWARDING, the enriched order on Kafka (keyed by order id, the workflow id as
// idempotency key), then the record as FORWARDED — one queued activity, whose scheduling in the order's history is
// the decision to forward. Nothing a lost workflow task re-decides can undo a message already on the topic.
import { Context, log } from '@temporalio/activity';
import { ErrorType, failure, wrapFailure, type DashboardRecord, type FulfillmentMessage } from '../contracts';
import type { FulfillmentPublisher } from '../src/kafka/fulfillment-publisher';
import { callStore, isPermanentStoreError } from '../src/store/store-errors';
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

/**
 * What an attempt heartbeats once the broker acknowledged its send. Temporal keeps an activity's last heartbeat
 * across its attempts, and the worker flushes it before it reports the attempt's end, so the ack outlives a store
 * that is down when the key is to be marked: the next attempt reads it and does not send again.
 */
interface PublishedCheckpoint {
  published: string;
}

function ackedInEarlierAttempt(details: unknown, idempotencyKey: string): boolean {
  return typeof details === 'object' && details !== null && (details as Partial<PublishedCheckpoint>).published === idempotencyKey;
}

/**
 * Time an attempt keeps after its send for the mark, the FORWARDED write and reporting back: 5 s of a 30 s attempt,
 * a quarter of a short one (the last attempt of a step's budget, or a test's seconds-long budget).
 */
const AFTER_SEND_RESERVE_MS = 5_000;
/** Below this, a send could not reach a healthy broker and back: the attempt fails for a retry instead. */
const MIN_SEND_BUDGET_MS = 500;

/** How long this attempt's send may take: what is left of the attempt after its reserve, and never more than the publisher's own bound. */
function sendBudget(leftMs: number, publisherMaxMs: number): number {
  return Math.min(publisherMaxMs, leftMs - Math.min(AFTER_SEND_RESERVE_MS, leftMs / 4));
}
/** Time left to report the attempt's failure (after the heartbeat's flush) when the store stays down. */
const MARK_GIVES_UP_BEFORE_DEADLINE_MS = 2_000;
/** Pauses between marks of a sent key while the store is down (it usually comes back within the attempt). */
const MARK_RETRY_PAUSES_MS = [250, 500, 1_000, 2_000];

export interface FulfillmentActivityDeps {
  publisher: FulfillmentPublisher;
  store: PublicationLog & Pick<DashboardWriter, 'save'>;
  /** The clock the attempt's deadline is read with (tests move it). */
  now?: () => number;
  /** How a mark retry waits (tests resolve it at once). */
  pause?: (ms: number) => Promise<void>;
}

export function createFulfillmentActivities(deps: FulfillmentActivityDeps) {
  const now = deps.now ?? Date.now;
  const pause = deps.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function save(write: RecordWrite | undefined): Promise<void> {
    if (!write) return;
    await callStore(`saving order ${write.record.order_id}`, () => deps.store.save(write.record, write.revision));
  }

  /** When this attempt's startToClose runs out, by the worker's clock (Infinity in a context without one). */
  function attemptDeadline(ctx: Context): number {
    const { startToCloseTimeoutMs, currentAttemptScheduledTimestampMs } = ctx.info;
    return startToCloseTimeoutMs > 0 && currentAttemptScheduledTimestampMs > 0 ? currentAttemptScheduledTimestampMs + startToCloseTimeoutMs : Infinity;
  }

  /**
   * Marks a key the broker acknowledged, retrying a store outage inside the attempt until the attempt's reserve is
   * reached: the mark, not the next attempt's send, is what must absorb the store being down.
   */
  async function markSent(idempotencyKey: string, orderId: string, deadline: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await deps.store.markPublished(idempotencyKey, orderId);
        return;
      } catch (err) {
        const wait = MARK_RETRY_PAUSES_MS[Math.min(attempt, MARK_RETRY_PAUSES_MS.length - 1)] ?? 1_000;
        if (isPermanentStoreError(err) || now() + wait > deadline - MARK_GIVES_UP_BEFORE_DEADLINE_MS) {
          // The heartbeat already holds the ack: the next attempt marks it and does not send.
          throw wrapFailure(ErrorType.STORE_UNAVAILABLE, `recording the publication of order ${orderId} failed (the message was sent)`, err);
        }
        log.warn('the publication could not be recorded yet; the message was sent', { orderId, error: String(err) });
        await pause(wait);
      }
    }
  }

  return {
    /**
     * One order, one message, however often the activity is retried. Before sending, an attempt asks two witnesses
     * whether an earlier one was acknowledged: the store's mark, and its own last heartbeat. Its send is bounded to
     * end inside the attempt (what is left of it, less a reserve, and at most the publisher's own bound), so no send
     * of a timed-out attempt can land beside the next attempt's. Only a worker killed between the ack and its
     * heartbeat repeats the message; consumers de-duplicate by the key (contract §7). The records carry revisions: a
     * retry rewrites nothing newer.
     */
    async publishFulfillment({ message, idempotencyKey, forwarding, forwarded }: PublishFulfillmentInput): Promise<{ sent: boolean }> {
      const ctx = Context.current();
      const what = `the publication of order ${message.order_id}`;
      const deadline = attemptDeadline(ctx);
      await save(forwarding);
      let sent = false;
      const ackedBefore = ackedInEarlierAttempt(ctx.info.heartbeatDetails, idempotencyKey);
      if (ackedBefore) {
        await markSent(idempotencyKey, message.order_id, deadline);
      } else if (!(await callStore(`looking up ${what}`, () => deps.store.wasPublished(idempotencyKey)))) {
        const budgetMs = sendBudget(deadline - now(), deps.publisher.maxSendMs);
        if (budgetMs < MIN_SEND_BUDGET_MS) {
          throw failure(ErrorType.FULFILLMENT_PUBLISH_FAILED, `publishing order ${message.order_id} was not started: too little of the attempt was left for a send to end in it`);
        }
        try {
          await deps.publisher.publish(message, idempotencyKey, budgetMs);
        } catch (err) {
          throw wrapFailure(ErrorType.FULFILLMENT_PUBLISH_FAILED, `publishing order ${message.order_id} failed`, err);
        }
        sent = true;
        ctx.heartbeat({ published: idempotencyKey } satisfies PublishedCheckpoint);
        await markSent(idempotencyKey, message.order_id, deadline);
      }
      await save(forwarded);
      return { sent };
    },
  };
}
export type FulfillmentActivities = ReturnType<typeof createFulfillmentActivities>;
