// `npm run demo`: against a running stack, sends a signed webhook and capture for a seeded order, then shows the
// message that arrived on the fulfillment topic and the dashboard record.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { FulfillmentMessage } from '../contracts';
import { loadConfig } from '../src/config';
import { signBody } from '../src/gateway/signature';
import { seededOrders, seededPaymentForOrder } from './simulators/seed';

const config = loadConfig();
const gateway = process.env.GATEWAY_URL ?? `http://127.0.0.1:${config.http.port}`;
const bearer = { authorization: `Bearer ${config.secrets.supportApiToken}` };

async function getRecord(orderId: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${gateway}/v1/orders/${encodeURIComponent(orderId)}`, { headers: bearer });
  return { status: res.status, body: await res.json() };
}

/** The first seeded order the stack has not seen yet, so the demo can run again and again. */
async function pickFreshSeededOrder() {
  for (const order of seededOrders) {
    if ((await getRecord(order.order_id)).status === 404) return order;
  }
  throw new Error('every seeded order has been used; delete .data/ to start over');
}

async function post(path: string, body: unknown, signatureHeader: string, secret: string): Promise<void> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${gateway}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [signatureHeader]: signBody(secret, raw) },
    body: raw,
  });
  process.stdout.write(`POST ${path} → ${res.status} ${await res.text()}\n`);
  if (res.status !== 202) throw new Error(`the gateway refused the event (${res.status})`);
}

async function main(): Promise<void> {
  const ready = await fetch(`${gateway}/readyz`).catch(() => undefined);
  if (!ready?.ok) throw new Error(`no ready gateway at ${gateway}: start the stack with \`npm start\` first`);

  const order = await pickFreshSeededOrder();
  const payment = seededPaymentForOrder(order.order_id);
  if (!payment) throw new Error(`seed has no payment for ${order.order_id}`);
  process.stdout.write(`Order ${order.order_id} for ${order.customer_id}, paid with ${payment.rrn}\n`);

  const kafka = new Kafka({ clientId: 'oms-demo', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `oms-demo-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.topic, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  const arrived = new Promise<{ value: unknown; headers: Record<string, string> }>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== order.order_id) return;
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        resolve({ value: FulfillmentMessage.parse(JSON.parse(message.value?.toString() ?? 'null')), headers });
      },
    });
  });
  await joined;

  await post('/v1/webhooks/commerce', { customer_id: order.customer_id, order: { order_id: order.order_id, items: order.items } }, 'x-commerce-signature', config.secrets.commerceWebhook);
  await post(
    '/v1/webhooks/payments',
    { customer_id: order.customer_id, rrn: payment.rrn, amount_cents: payment.amount_cents, metadata: { order_id: order.order_id } },
    'x-payment-signature',
    config.secrets.paymentWebhook,
  );

  const timeout = setTimeout(() => {
    process.stderr.write('no message on the topic after 60 s: look at the order in the Temporal Web UI\n');
    process.exit(1);
  }, 60_000);
  const message = await arrived;
  process.stdout.write(`\nMessage on ${config.kafka.topic} (headers ${JSON.stringify(message.headers)}):\n${JSON.stringify(message.value, null, 2)}\n`);
  let record = await getRecord(order.order_id);
  while ((record.body as { status?: string }).status !== 'FORWARDED') {
    await new Promise((r) => setTimeout(r, 200));
    record = await getRecord(order.order_id);
  }
  clearTimeout(timeout);
  process.stdout.write(`\nDashboard record (GET /v1/orders/${order.order_id}):\n${JSON.stringify(record.body, null, 2)}\n`);
  await consumer.disconnect();
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exit(1);
});
