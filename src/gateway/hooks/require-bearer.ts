// onRequest hook of the order and support routes: the Bearer token, compared in constant time, or a 401.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../problem';

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
