// The one central error handler: every failure leaves as application/problem+json, and a 5xx never leaks internals.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpProblem, problemBody, type FieldError } from '../../problem';

const FASTIFY_CODES: Record<string, { status: number; slug: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, slug: 'body-too-large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, slug: 'unsupported-media-type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, slug: 'bad-content-length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, slug: 'empty-body' },
};

/**
 * Errors of Fastify's router, answered before any route or error handler runs: a path that is not valid percent-encoded
 * UTF-8 (a lone surrogate such as %ED%A0%80 among them) and a path parameter over the router's bound. Passed to
 * Fastify's `frameworkErrors` so that they leave as problems too instead of Fastify's own JSON.
 */
const ROUTER_CODES: Record<string, { status: number; slug: string; detail: string }> = {
  FST_ERR_BAD_URL: { status: 400, slug: 'bad-url', detail: 'the path is not valid percent-encoded UTF-8' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, slug: 'uri-too-long', detail: 'a path parameter is far longer than any id (contract §4)' },
};

export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = ROUTER_CODES[error.code];
  if (!known) request.log.error({ err: error }, 'unhandled framework error');
  const { status, slug, detail } = known ?? { status: 500, slug: 'internal', detail: 'an internal error occurred; it has been logged' };
  void reply.code(status).type('application/problem+json').send(problemBody(status, slug, detail));
}

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
