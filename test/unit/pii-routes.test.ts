// The customer e-mail through the gateway's routes (contract §9), with build() and app.inject: sealed at the webhook,
// kept sealed in the dashboard record, opened by GET /v1/orders/{id} only, null once the customer is forgotten, and
// never in the lists; a key store that is down is a 503 before anything reaches Temporal.
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { signBody } from '../../src/gateway/signature';
import { createCustomerEmails } from '../../src/pii/customer-emails';
import { DEV_PII_KEY, parseKeyring } from '../../src/pii/keyring';
import { createMemoryCustomerKeyStore, type CustomerKeyStore } from '../../src/store/customer-key-store';
import { bearer, build, dashboardRecord, DEFAULT_SECRETS, ProblemShape } from '../helpers/gateway-app';

const EMAIL = 'ada.lovelace@example.com';
const CUSTOMER = 'cus-ada';
const V2 = 'application/vnd.oms.commerce-order+json; version=2';
const SUPPORT = bearer(DEFAULT_SECRETS.supportApiToken);

function commerceV2(app: FastifyInstance, orderId: string, email?: string) {
  const raw = JSON.stringify({
    customer_id: CUSTOMER,
    order: { order_id: orderId, items: [{ item_id: 'itm-1', quantity: 1 }] },
    ...(email === undefined ? {} : { customer_email: email }),
  });
  return app.inject({
    method: 'POST',
    url: '/v1/webhooks/commerce',
    headers: { 'content-type': V2, 'x-commerce-signature': signBody(DEFAULT_SECRETS.commerceWebhook, raw) },
    payload: raw,
  });
}

/** The gateway after a v2 webhook with an e-mail, and the record the workflow writes for it (with the sealed form). */
async function withOrderOnRecord() {
  const gateway = await build();
  const res = await commerceV2(gateway.app, 'ord-pii-1', EMAIL);
  expect(res.statusCode, res.body).toBe(202);
  const sealed = gateway.sink.commerceEvents[0]?.sealedEmail;
  if (sealed === undefined) throw new Error('the gateway handed no sealed e-mail to Temporal');
  gateway.store.put(
    dashboardRecord('ord-pii-1', { customer_id: CUSTOMER, customer_email_sealed: sealed }),
    dashboardRecord('ord-plain', { customer_id: CUSTOMER, submitted_at: '2026-11-21T10:00:00.000Z' }),
  );
  return { ...gateway, sealed };
}

describe('the customer e-mail on the read routes', () => {
  it('GET /v1/orders/{id} returns it in clear to the support token, and never the sealed form', async () => {
    const { app, sealed } = await withOrderOnRecord();
    const res = await app.inject({ method: 'GET', url: '/v1/orders/ord-pii-1', headers: SUPPORT });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({ order_id: 'ord-pii-1', customer_id: CUSTOMER, customer_email: EMAIL });
    expect(body).not.toHaveProperty('customer_email_sealed');
    expect(res.body).not.toContain(sealed);
    expect(res.body).not.toContain('pii1.');
  });

  it('needs the support token for it', async () => {
    const { app } = await withOrderOnRecord();
    for (const headers of [{}, bearer('wrong'), bearer(DEFAULT_SECRETS.codecApiToken ?? '')]) {
      const res = await app.inject({ method: 'GET', url: '/v1/orders/ord-pii-1', headers });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain(EMAIL);
    }
  });

  it('the lists carry neither the e-mail nor its sealed form', async () => {
    const { app, sealed } = await withOrderOnRecord();
    for (const url of [`/v1/customers/${CUSTOMER}/orders`, '/v1/support/orders?status=AWAITING_PAYMENT']) {
      const res = await app.inject({ method: 'GET', url, headers: SUPPORT });
      expect(res.statusCode, url).toBe(200);
      const orders = res.json<{ orders: Array<Record<string, unknown>> }>().orders;
      expect(orders.map((o) => o.order_id).sort(), url).toEqual(['ord-pii-1', 'ord-plain']);
      for (const text of [EMAIL, sealed, 'pii1.', 'customer_email']) expect(res.body, `${url}: ${text}`).not.toContain(text);
    }
  });

  it('answers customer_email: null once the customer is forgotten', async () => {
    const { app, emails } = await withOrderOnRecord();
    expect(await emails.forget(CUSTOMER)).toBe(1);
    const res = await app.inject({ method: 'GET', url: '/v1/orders/ord-pii-1', headers: SUPPORT });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toHaveProperty('customer_email', null);
    expect(body).toMatchObject({ order_id: 'ord-pii-1', status: 'AWAITING_PAYMENT' });
    expect(res.body).not.toContain(EMAIL);
  });

  it('an order that came without an e-mail has no customer_email at all', async () => {
    const { app } = await withOrderOnRecord();
    const res = await app.inject({ method: 'GET', url: '/v1/orders/ord-plain', headers: SUPPORT });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).not.toHaveProperty('customer_email');
  });

  it("a later order of the same customer is sealed under the same data key, and both open", async () => {
    const { app, sink, store, sealed } = await withOrderOnRecord();
    expect((await commerceV2(app, 'ord-pii-2', 'ada@example.org')).statusCode).toBe(202);
    const second = sink.commerceEvents[1]?.sealedEmail ?? '';
    expect(second.split('.')[1]).toBe(sealed.split('.')[1]);
    store.put(dashboardRecord('ord-pii-2', { customer_id: CUSTOMER, customer_email_sealed: second }));
    const res = await app.inject({ method: 'GET', url: '/v1/orders/ord-pii-2', headers: SUPPORT });
    expect(res.json()).toMatchObject({ customer_email: 'ada@example.org' });
  });
});

describe('the key store down while sealing', () => {
  function failingKeyStore(): CustomerKeyStore & { calls: number } {
    const down = async (): Promise<never> => {
      failing.calls += 1;
      throw new Error('connect ECONNREFUSED 10.0.0.7:5432');
    };
    const failing = {
      calls: 0,
      liveKey: down,
      addKey: down,
      byKeyId: down,
      destroyCustomerKeys: down,
      wrappedByOtherThan: down,
      rewrap: down,
      countByMasterKey: down,
    };
    return failing;
  }

  it('answers 503 with Retry-After and hands nothing to Temporal', async () => {
    const keys = failingKeyStore();
    const { app, sink } = await build({ emails: createCustomerEmails(parseKeyring(DEV_PII_KEY), keys) });
    const res = await commerceV2(app, 'ord-pii-503', EMAIL);
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(ProblemShape.parse(res.json()).status).toBe(503);
    expect(keys.calls).toBeGreaterThan(0);
    expect(sink.commerceEvents).toHaveLength(0);
    // Neither the e-mail nor the store's address leaves in the answer.
    expect(res.body).not.toContain(EMAIL);
    expect(res.body).not.toContain('10.0.0.7');
  });

  it('still accepts an order without an e-mail, which needs no key', async () => {
    const { app, sink } = await build({ emails: createCustomerEmails(parseKeyring(DEV_PII_KEY), failingKeyStore()) });
    expect((await commerceV2(app, 'ord-no-email')).statusCode).toBe(202);
    expect(sink.commerceEvents).toHaveLength(1);
  });

  it('a retry after the store is back is accepted and sealed', async () => {
    const healthy = createMemoryCustomerKeyStore();
    let down = true;
    const flaky: CustomerKeyStore = {
      liveKey: (c) => (down ? Promise.reject(new Error('store down')) : healthy.liveKey(c)),
      addKey: (k) => (down ? Promise.reject(new Error('store down')) : healthy.addKey(k)),
      byKeyId: (id) => healthy.byKeyId(id),
      destroyCustomerKeys: (c) => healthy.destroyCustomerKeys(c),
      wrappedByOtherThan: (m, l) => healthy.wrappedByOtherThan(m, l),
      rewrap: (id, from, to) => healthy.rewrap(id, from, to),
      countByMasterKey: () => healthy.countByMasterKey(),
    };
    const { app, sink, emails } = await build({ emails: createCustomerEmails(parseKeyring(DEV_PII_KEY), flaky) });
    expect((await commerceV2(app, 'ord-retry', EMAIL)).statusCode).toBe(503);
    down = false;
    expect((await commerceV2(app, 'ord-retry', EMAIL)).statusCode).toBe(202);
    expect(sink.commerceEvents).toHaveLength(1);
    expect(await emails.open(sink.commerceEvents[0]?.sealedEmail ?? '')).toEqual({ state: 'readable', email: EMAIL });
  });
});
