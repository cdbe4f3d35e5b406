// preValidation hook of the webhooks: the HMAC signature of the raw body (once it is read), or a 401 naming the header.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '../problem';
import { isValidSignature } from '../signature';

/** The HMAC is over the raw bytes the raw-json-body plugin keeps, so this runs after parsing (preValidation). */
export function requireSignature(headerName: string, secret: string) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers[headerName.toLowerCase()];
    const value = Array.isArray(header) ? header[0] : header;
    if (!isValidSignature(secret, request.rawBody ?? Buffer.alloc(0), value)) {
      throw new HttpProblem(401, 'bad-signature', `missing or wrong ${headerName}`, [{ field: headerName, message: 'missing or wrong signature' }]);
    }
  };
}
