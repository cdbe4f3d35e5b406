// Reads the fulfillment topic with a real Kafka consumer, and can tell when it has read everything written so far.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { vi } from 'vitest';

export interface ReceivedMessage {
  key: string | undefined;
  value: unknown;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

export interface TopicReader {
  messages: ReceivedMessage[];
  forKey(key: string): ReceivedMessage[];
  /** Resolves once every message written to the topic before this call has been consumed. */
  caughtUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function readTopic(brokers: string[], topic: string): Promise<TopicReader> {
  const kafka = new Kafka({ clientId: 'oms-test-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const consumer: Consumer = kafka.consumer({ groupId: `oms-test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: ReceivedMessage[] = [];
  const nextOffset = new Map<number, bigint>();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      messages.push({
        key: message.key?.toString(),
        value: JSON.parse(message.value?.toString() ?? 'null') as unknown,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        partition,
        offset: message.offset,
      });
      nextOffset.set(partition, BigInt(message.offset) + 1n);
    },
  });
  return {
    messages,
    forKey: (key) => messages.filter((m) => m.key === key),
    async caughtUp(timeoutMs = 30_000) {
      const ends = await admin.fetchTopicOffsets(topic);
      await vi.waitFor(
        () => {
          const behind = ends.filter((p) => (nextOffset.get(p.partition) ?? 0n) < BigInt(p.high));
          if (behind.length > 0) throw new Error(`consumer has not reached the end of partitions ${behind.map((p) => p.partition).join(',')}`);
        },
        { timeout: timeoutMs, interval: 50 },
      );
    },
    async stop() {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}
