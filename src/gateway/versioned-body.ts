// Versioned request bodies: the media type names the payload version (media-type.ts) and the body is validated
// against that version's zod schema. The route still declares the newest schema, so /docs shows it from the same
// object; Fastify's own body validation is skipped for these routes and done here, after the signature check.
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { payloadVersion, type PayloadKind } from './media-type';
import { HttpProblem } from './problem';

declare module 'fastify' {
  interface FastifyRequest {
    payloadVersion?: number;
  }
}

export function versionedBody<S extends z.ZodType>(kind: PayloadKind, schemas: Record<number, S>) {
  return {
    /** onRequest: a wrong media type or version is refused before the body is even read (415). */
    async readVersion(request: FastifyRequest): Promise<void> {
      request.payloadVersion = payloadVersion(request.headers['content-type'], kind);
    },
    /** Replaces Fastify's body validation for the route: done in `validate` with the version's own schema. */
    validatorCompiler: () => (data: unknown) => ({ value: data }),
    /** preHandler: 400 with one errors[] entry per bad field, else the body becomes the parsed value. */
    async validate(request: FastifyRequest): Promise<void> {
      const schema = schemas[request.payloadVersion ?? 1];
      if (!schema) throw new Error(`no ${kind} schema for version ${request.payloadVersion}`);
      const result = schema.safeParse(request.body);
      if (!result.success) {
        const errors = result.error.issues.map((issue) => ({
          field: ['body', ...issue.path.map(String)].join('.'),
          message: issue.message,
        }));
        throw new HttpProblem(400, 'invalid-request', `the body does not match ${kind} version ${request.payloadVersion ?? 1}`, errors);
      }
      request.body = result.data;
    },
  };
}
