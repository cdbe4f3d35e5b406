// JSON body parsing that keeps the raw bytes (the HMAC is over them) and accepts the versioned vendor media types.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../problem';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

export const BODY_LIMIT_BYTES = 256 * 1024;

export const rawJsonBody = fp(
  async (app: FastifyInstance) => {
    app.removeContentTypeParser('application/json');
    for (const contentType of ['application/json', /^application\/vnd\.oms\.[a-z-]+\+json/]) {
      app.addContentTypeParser(contentType, { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
        const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
        request.rawBody = raw;
        try {
          done(null, raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown));
        } catch {
          done(new HttpProblem(400, 'malformed-json', 'the request body is not valid JSON', [{ field: 'body', message: 'not valid JSON' }]), undefined);
        }
      });
    }
  },
  { name: 'raw-json-body' },
);
