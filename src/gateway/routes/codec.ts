// The codec server of the operators' Temporal Web UI (contract §9): /codec/decode and /codec/encode on the Web UI's
// wire format, behind CODEC_API_TOKEN, with CORS for the Web UI's origins only. It runs the workers' own payload
// codec, so whoever holds the token reads what the workers read: orders, never a clear e-mail (that stays sealed
// under the customer's data key, docs/pii.md).
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PayloadKeyError } from '../../pii/payload-codec';
import { SealError } from '../../pii/aes-gcm';
import { requireBearer } from '../hooks/require-bearer';
import { HttpProblem, problems } from '../problem';

export interface CodecRouteOptions {
  codec: PayloadCodec;
  apiToken: string;
  /** The Web UI origins allowed to call from a browser (CODEC_CORS_ORIGINS). */
  corsOrigins: readonly string[];
  /** The one namespace whose payloads this server handles (TEMPORAL_NAMESPACE). */
  namespace: string;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const Base64 = z.string().regex(STRICT_BASE64, 'must be standard base64');
/** temporal.api.common.v1.Payload in proto3 JSON: bytes as base64. */
const WirePayload = z.object({ metadata: z.record(z.string(), Base64).default({}), data: Base64.default('') });
const WirePayloads = z.object({ payloads: z.array(WirePayload).max(10_000) });
type WirePayloads = z.infer<typeof WirePayloads>;

/** Large enough for a whole history's payloads in one call (the Web UI batches them), small enough to bound memory. */
const CODEC_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/** The headers the Web UI sends (X-Namespace always; the two authorization ones when it passes a token). */
export const CODEC_CORS_HEADERS = ['X-Namespace', 'Content-Type', 'Authorization', 'Authorization-Extras'];

const fromWire = (p: WirePayloads['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

const toWire = (p: Payload): WirePayloads['payloads'][number] => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const codecScope: FastifyPluginAsyncZod<CodecRouteOptions> = async (app, opts) => {
  // First, so that its headers are on every answer (a 401 too, which the browser may then read) and a preflight,
  // which carries no Authorization by design, is answered before the token check.
  await app.register(cors, {
    origin: [...opts.corsOrigins],
    methods: ['POST'],
    allowedHeaders: CODEC_CORS_HEADERS,
    maxAge: 600,
    strictPreflight: true,
  });
  const bearer = requireBearer(opts.apiToken);
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'OPTIONS') await bearer(request, reply);
  });
  app.addHook('preHandler', async (request) => {
    const namespace = request.headers['x-namespace'];
    if (namespace !== undefined && namespace !== opts.namespace) {
      throw new HttpProblem(400, 'unknown-namespace', `this codec server serves namespace "${opts.namespace}"`, [{ field: 'headers.x-namespace', message: `must be "${opts.namespace}" or absent` }]);
    }
  });
  const problem = problems(400, 401);

  for (const [action, summary] of [
    ['decode', 'Decrypt payloads for the Temporal Web UI or CLI'],
    ['encode', 'Encrypt payloads (the Web UI sends its signal and query inputs through this)'],
  ] as const) {
    app.post(
      `/${action}`,
      {
        bodyLimit: CODEC_BODY_LIMIT_BYTES,
        schema: { tags: ['codec'], summary, body: WirePayloads, response: { 200: WirePayloads, ...problem } },
      },
      async (request) => {
        const payloads = request.body.payloads.map(fromWire);
        try {
          const result = action === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
          return { payloads: result.map(toWire) };
        } catch (err) {
          if (err instanceof PayloadKeyError || err instanceof SealError) {
            throw new HttpProblem(400, 'undecodable-payload', err.message, [{ field: 'body.payloads', message: err.message }]);
          }
          throw err;
        }
      },
    );
  }
};

/**
 * Registered under the /codec prefix: @fastify/cors answers preflights through an `OPTIONS <prefix>/*` route, which
 * without a prefix would answer (and approve the Web UI's origin for) every route of the gateway.
 */
export const codecRoutes: FastifyPluginAsyncZod<CodecRouteOptions> = async (app, opts) => {
  await app.register(codecScope, { ...opts, prefix: '/codec' });
};
