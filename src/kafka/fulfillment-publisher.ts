// Publishes forwarded orders to the fulfillment topic with an idempotent, acks=all kafkajs producer (contract §7).
import { Partitioners, type Kafka, type Producer, type RetryOptions } from 'kafkajs';
import type { FulfillmentMessage } from '../../contracts';
import { withTraceContext } from '../tracing/trace-context';

export interface FulfillmentPublisher {
  /**
   * Resolves once the broker acknowledged; rejects within `budgetMs` (at most `maxSendMs`), whatever the broker does.
   */
  publish(message: FulfillmentMessage, idempotencyKey: string, budgetMs?: number): Promise<void>;
  /**
   * The longest a publish takes before it settles. The forwarding activity starts a send only when this fits in
   * its attempt: a send still retrying after its attempt timed out would land beside the next attempt's.
   */
  readonly maxSendMs: number;
  close(): Promise<void>;
}

/** A send's own budget: kafkajs retries a broker restart inside it, and gives up well inside a 30 s attempt. */
export const SEND_BUDGET_MS = 15_000;
/**
 * The producer's retries of one send, sized to end inside SEND_BUDGET_MS with the client's request timeout
 * (kafka-client.ts): 4 tries, waits of about 0.3 + 0.6 + 1.2 s. The timer below is the bound; these keep a
 * normal broker restart (seconds) inside it.
 */
const SEND_RETRY: RetryOptions = { retries: 3, initialRetryTime: 300, maxRetryTime: 2_000 };

export class PublishTimeoutError extends Error {
  constructor(ms: number) {
    super(`the broker did not acknowledge within ${ms} ms; the producer was reset`);
    this.name = 'PublishTimeoutError';
  }
}

export function createFulfillmentPublisher(options: { kafka: Kafka; topic: string; sendBudgetMs?: number }): FulfillmentPublisher {
  // The idempotent producer de-duplicates the broker-side retries of one send; the header lets consumers
  // de-duplicate an activity retry after a crash between "acked" and "activity completed".
  const budgetMs = options.sendBudgetMs ?? SEND_BUDGET_MS;
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  async function connected(): Promise<Producer> {
    if (producer) return producer;
    connecting ??= (async () => {
      const p = options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        retry: SEND_RETRY,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      producer = p;
      return p;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  /**
   * A send past its budget is abandoned with its producer: disconnecting closes the sockets its retries would go
   * out on, so nothing of it reaches the broker after the activity has given up on it. The next send connects anew.
   */
  async function reset(stale: Producer): Promise<void> {
    if (producer === stale) producer = undefined;
    await stale.disconnect().catch(() => undefined);
  }

  return {
    maxSendMs: budgetMs,
    async publish(message, idempotencyKey, sendBudgetMs = budgetMs) {
      const started = Date.now();
      const budget = Math.min(sendBudgetMs, budgetMs);
      const p = await withTimeout(connected(), budget, () => undefined);
      const left = budget - (Date.now() - started);
      await withTimeout(
        p.send({
          topic: options.topic,
          acks: -1,
          messages: [{ key: message.order_id, value: JSON.stringify(message), headers: withTraceContext({ 'idempotency-key': idempotencyKey }) }],
        }),
        Math.max(left, 0),
        () => reset(p),
      );
    },
    async close() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}

/** `work`, or a PublishTimeoutError after `ms` (running `onTimeout` first); the timer never keeps the process up. */
async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Promise<void> | void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void Promise.resolve(onTimeout()).finally(() => reject(new PublishTimeoutError(ms)));
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
