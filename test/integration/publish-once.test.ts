// One order, one message on the topic, when the forwarding's own witnesses fail around the send (issue 13: why a
// store outage or a broker restart repeated publishes). Real Temporal dev server, real Kafka broker, the service's
// publisher and forwarding activity with its production options; only the store is a stand-in whose outage the
// test switches by attempt, so each race is driven the same way every run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFulfillmentActivities, type PublicationLog, type PublishFulfillmentInput } from '../../activities/fulfillment';
import type { FulfillmentMessage } from '../../contracts';
import { freeLoopbackPort } from '../../dev/stack/free-port';
import { startKafkaBroker, type KafkaBroker } from '../../dev/stack/kafka-broker';
import { createFulfillmentPublisher, type FulfillmentPublisher } from '../../src/kafka/fulfillment-publisher';
import { createKafka } from '../../src/kafka/kafka-client';
import { createLogger } from '../../src/logger';
import { bundleWorkflows, startTestDevServer, type TestDevServer } from '../helpers/dev-server';
import { makeRecord, uniqueOrderId } from '../helpers/fixtures';
import { readTopic, type TopicReader } from '../helpers/fulfillment-topic';

const TOPIC = 'order-fulfillment';
const TASK_QUEUE = 'publish-once';
/** Small, so that a store outage outlasting an attempt's in-attempt retries is seconds, not 30 s. */
const SEND_BUDGET_MS = 3_000;

let dev: TestDevServer;
let bundle: WorkflowBundleWithSourceMap;
let dir: string;
let kafkaPorts: { port: number; controllerPort: number };
let broker: KafkaBroker | undefined;
let topic: TopicReader;

async function startBroker(): Promise<KafkaBroker> {
  return startKafkaBroker({ ...kafkaPorts, dataDir: path.join(dir, 'kafka'), topics: [TOPIC], logFile: path.join(dir, 'kafka.log'), log: () => undefined });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oms-publish-once-'));
  kafkaPorts = { port: await freeLoopbackPort(), controllerPort: await freeLoopbackPort() };
  [dev, bundle, broker] = await Promise.all([
    startTestDevServer({ name: 'publish-once' }),
    bundleWorkflows(path.join(import.meta.dirname, 'fixtures/forwarding-workflow.ts')),
    startBroker(),
  ]);
  topic = await readTopic(broker.brokers, TOPIC);
}, 180_000);

afterAll(async () => {
  await topic?.stop();
  await broker?.stop();
  await dev?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function messageFor(orderId: string): FulfillmentMessage {
  return { order_id: orderId, customer_id: 'cus-007', payment_details: { rrn: `rrn-${orderId}` }, items: [{ item_id: 'itm-tee', sku_id: 'SKU-TEE', brand_code: 'ACME', quantity: 1 }] };
}

/** The publications, in memory; `downIn(attempt)` says whether the store is unreachable during that attempt. */
function storeDownIn(downIn: (attempt: number) => boolean): PublicationLog & { save: () => Promise<{ applied: boolean; closedAs: null }>; marks: string[] } {
  const marks: string[] = [];
  const reachable = () => {
    if (downIn(Context.current().info.attempt)) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  };
  return {
    marks,
    wasPublished: async (key) => (reachable(), marks.includes(key)),
    markPublished: async (key) => {
      reachable();
      if (!marks.includes(key)) marks.push(key);
    },
    save: async () => (reachable(), { applied: true, closedAs: null }),
  };
}

/** The FORWARDING and FORWARDED writes around the send, as the order workflow passes them. */
function forwardingRecords(orderId: string): Pick<PublishFulfillmentInput, 'forwarding' | 'forwarded'> {
  const record = (status: 'FORWARDING' | 'FORWARDED') => makeRecord({ order_id: orderId, customer_id: 'cus-007', status, history: [{ status, at: new Date().toISOString() }] });
  return { forwarding: { record: record('FORWARDING'), revision: 5 }, forwarded: { record: record('FORWARDED'), revision: 6 } };
}

/** Counts the sends that reached the real publisher, per attempt. */
function countingPublisher(inner: FulfillmentPublisher): FulfillmentPublisher & { sendsByAttempt: number[] } {
  const sendsByAttempt: number[] = [];
  return {
    sendsByAttempt,
    maxSendMs: inner.maxSendMs,
    close: () => inner.close(),
    async publish(message, key) {
      sendsByAttempt.push(Context.current().info.attempt);
      await inner.publish(message, key);
    },
  };
}

async function forward(orderId: string, activities: ReturnType<typeof createFulfillmentActivities>, withRecords = false): Promise<{ sent: boolean; attempts: number }> {
  const worker = await Worker.create({ connection: dev.native, taskQueue: TASK_QUEUE, workflowBundle: bundle, activities });
  return worker.runUntil(async () => {
    const handle = await dev.client.workflow.start('ForwardingWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: `forward-${orderId}`,
      args: [{ message: messageFor(orderId), idempotencyKey: `order-${orderId}`, ...(withRecords ? forwardingRecords(orderId) : {}) }],
    });
    const result = (await handle.result()) as { sent: boolean };
    const history = await handle.fetchHistory();
    const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
    return { ...result, attempts: Number(started.at(-1)?.activityTaskStartedEventAttributes?.attempt ?? 0) };
  });
}

describe('the forwarding publishes once', () => {
  it('when the store goes down right after the ack and stays down past the attempt: the next attempt finds the heartbeat', async () => {
    const orderId = uniqueOrderId('ord-store-down');
    const publisher = countingPublisher(createFulfillmentPublisher({ kafka: createKafka({ brokers: broker!.brokers, clientId: 'test', logger: createLogger({ level: 'silent', name: 'test' }) }), topic: TOPIC, sendBudgetMs: SEND_BUDGET_MS }));
    // Up for the FORWARDING write and the lookup of attempt 1, down from its mark on (the mark and the FORWARDED
    // write: the rest of attempt 1), back for attempt 2. Before the heartbeat, attempt 2 found no mark and sent again.
    let lookedUp = false;
    const store = storeDownIn((attempt) => attempt === 1 && lookedUp);
    const lookup = store.wasPublished;
    store.wasPublished = async (key) => {
      const found = await lookup(key);
      lookedUp = true;
      return found;
    };
    try {
      const outcome = await forward(orderId, createFulfillmentActivities({ publisher, store }), true);
      expect(outcome.attempts).toBe(2);
      expect(publisher.sendsByAttempt).toEqual([1]);
      expect(store.marks).toEqual([`order-${orderId}`]);
      await topic.caughtUp();
      expect(topic.forKey(orderId)).toHaveLength(1);
    } finally {
      await publisher.close();
    }
  }, 60_000);

  it('when the broker is down: each send gives up inside its budget, and the order is published once when it is back', async () => {
    const orderId = uniqueOrderId('ord-broker-down');
    const publisher = countingPublisher(createFulfillmentPublisher({ kafka: createKafka({ brokers: broker!.brokers, clientId: 'test', logger: createLogger({ level: 'silent', name: 'test' }) }), topic: TOPIC, sendBudgetMs: SEND_BUDGET_MS }));
    const store = storeDownIn(() => false);
    const failures: number[] = [];
    const timed: PublicationLog['wasPublished'] = store.wasPublished;
    let lastLookup = 0;
    store.wasPublished = async (key) => {
      lastLookup = Date.now();
      return timed(key);
    };
    const sendEnded = publisher.publish;
    publisher.publish = async (message, key) => {
      try {
        await sendEnded(message, key);
      } catch (err) {
        failures.push(Date.now() - lastLookup);
        // The broker comes back after the second failed attempt.
        if (failures.length === 2) broker = await startBroker();
        throw err;
      }
    };
    try {
      await broker!.stop();
      const outcome = await forward(orderId, createFulfillmentActivities({ publisher, store }));
      expect(outcome.attempts).toBeGreaterThanOrEqual(3);
      expect(failures.length).toBeGreaterThanOrEqual(2);
      // Every failed send ended inside its budget (and so inside its 30 s attempt), never past it.
      for (const ms of failures) expect(ms).toBeLessThan(SEND_BUDGET_MS + 1_000);
      await vi.waitFor(() => topic.caughtUp(), { timeout: 60_000 });
      expect(topic.forKey(orderId)).toHaveLength(1);
    } finally {
      await publisher.close();
    }
  }, 180_000);
});
