// The support console's server side: its static files under /console (a fixed list, a strict CSP) and its two support
// reads (the Commerce App's view of an order, the Web UI settings), through app.inject on the real gateway plugin.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommerceOrderRecord } from '../../contracts';
import type { CommerceApi } from '../../src/clients/commerce-api';
import { loadConfig } from '../../src/config';
import { gatewayApp, gatewayServerOptions } from '../../src/gateway/app';
import { CONSOLE_CSP } from '../../src/gateway/routes/console';
import type { SupportConsoleRouteOptions } from '../../src/gateway/routes/support-console';
import { createCustomerEmails } from '../../src/pii/customer-emails';
import { DEV_PII_KEY, parseKeyring } from '../../src/pii/keyring';
import { AesGcmPayloadCodec } from '../../src/pii/payload-codec';
import { createMemoryCustomerKeyStore } from '../../src/store/customer-key-store';
import { DEFAULT_SECRETS, InMemoryStore, bearer } from '../helpers/gateway-app';

const TOKEN = DEFAULT_SECRETS.supportApiToken;
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function gateway(supportConsole?: Omit<SupportConsoleRouteOptions, 'supportApiToken'>): Promise<FastifyInstance> {
  const keyring = parseKeyring(DEV_PII_KEY);
  const refuse = async () => Promise.reject(new Error('no commands in these tests'));
  app = Fastify(gatewayServerOptions(false));
  await app.register(gatewayApp, {
    events: { commerceOrder: refuse, paymentCapture: refuse },
    commands: { cancel: refuse, correct: refuse, retryParked: refuse, decideRisk: refuse },
    store: new InMemoryStore(),
    secrets: { ...DEFAULT_SECRETS },
    emails: createCustomerEmails(keyring, createMemoryCustomerKeyStore()),
    codec: { codec: new AesGcmPayloadCodec(keyring), apiToken: 'codec', corsOrigins: [], namespace: 'default' },
    readiness: {},
    ...(supportConsole ? { supportConsole } : {}),
  });
  return app;
}

const RECORD: CommerceOrderRecord = { order_id: 'ord-1', customer_id: 'cus-1', items: [{ item_id: 'itm-1', quantity: 2 }], placed_at: '2026-11-20T09:00:00.000Z' };

function commerce(answer: (orderId: string) => Promise<CommerceOrderRecord | undefined>): CommerceApi & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    getOrder: async (orderId) => {
      asked.push(orderId);
      return answer(orderId);
    },
  };
}

describe('GET /console', () => {
  it('redirects to /console/, which is the page with a strict CSP and no caching surprises', async () => {
    const gw = await gateway();
    const redirect = await gw.inject({ method: 'GET', url: '/console' });
    expect(redirect.statusCode).toBe(308);
    expect(redirect.headers.location).toBe('/console/');
    const res = await gw.inject({ method: 'GET', url: '/console/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body).toContain('<script type="module" src="/console/app.js"></script>');
    // No inline script or style: the CSP would block it.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/\sstyle=/);
  });

  it('serves each console file with its type, and nothing else under /console', async () => {
    const gw = await gateway();
    const types: Record<string, string> = {
      'app.js': 'text/javascript; charset=utf-8',
      'api.js': 'text/javascript; charset=utf-8',
      'views.js': 'text/javascript; charset=utf-8',
      'console.css': 'text/css; charset=utf-8',
      'lifecycle.svg': 'image/svg+xml; charset=utf-8',
    };
    for (const [name, type] of Object.entries(types)) {
      const res = await gw.inject({ method: 'GET', url: `/console/${name}` });
      expect(res.statusCode, name).toBe(200);
      expect(res.headers['content-type'], name).toBe(type);
      expect(res.headers['content-security-policy'], name).toBe(CONSOLE_CSP);
    }
    for (const url of ['/console/tsconfig.json', '/console/../package.json', '/console/%2e%2e/package.json', '/console/app.js/', '/console/nope.js']) {
      expect((await gw.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it('keeps the token out of URLs and cookies: the page code sends it only as an Authorization header', async () => {
    const gw = await gateway();
    const api = (await gw.inject({ method: 'GET', url: '/console/api.js' })).body;
    expect(api).toContain("sessionStorage.getItem(TOKEN_KEY)");
    expect(api).toContain('headers.authorization = `Bearer ${token}`');
    expect(api).toContain("credentials: 'omit'");
    const all = (await Promise.all(['app.js', 'api.js', 'views.js'].map((f) => gw.inject({ method: 'GET', url: `/console/${f}` })))).map((r) => r.body).join('\n');
    expect(all).not.toMatch(/document\.cookie|localStorage|innerHTML|outerHTML|insertAdjacentHTML|eval\(/);
    expect(all).not.toMatch(/[?&]token=/);
  });
});

describe('GET /v1/support/orders/{id}/commerce', () => {
  it('answers what the Commerce App holds, null when it does not know the order, behind the support token', async () => {
    const api = commerce(async (id) => (id === 'ord-1' ? RECORD : undefined));
    const gw = await gateway({ commerce: api, temporal: { uiUrl: undefined, namespace: 'default' } });
    expect((await gw.inject({ method: 'GET', url: '/v1/support/orders/ord-1/commerce' })).statusCode).toBe(401);
    expect(api.asked).toEqual([]);
    const found = await gw.inject({ method: 'GET', url: '/v1/support/orders/ord-1/commerce', headers: bearer(TOKEN) });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ order_id: 'ord-1', commerce: RECORD });
    const unknown = await gw.inject({ method: 'GET', url: '/v1/support/orders/ord-2/commerce', headers: bearer(TOKEN) });
    expect(unknown.json()).toMatchObject({ order_id: 'ord-2', commerce: null });
    expect((await gw.inject({ method: 'GET', url: '/v1/support/orders/ord%20x/commerce', headers: bearer(TOKEN) })).statusCode).toBe(400);
    expect(api.asked).toEqual(['ord-1', 'ord-2']);
  });

  it('is 503 with Retry-After when the Commerce App fails (without naming its host), and when none is configured', async () => {
    const failing = await gateway({ commerce: commerce(async () => Promise.reject(new Error('GET http://commerce.internal:4001/orders/ord-1 answered 500'))), temporal: { uiUrl: undefined, namespace: 'default' } });
    const res = await failing.inject({ method: 'GET', url: '/v1/support/orders/ord-1/commerce', headers: bearer(TOKEN) });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).not.toContain('commerce.internal');
    await failing.close();
    const none = await gateway();
    expect((await none.inject({ method: 'GET', url: '/v1/support/orders/ord-1/commerce', headers: bearer(TOKEN) })).json()).toMatchObject({ status: 503, type: expect.stringContaining('commerce-view-unavailable') });
  });
});

describe('GET /v1/support/console-settings', () => {
  it("gives the Web UI's workflow page for an order id, or null without a UI", async () => {
    const gw = await gateway({ commerce: undefined, temporal: { uiUrl: 'http://127.0.0.1:8233', namespace: 'default' } });
    expect((await gw.inject({ method: 'GET', url: '/v1/support/console-settings' })).statusCode).toBe(401);
    expect((await gw.inject({ method: 'GET', url: '/v1/support/console-settings', headers: bearer(TOKEN) })).json()).toEqual({
      temporal_ui_url: 'http://127.0.0.1:8233',
      namespace: 'default',
      workflow_url_template: 'http://127.0.0.1:8233/namespaces/default/workflows/order-{order_id}',
    });
    await gw.close();
    const none = await gateway();
    expect((await none.inject({ method: 'GET', url: '/v1/support/console-settings', headers: bearer(TOKEN) })).json()).toMatchObject({ temporal_ui_url: null, workflow_url_template: null });
  });
});

describe('TEMPORAL_UI_URL', () => {
  it("defaults to the dev server's UI outside production, is taken as given (without a trailing slash), and is unset in production", () => {
    expect(loadConfig({}).temporalUiUrl).toBe('http://127.0.0.1:8233');
    expect(loadConfig({ OMS_DEV_TEMPORAL_UI_PORT: '18233' }).temporalUiUrl).toBe('http://127.0.0.1:18233');
    expect(loadConfig({ TEMPORAL_UI_URL: 'https://temporal.example.com/' }).temporalUiUrl).toBe('https://temporal.example.com');
    expect(() => loadConfig({ TEMPORAL_UI_URL: 'javascript:alert(1)' })).toThrow(/TEMPORAL_UI_URL/);
    const production = { NODE_ENV: 'production', PII_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` };
    expect(loadConfig(production, 'tool').temporalUiUrl).toBeUndefined();
    expect(loadConfig({ ...production, TEMPORAL_UI_URL: 'https://temporal.example.com' }, 'tool').temporalUiUrl).toBe('https://temporal.example.com');
  });
});
