// Envelope encryption of the customer's e-mail (contract §9, docs/pii.md). The gateway seals each e-mail under the
// customer's own data key before anything else sees it; only the sealed form travels (Temporal payloads, the
// dashboard record), and only GET /v1/orders/{id} opens it. Forgetting a customer destroys the data key, which makes
// every copy of the sealed e-mail unreadable at once, wherever it was written.
import { randomBytes } from 'node:crypto';
import type { CustomerKeyStore, WrappedDataKey } from '../store/customer-key-store';
import { open, randomKey, seal, SealError } from './aes-gcm';
import type { Keyring } from './keyring';

/** `pii1.<data key id>.<base64url(iv | ciphertext | tag)>`: self-describing, and safe in JSON, logs and URLs. */
const SEALED = /^pii1\.(dk_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]+)$/;

const emailAad = (keyId: string) => `oms-customer-email:${keyId}`;
/** A wrapped key is bound to its id and customer: a row edited to point at another customer's key fails to open. */
const wrapAad = (keyId: string, customerId: string) => `oms-data-key:${keyId}:${customerId}`;

export type OpenedEmail = { state: 'readable'; email: string } | { state: 'erased' };

export interface CustomerEmails {
  /** The sealed form of `email` under the customer's data key, made on the customer's first e-mail. */
  seal(customerId: string, email: string): Promise<string>;
  /** The e-mail, or `erased` once its data key is destroyed. Throws on a value that is not a sealed e-mail. */
  open(sealed: string): Promise<OpenedEmail>;
  /** Destroys the customer's data keys (`npm run pii -- forget`); returns how many. */
  forget(customerId: string): Promise<number>;
  /** Rewraps every data key still wrapped by an older master key with the current one; returns how many. */
  rewrapAll(): Promise<number>;
}

export class SealedEmailError extends Error {
  override readonly name = 'SealedEmailError';
}

export function isSealedEmail(value: string): boolean {
  return SEALED.test(value);
}

export function createCustomerEmails(keyring: Keyring, keys: CustomerKeyStore): CustomerEmails {
  function unwrap(row: WrappedDataKey): Buffer {
    const master = keyring.find(row.masterKeyId);
    if (!master) throw new SealError(`the data key ${row.keyId} is wrapped by master key "${row.masterKeyId}", which PII_ENCRYPTION_KEYS does not list`);
    return open(master.key, Buffer.from(row.wrappedKey, 'base64'), wrapAad(row.keyId, row.customerId));
  }

  function wrap(keyId: string, customerId: string, dataKey: Buffer): WrappedDataKey {
    const { id, key } = keyring.current;
    return { keyId, customerId, masterKeyId: id, wrappedKey: seal(key, dataKey, wrapAad(keyId, customerId)).toString('base64') };
  }

  return {
    async seal(customerId, email) {
      let row = await keys.liveKey(customerId);
      if (!row) {
        const keyId = `dk_${randomBytes(16).toString('base64url')}`;
        row = await keys.addKey(wrap(keyId, customerId, randomKey()));
      }
      const sealed = seal(unwrap(row), Buffer.from(email, 'utf8'), emailAad(row.keyId));
      return `pii1.${row.keyId}.${sealed.toString('base64url')}`;
    },

    async open(sealed) {
      const match = SEALED.exec(sealed);
      if (!match) throw new SealedEmailError('not a sealed e-mail (pii1.<key id>.<data>)');
      const keyId = match[1]!;
      const row = await keys.byKeyId(keyId);
      if (!row) return { state: 'erased' };
      return { state: 'readable', email: open(unwrap(row), Buffer.from(match[2]!, 'base64url'), emailAad(keyId)).toString('utf8') };
    },

    forget: (customerId) => keys.destroyCustomerKeys(customerId),

    async rewrapAll() {
      let done = 0;
      for (;;) {
        const batch = await keys.wrappedByOtherThan(keyring.current.id, 500);
        if (batch.length === 0) return done;
        for (const row of batch) {
          const rewrapped = wrap(row.keyId, row.customerId, unwrap(row));
          if (await keys.rewrap(row.keyId, row.masterKeyId, rewrapped)) done++;
        }
      }
    },
  };
}
