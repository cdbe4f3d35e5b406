// The master keys of PII_ENCRYPTION_KEYS (contract §2, §9): `keyId:base64(32 bytes)`, comma-separated; the first one
// encrypts, every one decrypts, so a new key is added in front and the old one stays until nothing needs it
// (docs/pii.md, "Keys").
import { KEY_BYTES, randomKey } from './aes-gcm';

export interface MasterKey {
  id: string;
  key: Buffer;
}

export interface Keyring {
  /** The key new payloads and new data keys are sealed with: the first in the list. */
  readonly current: MasterKey;
  /** Every key, for decryption, in the listed order. */
  readonly keys: readonly MasterKey[];
  find(keyId: string): MasterKey | undefined;
}

/** Ids go into payload metadata and store rows: short and unambiguous in both. */
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const STRICT_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The key `npm start` prints and uses when PII_ENCRYPTION_KEYS is unset. It is public (it is in this file), so it
 * protects nothing: production refuses it, by its bytes, under whatever id it is given.
 */
export const DEV_PII_KEY = 'dev-1:ZGV2LW9ubHktb21zLXBpaS1rZXktbm90LXNlY3JldCE=';

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

export function parseKeyring(text: string, variable = 'PII_ENCRYPTION_KEYS'): Keyring {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length === 0 || entries.every((e) => e === '')) throw new KeyringError(`${variable}: no key given; expected keyId:base64(32 bytes), comma-separated`);
  const keys: MasterKey[] = [];
  entries.forEach((entry, index) => {
    const where = `${variable}: key ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new KeyringError(`${where} is not keyId:base64(32 bytes)`);
    const id = entry.slice(0, colon);
    const material = entry.slice(colon + 1);
    // Not echoed: an invalid "id" may well be the key itself, written first by mistake (base64 ends in '=').
    if (!KEY_ID.test(id)) throw new KeyringError(`${where}: the id before ':' must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    // Strict: Buffer.from(…, 'base64') accepts anything and drops what it cannot read, so a typo would silently make
    // a different (or shorter) key. The key material itself never appears in the message.
    if (!STRICT_BASE64.test(material)) throw new KeyringError(`${where} ("${id}"): the key must be ${KEY_BYTES} bytes in standard base64 (44 characters ending in '=')`);
    if (keys.some((k) => k.id === id)) throw new KeyringError(`${where}: the id "${id}" is listed twice`);
    keys.push({ id, key: Buffer.from(material, 'base64') });
  });
  const byId = new Map(keys.map((k) => [k.id, k]));
  return { current: keys[0]!, keys, find: (keyId) => byId.get(keyId) };
}

/** Whether any key is the public dev key, under any id. */
export function holdsDevKey(keyring: Keyring): boolean {
  const dev = parseKeyring(DEV_PII_KEY).current.key;
  return keyring.keys.some((k) => k.key.equals(dev));
}

/** A fresh key line for PII_ENCRYPTION_KEYS (`npm run pii -- new-key <id>`). */
export function newKeyEntry(id: string): string {
  const entry = `${id}:${randomKey().toString('base64')}`;
  parseKeyring(entry);
  return entry;
}
