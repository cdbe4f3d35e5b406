// The payload codec of every Temporal client and worker (contract §9), on the payloads the SDK's own converter makes:
// round trip, what the encrypted payload shows (its key id) and hides (everything else), key rotation, and refusal of
// a missing key, an altered payload or a relabelled one.
import { randomBytes } from 'node:crypto';
import { DefaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { decodeFromPayloadsAtIndex, encodeToPayload, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { describe, expect, it } from 'vitest';
import { encryptingDataConverter } from '../../src/pii/data-converter';
import { parseKeyring, type Keyring } from '../../src/pii/keyring';
import { AesGcmPayloadCodec, PayloadKeyError } from '../../src/pii/payload-codec';

const converter = new DefaultPayloadConverter();
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const metadataText = (p: Payload): Record<string, string> => Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, text(v)]));

/** A fresh master key line, `id:base64(32 bytes)`, and its bytes. */
function masterKey(id: string): { entry: string; key: Buffer } {
  const key = randomBytes(32);
  return { entry: `${id}:${key.toString('base64')}`, key };
}

const OLD = masterKey('old');
const NEW = masterKey('new');
const ringOld: Keyring = parseKeyring(OLD.entry);
const ringRotated: Keyring = parseKeyring(`${NEW.entry},${OLD.entry}`);

const EMAIL_SEALED = 'pii1.dk_AAAAAAAAAAAAAAAAAAAAAA.c2VhbGVk';
/** What workflow inputs look like: a commerce event (names, ids, a sealed e-mail) and a few plainer values. */
const VALUES: Array<[string, unknown]> = [
  [
    'a commerce event',
    {
      receivedAt: '2026-11-22T10:00:00.000Z',
      payload: { customer_id: 'cus-ada-lovelace', order: { order_id: 'ord-secret-1', items: [{ item_id: 'itm-analytical-engine', quantity: 2 }] } },
      sealedEmail: EMAIL_SEALED,
    },
  ],
  ['a string', 'ada.lovelace@example.com'],
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['bytes', new Uint8Array([0, 1, 2, 250, 255])],
  ['unicode text', { note: 'Grüße — 注文 👍' }],
];

describe('AesGcmPayloadCodec', () => {
  it.each(VALUES)('round-trips %s through the SDK converter', async (_label, value) => {
    const codec = new AesGcmPayloadCodec(ringOld);
    const payload = converter.toPayload(value);
    const [encoded] = await codec.encode([payload]);
    const [decoded] = await codec.decode([encoded!]);
    // The very payload the converter made, its metadata (encoding) included.
    expect(metadataText(decoded!)).toEqual(metadataText(payload));
    expect(Buffer.from(decoded!.data ?? new Uint8Array()).equals(Buffer.from(payload.data ?? new Uint8Array()))).toBe(true);
    expect(converter.fromPayload(decoded!)).toEqual(value);
  });

  it('works as the data converter of a client or worker (encryptingDataConverter)', async () => {
    const loaded = loadDataConverter(encryptingDataConverter(ringRotated));
    const event = VALUES[0]![1];
    const payload = await encodeToPayload(loaded, event);
    expect(text(payload.metadata?.[METADATA_ENCODING_KEY])).toBe('binary/encrypted');
    expect(await decodeFromPayloadsAtIndex(loaded, 0, [payload])).toEqual(event);
  });

  it('labels the encrypted payload binary/encrypted with the current key id, and nothing else', async () => {
    const [encoded] = await new AesGcmPayloadCodec(ringRotated).encode([converter.toPayload({ a: 1 })]);
    // The inner encoding (json/plain) is sealed with the data: the metadata says only how to open it.
    expect(metadataText(encoded!)).toEqual({ encoding: 'binary/encrypted', 'encryption-key-id': 'new' });
  });

  it('hides the plaintext and never carries the key', async () => {
    const codec = new AesGcmPayloadCodec(ringOld);
    const payload = converter.toPayload(VALUES[0]![1]);
    const [first, second] = await codec.encode([payload, payload]);
    for (const encoded of [first!, second!]) {
      const wire = Buffer.from(temporalPayloadBytes(encoded));
      for (const clear of ['cus-ada-lovelace', 'ord-secret-1', 'itm-analytical-engine', EMAIL_SEALED, 'json/plain', 'receivedAt']) {
        expect(wire.includes(Buffer.from(clear)), clear).toBe(false);
      }
      expect(wire.includes(Buffer.from(payload.data ?? new Uint8Array()))).toBe(false);
      expect(wire.includes(OLD.key)).toBe(false);
      expect(wire.includes(Buffer.from(OLD.key.toString('base64')))).toBe(false);
    }
    // A fresh nonce each time: equal inputs do not give equal ciphertexts (which would show repeats in history).
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
  });

  it('rotates without downtime: payloads of the old key still open, new ones use the new key', async () => {
    const before = new AesGcmPayloadCodec(ringOld);
    const after = new AesGcmPayloadCodec(ringRotated);
    const value = { order_id: 'ord-rotation' };
    const [fromBefore] = await before.encode([converter.toPayload(value)]);
    expect(text(fromBefore!.metadata?.['encryption-key-id'])).toBe('old');
    const [opened] = await after.decode([fromBefore!]);
    expect(converter.fromPayload(opened!)).toEqual(value);

    const [fromAfter] = await after.encode([converter.toPayload(value)]);
    expect(text(fromAfter!.metadata?.['encryption-key-id'])).toBe('new');
    expect(converter.fromPayload((await after.decode([fromAfter!]))[0]!)).toEqual(value);
  });

  it('names the missing key id when the keyring does not hold it, without printing any key', async () => {
    const [fromAfter] = await new AesGcmPayloadCodec(ringRotated).encode([converter.toPayload('x')]);
    const err = await new AesGcmPayloadCodec(ringOld).decode([fromAfter!]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PayloadKeyError);
    expect((err as Error).message).toContain('"new"');
    expect((err as Error).message).toContain('PII_ENCRYPTION_KEYS');
    for (const key of [OLD.key, NEW.key]) expect((err as Error).message).not.toContain(key.toString('base64'));
  });

  it('refuses an encrypted payload without a key id', async () => {
    const [encoded] = await new AesGcmPayloadCodec(ringOld).encode([converter.toPayload('x')]);
    const { ['encryption-key-id']: _dropped, ...rest } = encoded!.metadata ?? {};
    await expect(new AesGcmPayloadCodec(ringOld).decode([{ ...encoded!, metadata: rest }])).rejects.toBeInstanceOf(PayloadKeyError);
  });

  it('refuses altered data: any flipped byte, a truncation, nothing at all', async () => {
    const codec = new AesGcmPayloadCodec(ringOld);
    const [encoded] = await codec.encode([converter.toPayload({ amount_cents: 4999 })]);
    const data = Buffer.from(encoded!.data!);
    for (const index of [0, 11, 12, data.length >> 1, data.length - 17, data.length - 1]) {
      const altered = Buffer.from(data);
      altered[index] = (altered[index] ?? 0) ^ 0x01;
      await expect(codec.decode([{ ...encoded!, data: altered }]), `byte ${index}`).rejects.toThrow();
    }
    await expect(codec.decode([{ ...encoded!, data: data.subarray(0, data.length - 1) }])).rejects.toThrow();
    await expect(codec.decode([{ ...encoded!, data: new Uint8Array() }])).rejects.toThrow();
  });

  it('refuses a payload relabelled with another key id, even one holding the same key', async () => {
    // Two ids for the same bytes: only the key id bound into the ciphertext tells them apart.
    const same = randomBytes(32).toString('base64');
    const ring = parseKeyring(`k1:${same},k2:${same},other:${NEW.key.toString('base64')}`);
    const codec = new AesGcmPayloadCodec(ring);
    const [encoded] = await codec.encode([converter.toPayload('relabel me')]);
    for (const id of ['k2', 'other']) {
      const relabelled: Payload = { ...encoded!, metadata: { ...encoded!.metadata, 'encryption-key-id': Buffer.from(id) } };
      await expect(codec.decode([relabelled]), id).rejects.toThrow();
    }
  });

  it('passes payloads that are not encrypted through decode untouched, in a batch in order', async () => {
    const codec = new AesGcmPayloadCodec(ringOld);
    const plain = converter.toPayload({ written: 'before encryption was turned on' });
    const binary = converter.toPayload(new Uint8Array([9, 8, 7]));
    const [encrypted] = await codec.encode([converter.toPayload('sealed')]);
    const decoded = await codec.decode([plain, encrypted!, binary]);
    expect(decoded[0]).toBe(plain);
    expect(converter.fromPayload(decoded[1]!)).toBe('sealed');
    expect(decoded[2]).toBe(binary);
  });
});

/** The payload as it is stored in history: metadata keys and values and the data, all bytes. */
function temporalPayloadBytes(p: Payload): Uint8Array {
  return Buffer.concat([...Object.entries(p.metadata ?? {}).flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v ?? new Uint8Array())]), Buffer.from(p.data ?? new Uint8Array())]);
}
