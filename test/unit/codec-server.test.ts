// The codec server of the Temporal Web UI (contract §9) through the real gateway (build(), app.inject): the Bearer
// token, the Web UI's wire format, payloads the workers encoded, CORS for the Web UI's origin only, and 400s (never a
// 500) for what a client sends wrong.
import { randomBytes } from 'node:crypto';
import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import { encodeToPayload, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { parseKeyring } from '../../src/pii/keyring';
import { AesGcmPayloadCodec } from '../../src/pii/payload-codec';
import { bearer, build, DEFAULT_SECRETS, ProblemShape } from '../helpers/gateway-app';

const CODEC_TOKEN = DEFAULT_SECRETS.codecApiToken ?? '';
const WEB_UI = 'http://127.0.0.1:8233';
const ROUTES = ['/codec/decode', '/codec/encode'] as const;

type WirePayload = { metadata: Record<string, string>; data: string };
const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');

/** A payload as the Web UI sends and receives it: proto3 JSON, bytes in standard base64. */
function toWire(p: Payload): WirePayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

const converter = new DefaultPayloadConverter();
const EVENT = { receivedAt: '2026-11-22T10:00:00.000Z', payload: { customer_id: 'cus-ada', order: { order_id: 'ord-codec-1', items: [{ item_id: 'itm-1', quantity: 2 }] } } };
const PLAIN = [converter.toPayload(EVENT), converter.toPayload('just a string'), converter.toPayload(null)].map(toWire);

function post(app: FastifyInstance, url: string, body: unknown, headers: Record<string, string> = bearer(CODEC_TOKEN)) {
  return app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
}

function payloadsOf(res: LightMyRequestResponse): WirePayload[] {
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ payloads: WirePayload[] }>().payloads;
}

function problemOf(res: LightMyRequestResponse, status: number): ProblemShape {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const problem = ProblemShape.parse(res.json());
  expect(problem.status).toBe(status);
  return problem;
}

describe('codec server: the Bearer token', () => {
  it.each(ROUTES)('%s answers 401 without the token, with a wrong one, or with another route\'s token', async (url) => {
    const { app } = await build();
    for (const headers of [{}, bearer(`${CODEC_TOKEN}x`), bearer(DEFAULT_SECRETS.supportApiToken), { authorization: CODEC_TOKEN }, { authorization: `Basic ${CODEC_TOKEN}` }]) {
      const res = await post(app, url, { payloads: PLAIN }, headers);
      problemOf(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).not.toContain('cus-ada');
    }
  });

  it('does not open the support routes with the codec token', async () => {
    const { app } = await build();
    expect((await app.inject({ method: 'GET', url: '/v1/orders/ord-1', headers: bearer(CODEC_TOKEN) })).statusCode).toBe(401);
  });
});

describe('codec server: the Web UI wire format', () => {
  it('encodes into encrypted payloads and decodes them back to the very payloads sent', async () => {
    const { app } = await build();
    const encoded = payloadsOf(await post(app, '/codec/encode', { payloads: PLAIN }));
    expect(encoded).toHaveLength(PLAIN.length);
    for (const p of encoded) {
      expect(unb64(p.metadata.encoding)).toBe('binary/encrypted');
      expect(unb64(p.metadata['encryption-key-id'])).toBe('dev-1');
      expect(Buffer.from(p.data, 'base64').includes(Buffer.from('cus-ada'))).toBe(false);
    }
    expect(payloadsOf(await post(app, '/codec/decode', { payloads: encoded }))).toEqual(PLAIN);
  });

  it('decodes what a worker encoded with its own codec, under the current key and under an older one', async () => {
    // The worker's keyring is built from the same variable, in another process: equal keys, distinct objects.
    const keys = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
    const { app } = await build({ keyring: parseKeyring(keys) });
    const worker = loadDataConverter(encryptingDataConverter(parseKeyring(keys)));
    const beforeRotation = new AesGcmPayloadCodec(parseKeyring(keys.split(',')[1]!));
    const payloads = [await encodeToPayload(worker, EVENT), ...(await beforeRotation.encode([converter.toPayload(EVENT)]))];
    expect(payloads.map((p) => Buffer.from(p.metadata?.['encryption-key-id'] ?? new Uint8Array()).toString())).toEqual(['k2', 'k1']);
    const decoded = payloadsOf(await post(app, '/codec/decode', { payloads: payloads.map(toWire) }));
    expect(decoded).toEqual([PLAIN[0], PLAIN[0]]);
    expect(JSON.parse(unb64(decoded[0]?.data))).toEqual(EVENT);
  });

  it('passes payloads that are not encrypted through decode (history from before encryption)', async () => {
    const { app } = await build();
    expect(payloadsOf(await post(app, '/codec/decode', { payloads: PLAIN }))).toEqual(PLAIN);
    expect(payloadsOf(await post(app, '/codec/decode', { payloads: [] }))).toEqual([]);
  });

  it('takes a whole history in one call, beyond the webhooks\' body limit', async () => {
    const { app } = await build();
    const big = Array.from({ length: 40 }, (_, i) => toWire(converter.toPayload({ i, filler: 'x'.repeat(10_000) })));
    expect(JSON.stringify({ payloads: big }).length).toBeGreaterThan(256 * 1024);
    const encoded = payloadsOf(await post(app, '/codec/encode', { payloads: big }));
    expect(payloadsOf(await post(app, '/codec/decode', { payloads: encoded }))).toEqual(big);
  });
});

describe('codec server: CORS for the Web UI', () => {
  const preflight = (app: FastifyInstance, origin: string, url: string = '/codec/decode') =>
    app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-namespace,content-type,authorization,authorization-extras' },
    });

  it.each(ROUTES)('answers the Web UI\'s preflight of %s with 204, its origin and the four headers it sends', async (url) => {
    const { app } = await build();
    const res = await preflight(app, WEB_UI, url);
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(WEB_UI);
    const allowed = String(res.headers['access-control-allow-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(['x-namespace', 'content-type', 'authorization', 'authorization-extras']));
    expect(String(res.headers['access-control-allow-methods'] ?? '')).toContain('POST');
    expect(String(res.headers.vary ?? '').toLowerCase()).toContain('origin');
  });

  it('lets the Web UI read the answers: a 200 and a 401 both carry its origin', async () => {
    const { app } = await build();
    const ok = await post(app, '/codec/decode', { payloads: PLAIN }, { ...bearer(CODEC_TOKEN), origin: WEB_UI, 'x-namespace': 'default' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(WEB_UI);
    const refused = await post(app, '/codec/decode', { payloads: PLAIN }, { origin: WEB_UI, 'x-namespace': 'default' });
    problemOf(refused, 401);
    expect(refused.headers['access-control-allow-origin']).toBe(WEB_UI);
  });

  it('gives an origin it does not list no access-control-allow-origin', async () => {
    const { app } = await build();
    for (const origin of ['http://evil.example', 'http://127.0.0.1:8234', 'https://127.0.0.1:8233']) {
      expect((await preflight(app, origin)).headers['access-control-allow-origin'], origin).toBeUndefined();
      const res = await post(app, '/codec/decode', { payloads: PLAIN }, { ...bearer(CODEC_TOKEN), origin });
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('answers for the origins it is configured with (CODEC_CORS_ORIGINS)', async () => {
    const { app } = await build({ codecCorsOrigins: ['https://temporal.example.com'] });
    expect((await preflight(app, 'https://temporal.example.com')).headers['access-control-allow-origin']).toBe('https://temporal.example.com');
    expect((await preflight(app, WEB_UI)).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('opens no other route of the gateway to the Web UI\'s origin', async () => {
    const { app } = await build();
    for (const url of ['/v1/orders/ord-1', '/v1/orders/ord-1/cancel', '/v1/webhooks/commerce']) {
      expect((await preflight(app, WEB_UI, url)).headers['access-control-allow-origin'], url).toBeUndefined();
    }
  });
});

describe('codec server: what a client sends wrong is a 400, never a 500', () => {
  it('refuses another namespace than the one it serves, and accepts its own or none', async () => {
    const { app } = await build();
    const res = await post(app, '/codec/decode', { payloads: PLAIN }, { ...bearer(CODEC_TOKEN), 'x-namespace': 'orders-prod' });
    expect(problemOf(res, 400).errors.map((e) => e.field)).toEqual(['headers.x-namespace']);
    expect(payloadsOf(await post(app, '/codec/decode', { payloads: PLAIN }, { ...bearer(CODEC_TOKEN), 'x-namespace': 'default' }))).toEqual(PLAIN);
    expect(payloadsOf(await post(app, '/codec/decode', { payloads: PLAIN }))).toEqual(PLAIN);
  });

  it.each(ROUTES)('%s refuses data or metadata that is not standard base64, naming the field', async (url) => {
    const { app } = await build();
    const good = PLAIN[0]!;
    for (const bad of [
      { ...good, data: 'not base64!' },
      { ...good, data: good.data.replace(/=+$/, '') + '=' + '=' + '=' },
      { ...good, data: Buffer.from(unb64(good.data)).toString('base64url').replace(/=+$/, '') + '-_' },
      { ...good, metadata: { encoding: 'json/plain' } },
    ]) {
      const problem = problemOf(await post(app, url, { payloads: [bad] }), 400);
      expect(problem.errors.some((e) => e.field.startsWith('body.payloads')), JSON.stringify(problem)).toBe(true);
    }
    for (const body of [{}, { payloads: 'x' }, { payloads: [{ data: 5 }] }]) problemOf(await post(app, url, body), 400);
  });

  it('answers 400 naming the key id for a payload under a key it does not hold', async () => {
    const { app } = await build();
    const [foreign] = await new AesGcmPayloadCodec(parseKeyring(`retired-2025:${randomBytes(32).toString('base64')}`)).encode([converter.toPayload(EVENT)]);
    const problem = problemOf(await post(app, '/codec/decode', { payloads: [toWire(foreign!)] }), 400);
    expect(problem.detail).toContain('retired-2025');
  });

  it('answers 400 for an encrypted payload that was altered', async () => {
    const { app } = await build();
    const [encoded] = payloadsOf(await post(app, '/codec/encode', { payloads: [PLAIN[0]] }));
    const data = Buffer.from(encoded!.data, 'base64');
    data[20] = (data[20] ?? 0) ^ 0xff;
    problemOf(await post(app, '/codec/decode', { payloads: [{ ...encoded!, data: data.toString('base64') }] }), 400);
  });
});
