// Third-party: @fastify/swagger builds the OpenAPI document from the routes' own zod schemas (no second copy of any
// schema), @fastify/swagger-ui serves it at /docs. Registered before the routes, so that it sees every one of them.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export const swaggerDocs = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'OMS Processing',
          version: '1.0.0',
          description: 'Order webhooks and payment captures in; enriched orders out on Kafka. Errors are application/problem+json.',
        },
        tags: [
          { name: 'webhooks', description: 'Signed with HMAC-SHA256 over the raw body' },
          { name: 'orders', description: 'Bearer SUPPORT_API_TOKEN' },
          { name: 'support', description: 'Bearer SUPPORT_API_TOKEN' },
          { name: 'health' },
        ],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'swagger-docs' },
);
