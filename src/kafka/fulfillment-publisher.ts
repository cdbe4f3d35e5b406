// Publishes forwarded orders to the fulfillment topic with an idempotent, acks=all kafkajs producer (contract §7).
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { FulfillmentMessage } from '../../contracts';

export interface FulfillmentPublisher {
  publish(message: FulfillmentMessage, idempotencyKey: string): Promise<void>;
  close(): Promise<void>;
}

export function createFulfillmentPublisher(options: { kafka: Kafka; topic: string }): FulfillmentPublisher {
  // The idempotent producer de-duplicates the broker-side retries of one send; the header lets consumers
  // de-duplicate an activity retry after a crash between "acked" and "activity completed".
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  async function connected(): Promise<Producer> {
    if (producer) return producer;
    connecting ??= (async () => {
      const p = options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
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

  return {
    async publish(message, idempotencyKey) {
      const p = await connected();
      await p.send({
        topic: options.topic,
        acks: -1,
        messages: [{ key: message.order_id, value: JSON.stringify(message), headers: { 'idempotency-key': idempotencyKey } }],
      });
    },
    async close() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}
