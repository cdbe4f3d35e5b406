// Payload versions travel in the media type: application/vnd.oms.<kind>+json; version=N (plain JSON = version 1).
import { HttpProblem } from './problem';

export type PayloadKind = 'commerce-order' | 'payment-capture';

export const SUPPORTED_VERSIONS: Record<PayloadKind, readonly number[]> = {
  'commerce-order': [1, 2],
  'payment-capture': [1],
};

const VENDOR = /^application\/vnd\.oms\.([a-z-]+)\+json$/;

/** The payload version named by a Content-Type header, or a 415 that names the supported ones. */
export function payloadVersion(contentType: string | undefined, kind: PayloadKind): number {
  const supported = SUPPORTED_VERSIONS[kind];
  const [essence = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim());
  const mediaType = essence.toLowerCase();
  const unsupported = (detail: string) =>
    new HttpProblem(415, 'unsupported-media-type', `${detail}; send application/json or application/vnd.oms.${kind}+json; version=${supported.join('|')}`, [
      { field: 'content-type', message: detail },
    ]);
  if (mediaType === 'application/json') return 1;
  const vendor = VENDOR.exec(mediaType);
  if (!vendor) throw unsupported(`content type ${mediaType || '(none)'} is not accepted here`);
  if (vendor[1] !== kind) throw unsupported(`${mediaType} is not a ${kind} payload`);
  const versionParam = params.find((p) => p.toLowerCase().startsWith('version='));
  const version = versionParam === undefined ? 1 : Number(versionParam.slice('version='.length).replace(/"/g, ''));
  if (!Number.isInteger(version) || !supported.includes(version)) {
    throw unsupported(`version ${versionParam?.slice('version='.length) ?? ''} of ${kind} is not supported (supported: ${supported.join(', ')})`);
  }
  return version;
}
