// JSON body parsing that keeps the raw bytes (the HMAC is over them) and accepts the versioned vendor media types.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../../problem';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

export const BODY_LIMIT_BYTES = 256 * 1024;

// ignoreBOM keeps a byte-order mark in the text, so JSON.parse refuses it (RFC 8259: senders must not add one).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const rawJsonBody = fp(
  async (app: FastifyInstance) => {
    app.removeContentTypeParser('application/json');
    for (const contentType of ['application/json', /^application\/vnd\.oms\.[a-z-]+\+json/]) {
      app.addContentTypeParser(contentType, { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
        const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
        request.rawBody = raw;
        try {
          // Strict UTF-8 (RFC 8259): a lossy decode would map different signed bodies onto the same order id.
          done(null, raw.length === 0 ? undefined : (JSON.parse(strictUtf8.decode(raw)) as unknown));
        } catch {
          done(new HttpProblem(400, 'malformed-json', 'the request body is not valid JSON', [{ field: 'body', message: 'not valid JSON' }]), undefined);
        }
      });
    }
  },
  { name: 'raw-json-body' },
);
