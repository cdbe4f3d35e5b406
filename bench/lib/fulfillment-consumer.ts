// A real Kafka consumer on the fulfillment topic for the e2e benchmark: the moment a message is handed to it is when
// the order "appeared on the topic". It reads with a group of its own from the beginning of the topic (the broker is
// the run's own, so nothing older is there, and nothing written while the group joins can be skipped), fetches as soon
// as a byte is there (minBytes 1) and waits at most 50 ms on an empty partition.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';

export interface FulfillmentConsumer {
  /** Messages received so far. */
  received(): number;
  stop(): Promise<void>;
}

/** `onMessage(orderId, atMs)`: the message's key (the order id) and performance.now() when the consumer got it. */
export async function startFulfillmentConsumer(options: {
  brokers: string[];
  topic: string;
  onMessage: (orderId: string, atMs: number) => void;
}): Promise<FulfillmentConsumer> {
  const kafka = new Kafka({ clientId: 'oms-bench-e2e-reader', brokers: options.brokers, logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: `oms-bench-e2e-${randomUUID()}`, maxWaitTimeInMs: 50, minBytes: 1 });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  let received = 0;
  let joined!: () => void;
  const assigned = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const message of batch.messages) {
        received += 1;
        const key = message.key?.toString();
        if (key !== undefined) options.onMessage(key, at);
      }
    },
  });
  await Promise.race([assigned, new Promise((_r, reject) => setTimeout(() => reject(new Error('Kafka consumer did not join its group in 30 s')), 30_000).unref())]);
  return {
    received: () => received,
    stop: () => consumer.disconnect(),
  };
}
