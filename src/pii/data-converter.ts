// The one data converter of every Temporal client and worker of the service: the SDK's JSON payloads, then sealed by
// the payload codec. Workflows never see it: the worker decodes before the sandbox and encodes after it.
import type { DataConverter } from '@temporalio/common';
import type { Keyring } from './keyring';
import { AesGcmPayloadCodec } from './payload-codec';

export function encryptingDataConverter(keyring: Keyring): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keyring)] };
}
