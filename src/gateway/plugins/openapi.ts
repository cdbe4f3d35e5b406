// The OpenAPI document, generated from the routes' own zod schemas (no second copy of any schema), and its UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export const openApi = fp(
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
  { name: 'openapi' },
);
