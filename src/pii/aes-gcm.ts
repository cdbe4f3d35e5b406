// AES-256-GCM sealing, the one cipher of the service's PII protection: payloads (payload-codec.ts), data keys wrapped
// by master keys, and e-mails under a customer's data key (customer-keys.ts) all go through these two functions.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** NIST SP 800-38D's recommended nonce length; a fresh random one per seal. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/**
 * `iv | ciphertext | tag`. `aad` binds the sealed bytes to their context (the key id, say), so a ciphertext moved
 * under another label fails to open instead of decrypting as something else.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export class SealError extends Error {
  override readonly name = 'SealError';
}

/** Throws SealError when the bytes were not sealed by this key under this `aad`, or were altered since. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new SealError(`sealed data is ${sealed.length} bytes, shorter than its nonce and tag`);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealError('sealed data does not open with this key: another key, another context, or altered');
  }
}

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
