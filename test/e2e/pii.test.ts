// Contract §9 end to end, through `npm start` as a user runs it: the customer's e-mail goes in by version 2 of the
// commerce webhook and comes out only from GET /v1/orders/{id} with the support token. Everything else is read the
// way an attacker or an auditor would read it: the raw history straight from the Temporal server (no codec), the
// store's tables with SQL, the Kafka topic, every log file. Then the customer is forgotten (`npm run pii -- forget`)
// and the e-mail is unreadable everywhere, while the customer's order in flight still reaches FORWARDED.
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomerEmails } from '../../src/pii/customer-emails';
import { parseKeyring } from '../../src/pii/keyring';
import { createCustomerKeyStore } from '../../src/store/customer-key-store';
import { openPgClient, type SqlClient } from '../../src/store/sql-client';
import { bootE2eWorld, type E2eWorld } from '../helpers/e2e-stack';
import { COMMERCE_V2_CONTENT_TYPE } from '../helpers/gateway-client';
import { recordInStatus } from '../helpers/order-status';
import { isCoreMarkerNote, isSearchAttribute, newPiiOrder, ourPayloads, payloadsIn, rawHistory, runPiiCli, text, toWire, type PiiOrder, type RawPayload } from '../helpers/pii-probes';

const KEY_ID = 'e2e-2026-12';
const KEY_MATERIAL = randomBytes(32).toString('base64');
const CODEC_TOKEN = `codec-${randomBytes(8).toString('hex')}`;

let world: E2eWorld;
let sql: SqlClient;

beforeAll(async () => {
  world = await bootE2eWorld({ PII_ENCRYPTION_KEYS: `${KEY_ID}:${KEY_MATERIAL}`, CODEC_API_TOKEN: CODEC_TOKEN, LOG_LEVEL: 'debug' });
  const { store } = await world.stack.processes();
  if (store.kind !== 'pglite') throw new Error('expected the embedded store of npm start');
  sql = openPgClient(store.databaseUrl, { max: 1 });
}, 25 * 60_000);

afterAll(async () => {
  await sql?.close();
  await world?.stop();
});

async function submit(order: PiiOrder): Promise<void> {
  expect((await world.gateway.postCommerce(order.webhook, { contentType: COMMERCE_V2_CONTENT_TYPE })).status).toBe(202);
}

const statusIs = (orderId: string, status: string) => recordInStatus(world.gateway, orderId, status);


/** The commerce event the gateway signalled into the order, as the raw history holds it. */
async function signalledPayload(orderId: string): Promise<RawPayload> {
  const history = await rawHistory(world.temporal, orderId);
  const signal = history.events?.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'commerceOrderReceived');
  const payload = signal?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`no commerce signal in the history of ${orderId}`);
  return payload as RawPayload;
}

async function decodeThroughCodecServer(payloads: RawPayload[], token = CODEC_TOKEN): Promise<Response> {
  return fetch(`${world.stack.gatewayUrl}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', authorization: `Bearer ${token}` },
    body: JSON.stringify({ payloads: payloads.map(toWire) }),
  });
}

/** Every row of every table of the store, as text: what a DB admin (or a dump, or a backup) sees. */
async function everyStoredRow(): Promise<string> {
  const tables = await sql.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'");
  expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['dashboard_orders', 'customer_data_keys']));
  const rows: string[] = [];
  for (const { table_name } of tables) {
    for (const row of await sql.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`)) rows.push(`${table_name}: ${row.row}`);
  }
  return rows.join('\n');
}

async function everyLogLine(): Promise<string> {
  const dir = path.join(world.stack.dataDir, 'logs');
  const files = await readdir(dir);
  expect(files.length).toBeGreaterThan(0);
  const logs = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')));
  return `${logs.join('\n')}\n${world.stack.output()}`;
}


async function forget(customerId: string): Promise<string> {
  const { code, output } = await runPiiCli({ ...world.stack.env, PII_ENCRYPTION_KEYS: `${KEY_ID}:${KEY_MATERIAL}` }, 'forget', customerId);
  expect(code, output).toBe(0);
  return output;
}

describe('the customer e-mail (contract §9)', () => {
  let paid: PiiOrder;

  beforeAll(async () => {
    paid = newPiiOrder(world.apis);
    await submit(paid);
    await statusIs(paid.orderId, 'AWAITING_PAYMENT');
    expect((await world.gateway.postPayment(paid.capture)).status).toBe(202);
    await statusIs(paid.orderId, 'FORWARDED');
  }, 120_000);

  it('is in the raw history only encrypted: every payload sealed under the listed key id, no e-mail, no key material', async () => {
    const history = await rawHistory(world.temporal, paid.orderId);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(bytes.includes(paid.orderId)).toBe(true); // the workflow id is metadata, in clear by design
    expect(bytes.includes(paid.email)).toBe(false);
    expect(bytes.includes(paid.email.split('@')[0]!)).toBe(false);
    expect(bytes.includes(paid.itemId)).toBe(false); // payloads are sealed: not even the order's items are readable
    expect(bytes.includes(KEY_MATERIAL)).toBe(false);
    expect(bytes.includes(Buffer.from(KEY_MATERIAL, 'base64'))).toBe(false);
    const found = payloadsIn(history.events);
    const encoded = ourPayloads(history);
    for (const { payload } of found.filter((p) => isCoreMarkerNote(p.at))) {
      const note = JSON.parse(text(payload.data)) as Record<string, unknown>;
      const coreFields = ['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time', 'id', 'deprecated'];
      expect(Object.keys(note).every((k) => coreFields.includes(k)), JSON.stringify(note)).toBe(true);
    }
    expect(found.filter((p) => p.at.includes('.markerRecordedEventAttributes.details.result.')).length).toBeGreaterThan(0);
    expect(encoded.length).toBeGreaterThanOrEqual(5);
    for (const { at, payload } of encoded) {
      expect(text(payload.metadata?.encoding), at).toBe('binary/encrypted');
      expect(text(payload.metadata?.['encryption-key-id']), at).toBe(KEY_ID);
    }
    const searchAttributes = found.filter((p) => isSearchAttribute(p.at));
    expect(searchAttributes.length).toBeGreaterThan(0);
    for (const { payload } of searchAttributes) expect(text(payload.data)).not.toContain('@');
  });

  it('is returned by GET /v1/orders/{id} with the support token, and by no other route', async () => {
    const record = await statusIs(paid.orderId, 'FORWARDED');
    expect(record.customer_email).toBe(paid.email);
    expect(record).not.toHaveProperty('customer_email_sealed');
    const listed = await world.gateway.support(`/v1/customers/${paid.customerId}/orders`);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(paid.orderId);
    expect(JSON.stringify(listed.body)).not.toContain(paid.email);
    expect(JSON.stringify(listed.body)).not.toContain('pii1.');
    const unauthenticated = await fetch(`${world.stack.gatewayUrl}/v1/orders/${paid.orderId}`);
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.text()).not.toContain(paid.email);
  });

  it('is neither in the Kafka message nor in any log line', async () => {
    await world.topic.caughtUp();
    const messages = world.topic.forKey(paid.orderId);
    expect(messages).toHaveLength(1);
    expect(JSON.stringify(messages)).not.toContain(paid.email);
    expect(JSON.stringify(messages)).not.toContain('pii1.');
    expect(JSON.stringify(messages[0]!.value)).toContain(paid.itemId);
    const logs = await everyLogLine();
    expect(logs).toContain(paid.orderId); // the logs are there, and they speak of the order
    expect(logs).not.toContain(paid.email);
    expect(logs).not.toContain(KEY_MATERIAL);
  });

  it('is kept encrypted at rest: no table of the store holds it in clear, the record holds its sealed form', async () => {
    const rows = await everyStoredRow();
    expect(rows).toContain(paid.orderId);
    expect(rows).not.toContain(paid.email);
    expect(rows).not.toContain(paid.email.split('@')[0]!);
    expect(rows).not.toContain(KEY_MATERIAL);
    const [row] = await sql.query<{ sealed: string }>("SELECT record->>'customer_email_sealed' AS sealed FROM dashboard_orders WHERE order_id = $1", [paid.orderId]);
    expect(row?.sealed).toMatch(/^pii1\.dk_/);
  });

  it('decodes through the codec server for the token holder, as the workers see it: the order readable, the e-mail still sealed', async () => {
    const payload = await signalledPayload(paid.orderId);
    expect((await decodeThroughCodecServer([payload], 'not-the-token')).status).toBe(401);
    const res = await decodeThroughCodecServer([payload]);
    expect(res.status).toBe(200);
    const [decoded] = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    expect(Buffer.from(decoded!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    const event = JSON.parse(Buffer.from(decoded!.data, 'base64').toString()) as { payload: unknown; sealedEmail: string };
    expect(JSON.stringify(event.payload)).toContain(paid.itemId);
    expect(event.sealedEmail).toMatch(/^pii1\.dk_/);
    expect(JSON.stringify(event)).not.toContain(paid.email);
  });
});

describe('forgetting a customer (`npm run pii -- forget`)', () => {
  it('makes the e-mail unreadable everywhere it was written, and the customer’s order in flight still reaches FORWARDED', async () => {
    const customerId = `cus-forget-${randomBytes(4).toString('hex')}`;
    const done = newPiiOrder(world.apis, customerId);
    const inFlight = newPiiOrder(world.apis, customerId);
    const someoneElse = newPiiOrder(world.apis);
    for (const order of [done, inFlight, someoneElse]) await submit(order);
    for (const order of [done, inFlight, someoneElse]) await statusIs(order.orderId, 'AWAITING_PAYMENT');
    expect((await world.gateway.postPayment(done.capture)).status).toBe(202);
    expect((await statusIs(done.orderId, 'FORWARDED')).customer_email).toBe(done.email);
    expect((await world.gateway.getOrder(inFlight.orderId)).body).toMatchObject({ customer_email: inFlight.email });
    const sealedInHistory = ((await decodeThroughCodecServer([await signalledPayload(done.orderId)]).then((r) => r.json())) as { payloads: Array<{ data: string }> }).payloads[0]!;
    const { sealedEmail } = JSON.parse(Buffer.from(sealedInHistory.data, 'base64').toString()) as { sealedEmail: string };
    const emails = createCustomerEmails(parseKeyring(`${KEY_ID}:${KEY_MATERIAL}`), createCustomerKeyStore(sql));
    expect(await emails.open(sealedEmail)).toEqual({ state: 'readable', email: done.email });

    expect(await forget(customerId)).toContain(`customer ${customerId}: destroyed 1 data key(s)`);

    // The order in flight goes on: its payment is forwarded as if nothing happened.
    expect((await world.gateway.postPayment(inFlight.capture)).status).toBe(202);
    const forwarded = await statusIs(inFlight.orderId, 'FORWARDED');
    expect(forwarded.customer_email).toBeNull();
    // The store: both records answer null, the key row is gone, the erasure is on record.
    expect((await world.gateway.getOrder(done.orderId)).body).toMatchObject({ status: 'FORWARDED', customer_email: null });
    expect(await sql.query('SELECT key_id FROM customer_data_keys WHERE customer_id = $1', [customerId])).toEqual([]);
    expect(await sql.query('SELECT destroyed_keys FROM customer_erasures WHERE customer_id = $1', [customerId])).toEqual([{ destroyed_keys: 1 }]);
    // The history: the codec server still opens the payload, but what it holds can no longer be opened by anyone.
    expect(await emails.open(sealedEmail)).toEqual({ state: 'erased' });
    const rows = await everyStoredRow();
    for (const order of [done, inFlight]) expect(rows).not.toContain(order.email);
    // Another customer is untouched.
    expect((await world.gateway.getOrder(someoneElse.orderId)).body).toMatchObject({ customer_email: someoneElse.email });
    // A new order of the forgotten customer starts afresh, under a new data key.
    const later = newPiiOrder(world.apis, customerId);
    await submit(later);
    expect((await statusIs(later.orderId, 'AWAITING_PAYMENT')).customer_email).toBe(later.email);
    expect((await world.gateway.getOrder(done.orderId)).body).toMatchObject({ customer_email: null });
  }, 240_000);
});
