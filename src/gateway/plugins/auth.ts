// Authentication hooks: HMAC signatures for the webhooks, a Bearer token for the support and order routes.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../problem';
import { isValidSignature } from '../signature';

export function requireSignature(headerName: string, secret: string) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers[headerName.toLowerCase()];
    const value = Array.isArray(header) ? header[0] : header;
    if (!isValidSignature(secret, request.rawBody ?? Buffer.alloc(0), value)) {
      throw new HttpProblem(401, 'bad-signature', `missing or wrong ${headerName}`, [{ field: headerName, message: 'missing or wrong signature' }]);
    }
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function requireBearer(token: string) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    // The scheme name is case-insensitive (RFC 9110 §11.1); the token itself is compared exactly.
    const match = /^bearer +(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const given = match?.[1] ?? '';
    if (!given || !sameSecret(given, token)) {
      throw new HttpProblem(401, 'unauthorized', 'missing or wrong Bearer token', [{ field: 'authorization', message: 'missing or wrong Bearer token' }], {
        'www-authenticate': 'Bearer',
      });
    }
  };
}
