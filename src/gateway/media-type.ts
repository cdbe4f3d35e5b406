// Payload versions travel in the media type: application/vnd.oms.<kind>+json; version=N (plain JSON = version 1).
import { HttpProblem } from './problem';

export type PayloadKind = 'commerce-order' | 'payment-capture';

export const SUPPORTED_VERSIONS: Record<PayloadKind, readonly number[]> = {
  'commerce-order': [1, 2],
  'payment-capture': [1],
};

const VENDOR = /^application\/vnd\.oms\.([a-z-]+)\+json$/;
/** RFC 9110 §5.6.6: name=value with no whitespace around '='; the value a token or a quoted string. */
const PARAMETER = /^([!#$%&'*+.^_`|~0-9a-z-]+)=("[^"]*"|[!#$%&'*+.^_`|~0-9a-z-]+)$/i;
/** A version is a plain decimal integer: no 0x1, 1.0, +1, 1e0 or 01 that Number() would quietly accept. */
const VERSION_VALUE = /^[1-9][0-9]{0,5}$/;

/** The media type's parameters by lower-cased name; a malformed or repeated parameter is an error message. */
function parameters(params: string[]): Map<string, string> | string {
  const byName = new Map<string, string>();
  for (const param of params) {
    if (param === '') continue;
    const match = PARAMETER.exec(param);
    if (!match) return `malformed media type parameter "${param}"`;
    const name = (match[1] ?? '').toLowerCase();
    if (byName.has(name)) return `media type parameter ${name} given twice`;
    byName.set(name, (match[2] ?? '').replace(/^"(.*)"$/, '$1'));
  }
  return byName;
}

/** The payload version named by a Content-Type header, or a 415 that names the supported ones. */
export function payloadVersion(contentType: string | undefined, kind: PayloadKind): number {
  const supported = SUPPORTED_VERSIONS[kind];
  const [essence = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim());
  const mediaType = essence.toLowerCase();
  const unsupported = (detail: string) =>
    new HttpProblem(415, 'unsupported-media-type', `${detail}; send application/json or application/vnd.oms.${kind}+json; version=${supported.join('|')}`, [
      { field: 'content-type', message: detail },
    ]);
  const vendor = VENDOR.exec(mediaType);
  if (mediaType !== 'application/json' && !vendor) throw unsupported(`content type ${mediaType || '(none)'} is not accepted here`);
  if (vendor && vendor[1] !== kind) throw unsupported(`${mediaType} is not a ${kind} payload`);
  const named = parameters(params);
  if (typeof named === 'string') throw unsupported(named);
  const requested = named.get('version');
  // Plain JSON is version 1 by definition; a sender naming another version there must use the vendor type.
  if (requested === undefined) return 1;
  const version = VERSION_VALUE.test(requested) ? Number(requested) : Number.NaN;
  if (!supported.includes(version) || (!vendor && version !== 1)) {
    throw unsupported(`version ${requested} of ${kind} is not supported here (supported: ${supported.join(', ')})`);
  }
  return version;
}
