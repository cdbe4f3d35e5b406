// The payload codec of every Temporal client and worker of the service (contract §9): each payload is serialized
// whole (its metadata too, which names its encoding) and sealed with AES-256-GCM under the keyring's current key;
// the key's id goes in clear in the metadata, so any listed key can open it after a rotation.
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
// CommonJS without static named exports: Node's ESM loader gives it only as a default export.
import proto from '@temporalio/proto';
import { open, seal } from './aes-gcm';
import type { Keyring } from './keyring';

/** The encoding name of the Temporal samples' encryption codec, which the Web UI shows as an encoded payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ProtoPayload = proto.temporal.api.common.v1.Payload;

/** The sealed bytes are bound to their key id: a payload relabelled with another id fails to open. */
const aadFor = (keyId: string) => `oms-temporal-payload:${keyId}`;

export class PayloadKeyError extends Error {
  override readonly name = 'PayloadKeyError';
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keyring.current;
    return payloads.map((payload) => ({
      metadata: { [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(id) },
      data: seal(key, ProtoPayload.encode(payload).finish(), aadFor(id)),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload;
      const id = keyIdOf(payload);
      const master = id === undefined ? undefined : this.keyring.find(id);
      if (id === undefined || master === undefined) {
        // Names the id only: which key to put back into PII_ENCRYPTION_KEYS (a key retired too early, docs/pii.md).
        throw new PayloadKeyError(`payload encrypted with key "${id ?? '(no id)'}", which PII_ENCRYPTION_KEYS does not list`);
      }
      const decoded = ProtoPayload.decode(open(master.key, payload.data ?? new Uint8Array(), aadFor(id)));
      return { metadata: decoded.metadata ?? {}, data: decoded.data ?? new Uint8Array() };
    });
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && decoder.decode(encoding) === ENCRYPTED_ENCODING;
}

export function keyIdOf(payload: Payload): string | undefined {
  const id = payload.metadata?.[KEY_ID_METADATA];
  return id === undefined ? undefined : decoder.decode(id);
}
