// Webhook authenticity: HMAC-SHA256 over the raw body, hex, `sha256=` prefix, compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';

export function signBody(secret: string, rawBody: Buffer | string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Exactly `sha256=` (that case) and 64 hex digits (either case): Buffer.from(…, 'hex') alone would stop at the first stray
 * character, accepting `<digest>g`, `<digest>0` or a repeated header joined as `<digest>, sha256=…`. */
const SIGNATURE_FORMAT = /^sha256=[0-9a-fA-F]{64}$/;

export function isValidSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (header === undefined || !SIGNATURE_FORMAT.test(header)) return false;
  const given = Buffer.from(header.slice(SIGNATURE_PREFIX.length), 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(given, expected);
}
