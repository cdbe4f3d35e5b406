// Unit tests of webhook signature checking: HMAC-SHA256 of the raw body, hex, `sha256=` prefix.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isValidSignature, signBody, SIGNATURE_PREFIX } from '../../src/gateway/signature';

const SECRET = 'test-commerce-secret';
const BODY = Buffer.from(JSON.stringify({ customer_id: 'cus-007', order: { order_id: 'ord-1', items: [{ item_id: 'x', quantity: 1 }] } }));
const HEX = createHmac('sha256', SECRET).update(BODY).digest('hex');

describe('signBody', () => {
  it('is sha256= plus the hex HMAC-SHA256 of the raw body', () => {
    expect(SIGNATURE_PREFIX).toBe('sha256=');
    expect(signBody(SECRET, BODY)).toBe(`sha256=${HEX}`);
    expect(signBody(SECRET, BODY.toString('utf8'))).toBe(`sha256=${HEX}`);
  });
});

describe('isValidSignature', () => {
  it('accepts the right signature', () => {
    expect(isValidSignature(SECRET, BODY, `sha256=${HEX}`)).toBe(true);
  });

  it('accepts upper-case hex (hex is case-insensitive)', () => {
    expect(isValidSignature(SECRET, BODY, `sha256=${HEX.toUpperCase()}`)).toBe(true);
  });

  it('rejects a signature made with another secret', () => {
    expect(isValidSignature(SECRET, BODY, signBody('other-secret', BODY))).toBe(false);
  });

  it('rejects a signature with one hex digit changed', () => {
    const last = HEX.at(-1) === '0' ? '1' : '0';
    expect(isValidSignature(SECRET, BODY, `sha256=${HEX.slice(0, -1)}${last}`)).toBe(false);
  });

  it.each([
    ['too short', HEX.slice(0, 32)],
    ['too long', `${HEX}00`],
    ['empty', ''],
  ])('rejects a digest that is %s', (_name, digest) => {
    expect(isValidSignature(SECRET, BODY, `sha256=${digest}`)).toBe(false);
  });

  it('rejects non-hex characters of the right length', () => {
    expect(isValidSignature(SECRET, BODY, `sha256=${'z'.repeat(64)}`)).toBe(false);
    expect(isValidSignature(SECRET, BODY, `sha256=${HEX.slice(0, 62)}zz`)).toBe(false);
  });

  it('rejects the digest without the sha256= prefix', () => {
    expect(isValidSignature(SECRET, BODY, HEX)).toBe(false);
  });

  it.each(['sha1=', 'sha256:', 'hmac-sha256='])('rejects the prefix %s', (prefix) => {
    expect(isValidSignature(SECRET, BODY, `${prefix}${HEX}`)).toBe(false);
  });

  it('rejects a missing header', () => {
    expect(isValidSignature(SECRET, BODY, undefined)).toBe(false);
  });

  it('rejects a body changed by one byte', () => {
    const tampered = Buffer.from(BODY);
    tampered[tampered.length - 2] = (tampered[tampered.length - 2] ?? 0) ^ 0x01;
    expect(isValidSignature(SECRET, tampered, `sha256=${HEX}`)).toBe(false);
  });

  it('rejects the same JSON re-serialized with different whitespace (the raw bytes are signed)', () => {
    const pretty = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8')), null, 2));
    expect(isValidSignature(SECRET, pretty, `sha256=${HEX}`)).toBe(false);
  });
});
