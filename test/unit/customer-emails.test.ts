// Envelope encryption of the customer's e-mail (contract §9, src/pii/customer-emails.ts) over the in-memory key store:
// what is sealed opens again, one data key per customer, what the store holds, forgetting a customer, and rotating the
// master key under the stored data keys.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open as openSealed } from '../../src/pii/aes-gcm';
import { createCustomerEmails, isSealedEmail, SealedEmailError } from '../../src/pii/customer-emails';
import { parseKeyring } from '../../src/pii/keyring';
import { createMemoryCustomerKeyStore, type CustomerKeyStore, type WrappedDataKey } from '../../src/store/customer-key-store';

const SEALED_FORM = /^pii1\.(dk_[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]+$/;
const EMAIL = 'ada.lovelace@example.com';

function masterKey(id: string): { entry: string; key: Buffer } {
  const key = randomBytes(32);
  return { entry: `${id}:${key.toString('base64')}`, key };
}

const OLD = masterKey('old');
const NEW = masterKey('new');

/** The data key id a sealed e-mail names. */
const keyIdOf = (sealed: string): string => SEALED_FORM.exec(sealed)?.[1] ?? '';

function setup(entries = OLD.entry) {
  const store = createMemoryCustomerKeyStore();
  return { store, emails: createCustomerEmails(parseKeyring(entries), store) };
}

/** Every stored row of a customer, through the store's own interface. */
async function rowOf(store: CustomerKeyStore, customerId: string): Promise<WrappedDataKey> {
  const row = await store.liveKey(customerId);
  if (!row) throw new Error(`no key for ${customerId}`);
  return row;
}

describe('createCustomerEmails', () => {
  it('seals an e-mail into the self-describing form and opens it again', async () => {
    const { emails } = setup();
    for (const email of [EMAIL, "o'brien+orders@mail.example.co.uk", 'Grace.Hopper@Navy.example']) {
      const sealed = await emails.seal('cus-1', email);
      expect(sealed).toMatch(SEALED_FORM);
      expect(isSealedEmail(sealed)).toBe(true);
      expect(sealed).not.toContain(email);
      expect(sealed.toLowerCase()).not.toContain(email.split('@')[0]!.toLowerCase());
      for (const encoding of ['base64', 'base64url'] as const) expect(sealed).not.toContain(Buffer.from(email).toString(encoding).replace(/=+$/, ''));
      expect(await emails.open(sealed)).toEqual({ state: 'readable', email });
    }
    expect(isSealedEmail(EMAIL)).toBe(false);
  });

  it('refuses to open what is not a sealed e-mail, and a sealed one that was altered', async () => {
    const { emails } = setup();
    await expect(emails.open(EMAIL)).rejects.toBeInstanceOf(SealedEmailError);
    await expect(emails.open('pii1.dk_short.abc')).rejects.toBeInstanceOf(SealedEmailError);
    const sealed = await emails.seal('cus-1', EMAIL);
    const data = Buffer.from(sealed.slice(sealed.lastIndexOf('.') + 1), 'base64url');
    data[data.length >> 1] = (data[data.length >> 1] ?? 0) ^ 0x01;
    await expect(emails.open(`${sealed.slice(0, sealed.lastIndexOf('.') + 1)}${data.toString('base64url')}`)).rejects.toThrow();
  });

  it('makes one data key per customer on the first e-mail, then reuses it', async () => {
    const { store, emails } = setup();
    const first = await emails.seal('cus-1', EMAIL);
    const second = await emails.seal('cus-1', EMAIL);
    const third = await emails.seal('cus-1', 'ada@example.org');
    expect(new Set([first, second, third].map(keyIdOf)).size).toBe(1);
    expect(keyIdOf(first)).toBe((await rowOf(store, 'cus-1')).keyId);
    expect(await store.countByMasterKey()).toEqual({ old: 1 });
    // The same e-mail twice does not seal alike (a fresh nonce), so equal e-mails cannot be spotted in the data.
    expect(second).not.toBe(first);
    for (const [sealed, email] of [[first, EMAIL], [second, EMAIL], [third, 'ada@example.org']] as const) {
      expect(await emails.open(sealed)).toEqual({ state: 'readable', email });
    }
  });

  it('keeps one key when a customer\'s first two orders race', async () => {
    const { store, emails } = setup();
    const [a, b] = await Promise.all([emails.seal('cus-race', 'a@example.com'), emails.seal('cus-race', 'b@example.com')]);
    expect(keyIdOf(a!)).toBe(keyIdOf(b!));
    expect(await store.countByMasterKey()).toEqual({ old: 1 });
    expect(await emails.open(a!)).toEqual({ state: 'readable', email: 'a@example.com' });
    expect(await emails.open(b!)).toEqual({ state: 'readable', email: 'b@example.com' });
  });

  it('gives different customers different data keys', async () => {
    const { store, emails } = setup();
    const one = await emails.seal('cus-1', EMAIL);
    const two = await emails.seal('cus-2', EMAIL);
    expect(keyIdOf(one)).not.toBe(keyIdOf(two));
    const [rowOne, rowTwo] = [await rowOf(store, 'cus-1'), await rowOf(store, 'cus-2')];
    const dataKey = (row: WrappedDataKey) => openSealed(OLD.key, Buffer.from(row.wrappedKey, 'base64'), `oms-data-key:${row.keyId}:${row.customerId}`);
    expect(dataKey(rowOne).equals(dataKey(rowTwo))).toBe(false);
    expect(await store.countByMasterKey()).toEqual({ old: 2 });
  });

  it('stores the data key only wrapped by the master key, and never the e-mail', async () => {
    const { store, emails } = setup();
    const sealed = await emails.seal('cus-1', EMAIL);
    const row = await rowOf(store, 'cus-1');
    expect(row).toMatchObject({ keyId: keyIdOf(sealed), customerId: 'cus-1', masterKeyId: 'old' });
    const wrapped = Buffer.from(row.wrappedKey, 'base64');
    // Opening the wrapping is the one way to the data key (the AAD binds it to its id and customer, see the module).
    const dataKey = openSealed(OLD.key, wrapped, `oms-data-key:${row.keyId}:${row.customerId}`);
    expect(dataKey).toHaveLength(32);
    const rowText = JSON.stringify(row);
    expect(wrapped.includes(dataKey)).toBe(false);
    for (const encoding of ['base64', 'base64url', 'hex'] as const) {
      expect(rowText).not.toContain(dataKey.toString(encoding).replace(/=+$/, ''));
      expect(rowText).not.toContain(OLD.key.toString(encoding).replace(/=+$/, ''));
      expect(rowText).not.toContain(Buffer.from(EMAIL).toString(encoding).replace(/=+$/, ''));
    }
    expect(rowText).not.toContain(EMAIL);
    expect(wrapped.includes(OLD.key)).toBe(false);
    // A wrapping moved onto another customer's row does not open.
    expect(() => openSealed(OLD.key, wrapped, `oms-data-key:${row.keyId}:cus-2`)).toThrow();
  });

  it('forget: every e-mail sealed before reads as erased; a later e-mail gets a new key that works', async () => {
    const { store, emails } = setup();
    const before = [await emails.seal('cus-1', EMAIL), await emails.seal('cus-1', 'ada@example.org'), await emails.seal('cus-1', EMAIL)];
    const other = await emails.seal('cus-2', 'grace@example.com');

    expect(await emails.forget('cus-1')).toBe(1);
    for (const sealed of before) expect(await emails.open(sealed)).toEqual({ state: 'erased' });
    expect(await emails.open(other)).toEqual({ state: 'readable', email: 'grace@example.com' });
    expect(store.erasures).toEqual([{ customerId: 'cus-1', destroyedKeys: 1 }]);
    expect(await store.liveKey('cus-1')).toBeUndefined();

    const after = await emails.seal('cus-1', 'ada.new@example.com');
    expect(keyIdOf(after)).not.toBe(keyIdOf(before[0]!));
    expect(await emails.open(after)).toEqual({ state: 'readable', email: 'ada.new@example.com' });
    // The new key does not bring the old e-mails back.
    for (const sealed of before) expect(await emails.open(sealed)).toEqual({ state: 'erased' });
    // Forgetting a customer with no key is not an error (a repeated request).
    expect(await emails.forget('cus-nobody')).toBe(0);
  });

  it('rewrapAll after a rotation moves every data key to the new master key; then the old one can go', async () => {
    const store = createMemoryCustomerKeyStore();
    const beforeRotation = createCustomerEmails(parseKeyring(OLD.entry), store);
    // More customers than one rewrap batch (500), so the batching is exercised too.
    const customers = Array.from({ length: 1_203 }, (_, i) => `cus-${String(i).padStart(5, '0')}`);
    const sealed = new Map<string, string>();
    for (const c of customers) sealed.set(c, await beforeRotation.seal(c, `${c}@example.com`));
    expect(await store.countByMasterKey()).toEqual({ old: customers.length });

    const rotated = createCustomerEmails(parseKeyring(`${NEW.entry},${OLD.entry}`), store);
    // During the rotation the old wrapping still opens, and a new customer's key is wrapped by the new master key.
    expect(await rotated.open(sealed.get('cus-00000')!)).toEqual({ state: 'readable', email: 'cus-00000@example.com' });
    sealed.set('cus-new', await rotated.seal('cus-new', 'cus-new@example.com'));
    expect((await rowOf(store, 'cus-new')).masterKeyId).toBe('new');

    expect(await rotated.rewrapAll()).toBe(customers.length);
    expect(await store.countByMasterKey()).toEqual({ new: customers.length + 1 });
    expect(await rotated.rewrapAll()).toBe(0);

    const newOnly = createCustomerEmails(parseKeyring(NEW.entry), store);
    for (const [c, s] of sealed) {
      const email = `${c}@example.com`;
      expect(await rotated.open(s)).toEqual({ state: 'readable', email });
      expect(await newOnly.open(s)).toEqual({ state: 'readable', email });
    }
    // The data keys did not change, only their wrapping: the sealed e-mails are the same strings.
    expect(keyIdOf(sealed.get('cus-00001')!)).toBe((await rowOf(store, 'cus-00001')).keyId);
  });

  it('names the master key a data key needs when the keyring does not hold it', async () => {
    const { store, emails } = setup();
    const sealed = await emails.seal('cus-1', EMAIL);
    const newOnly = createCustomerEmails(parseKeyring(NEW.entry), store);
    for (const attempt of [() => newOnly.open(sealed), () => newOnly.seal('cus-1', EMAIL), () => newOnly.rewrapAll()]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('"old"');
      expect((err as Error).message).toContain('PII_ENCRYPTION_KEYS');
      for (const key of [OLD.key, NEW.key]) expect((err as Error).message).not.toContain(key.toString('base64'));
    }
    // Nothing was changed by the failed attempts: the right keyring still opens it.
    expect(await emails.open(sealed)).toEqual({ state: 'readable', email: EMAIL });
  });
});
