// Webhook authenticity: HMAC-SHA256 over the raw body, hex, `sha256=` prefix, compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PREFIX = 'sha256=';

export function signBody(secret: string, rawBody: Buffer | string): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(rawBody).digest('hex');
}

export function isValidSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith(SIGNATURE_PREFIX)) return false;
  const given = Buffer.from(header.slice(SIGNATURE_PREFIX.length), 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  // Buffer.from(…, 'hex') drops invalid characters, so a wrong-length result is a wrong signature, not an error.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
