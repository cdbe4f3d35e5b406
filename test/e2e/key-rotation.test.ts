// Key rotation with orders in flight (docs/pii.md, "Rotation, without downtime"), on `npm start` restarted on its own
// data dir between the steps, as an operator on one host does:
//   0. PII_ENCRYPTION_KEYS=old          orders start, wait for their capture
//   1. old,new  (the new key readable)  one of them is captured and forwarded
//   2. new,old  (the new key writes)    the rest are captured and forwarded; new orders carry the new key id
//   3. `npm run pii -- rewrap`          the data keys leave the old key
//   4. new      (the old key retired)   the e-mails still open; the histories under the old key no longer decode
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readTopic, type TopicReader } from '../helpers/fulfillment-topic';
import { COMMERCE_V2_CONTENT_TYPE } from '../helpers/gateway-client';
import { startIndependentApis, type IndependentApis } from '../helpers/independent-apis';
import { recordInStatus } from '../helpers/order-status';
import { keyIdsOf, newPiiOrder, ourPayloads, rawHistory, runPiiCli, toWire, type PiiOrder } from '../helpers/pii-probes';
import { restartableStack, type RestartableStack } from '../helpers/restartable-stack';

const SECRETS = { commerce: 'rotation-commerce-secret', payment: 'rotation-payment-secret', support: 'rotation-support-token' };
const CODEC_TOKEN = 'rotation-codec-token';
const OLD = `old-2026-11:${randomBytes(32).toString('base64')}`;
const NEW = `new-2026-12:${randomBytes(32).toString('base64')}`;

let apis: IndependentApis;
let run: RestartableStack;
let topic: TopicReader | undefined;

/** (Re)starts `npm start` with these keys, on the first stack's data dir and ports once there was one. */
async function startWith(keys: string): Promise<void> {
  await run.start({ CODEC_API_TOKEN: CODEC_TOKEN, PII_ENCRYPTION_KEYS: keys });
}

beforeAll(async () => {
  apis = await startIndependentApis();
  run = restartableStack(apis, SECRETS);
}, 60_000);

afterAll(async () => {
  await topic?.stop();
  await run?.dispose();
  await apis?.stop();
}, 120_000);

const statusIs = (orderId: string, status: string) => recordInStatus(run.gateway, orderId, status);

async function submit(order: PiiOrder): Promise<void> {
  expect((await run.gateway.postCommerce(order.webhook, { contentType: COMMERCE_V2_CONTENT_TYPE })).status).toBe(202);
  await statusIs(order.orderId, 'AWAITING_PAYMENT');
}

async function payAndForward(order: PiiOrder): Promise<void> {
  expect((await run.gateway.postPayment(order.capture)).status).toBe(202);
  expect((await statusIs(order.orderId, 'FORWARDED')).customer_email).toBe(order.email);
}

async function keyIds(order: PiiOrder): Promise<string[]> {
  return keyIdsOf(await rawHistory(run.temporal, order.orderId));
}

async function pii(...args: string[]): Promise<string> {
  const { code, output } = await runPiiCli(run.stack.env, ...args);
  expect(code, output).toBe(0);
  return output;
}

const OLD_ID = OLD.split(':')[0]!;
const NEW_ID = NEW.split(':')[0]!;

it('rotates the master key while orders are in flight: none is lost, each decodes, the old key retires', async () => {
  // 0. Orders start under the old key and wait for their capture.
  await startWith(OLD);
  const inFlight = [newPiiOrder(apis), newPiiOrder(apis), newPiiOrder(apis)];
  for (const order of inFlight) await submit(order);
  for (const order of inFlight) expect(new Set(await keyIds(order))).toEqual(new Set([OLD_ID]));

  // 1. The new key is added last: readable everywhere, nothing written with it yet.
  await startWith(`${OLD},${NEW}`);
  await payAndForward(inFlight[0]!);
  expect(new Set(await keyIds(inFlight[0]!))).toEqual(new Set([OLD_ID]));

  // 2. The new key is put first: the old orders' earlier payloads stay under the old key and still decode (the
  //    workers replay them after the restart); what is written from now on names the new key.
  await startWith(`${NEW},${OLD}`);
  for (const order of inFlight.slice(1)) await payAndForward(order);
  for (const order of inFlight.slice(1)) {
    const ids = await keyIds(order);
    expect(ids[0]).toBe(OLD_ID);
    expect(ids.at(-1)).toBe(NEW_ID);
  }
  const fresh = newPiiOrder(apis);
  await submit(fresh);
  await payAndForward(fresh);
  expect(new Set(await keyIds(fresh))).toEqual(new Set([NEW_ID]));
  topic = await readTopic(run.stack.kafkaBrokers, 'order-fulfillment');
  await topic.caughtUp();
  for (const order of [...inFlight, fresh]) expect(topic.forKey(order.orderId)).toHaveLength(1);

  // 3. The data keys are rewrapped under the new key (the fresh order's is already): the old one then wraps nothing.
  expect(await pii('status')).toContain(`${OLD_ID}: wraps 3 data key(s)`);
  expect(await pii('rewrap')).toContain(`rewrapped 3 data key(s) with master key ${NEW_ID}`);
  expect(await pii('status')).toContain(`${OLD_ID}: wraps 0 data key(s)`);

  // 4. The old key retired. The e-mails still open (their data keys moved); a history written under the old key can no
  //    longer be decoded, which is why retiring waits for the orders to close and for the retention (docs/pii.md).
  await startWith(NEW);
  for (const order of [...inFlight, fresh]) expect((await run.gateway.getOrder(order.orderId)).body).toMatchObject({ status: 'FORWARDED', customer_email: order.email });
  const oldPayload = ourPayloads(await rawHistory(run.temporal, inFlight[1]!.orderId))[0]!.payload;
  const res = await fetch(`${run.stack.gatewayUrl}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CODEC_TOKEN}` },
    body: JSON.stringify({
      payloads: [toWire(oldPayload)],
    }),
  });
  expect(res.status).toBe(400);
  expect(await res.text()).toContain(OLD_ID);
}, 15 * 60_000);
