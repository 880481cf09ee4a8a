// RFC 7622 §3.4: the resourcepart is an instance of the PRECIS OpaqueString
// profile (RFC 8265 §4.2: non-ASCII spaces → U+0020, NFC, FreeformClass; no
// width or case mapping, no Bidi Rule). Following RFC 7622 §3.5 (Table 2,
// example 18: "juliet@example.com/ foo"), a resourcepart that begins or
// ends with a space is rejected.

import { InvalidJidError, MAX_PART_OCTETS, utf8Length } from './errors';
import { checkStringClass } from './precis-classes';

/** Printable ASCII, not starting or ending with a space. */
const FAST_RESOURCE = /^[!-~](?:[ -~]{0,1021}[!-~])?$/;
/** Zs other than U+0020. */
const NON_ASCII_SPACE = /(?! )\p{Zs}/gu;

/** Fast path: printable ASCII resourceparts are already prepared. Null = not handled. */
export function fastPrepareResource(s: string): string | null {
  return FAST_RESOURCE.test(s) ? s : null;
}

function fail(message: string): never {
  throw new InvalidJidError('resource', message);
}

/** Full RFC 8265 §4.2 enforcement; throws InvalidJidError. */
export function slowPrepareResource(s: string): string {
  if (s.length === 0) fail('Invalid JID: resourcepart is empty');
  const prepared = s.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  const reason = checkStringClass(prepared, 'freeform');
  if (reason !== null) fail(`Invalid JID resourcepart: ${reason}`);
  if (prepared.startsWith(' ')) fail('Invalid JID resourcepart: leading space');
  if (prepared.endsWith(' ')) fail('Invalid JID resourcepart: trailing space');
  if (utf8Length(prepared) > MAX_PART_OCTETS) {
    fail(`Invalid JID: resourcepart exceeds ${MAX_PART_OCTETS} octets`);
  }
  return prepared;
}

/** Prepares a resourcepart; throws InvalidJidError. */
export function prepareResourceOrThrow(s: string): string {
  return fastPrepareResource(s) ?? slowPrepareResource(s);
}

/** OpaqueString (RFC 8265 §4.2) for resourceparts; null when invalid. */
export function prepareResource(s: string): string | null {
  const fast = fastPrepareResource(s);
  if (fast !== null) return fast;
  try {
    return slowPrepareResource(s);
  } catch (e) {
    if (e instanceof InvalidJidError) return null;
    throw e;
  }
}
