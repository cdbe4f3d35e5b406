// The one central error handler: every failure leaves as application/problem+json, and a 5xx never leaks internals.
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpProblem, problemBody, type FieldError } from '../problem';

const FASTIFY_CODES: Record<string, { status: number; slug: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, slug: 'body-too-large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, slug: 'unsupported-media-type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, slug: 'bad-content-length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, slug: 'empty-body' },
};

function fieldPath(instancePath: string, prefix: string): string {
  const path = instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
  return path ? `${prefix}.${path}` : prefix;
}

export const problemErrors = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
      reply.type('application/problem+json');
      if (error instanceof HttpProblem) {
        return reply.code(error.status).headers(error.headers).send(problemBody(error.status, error.slug, error.message, error.errors));
      }
      if (hasZodFastifySchemaValidationErrors(error)) {
        const where = error.validationContext ?? 'body';
        const errors: FieldError[] = error.validation.map((v) => ({ field: fieldPath(v.instancePath, where), message: v.message ?? 'invalid' }));
        return reply.code(400).send(problemBody(400, 'invalid-request', `the ${where} does not match the schema`, errors));
      }
      const known = error.code ? FASTIFY_CODES[error.code] : undefined;
      if (known) return reply.code(known.status).send(problemBody(known.status, known.slug, error.message));
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return reply.code(error.statusCode).send(problemBody(error.statusCode, 'bad-request', error.message));
      }
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send(problemBody(500, 'internal', 'an internal error occurred; it has been logged'));
    });
    app.setNotFoundHandler((request, reply) => {
      reply.type('application/problem+json').code(404).send(problemBody(404, 'not-found', `no route ${request.method} ${request.url.split('?')[0]}`));
    });
  },
  { name: 'problem-errors' },
);
