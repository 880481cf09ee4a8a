// RFC 7622 §3.3: the localpart is an instance of the PRECIS
// UsernameCaseMapped profile (RFC 8265 §3.3: width mapping, Unicode
// toLowerCase, NFC, Bidi Rule, IdentifierClass) with the additional
// prohibition of " & ' / : < > @ (RFC 7622 §3.3.1).

import { checkBidiRule, mayContainRtl } from './bidi';
import { cpName, InvalidJidError, MAX_PART_OCTETS, utf8Length } from './errors';
import { checkStringClass } from './precis-classes';
import { mapWidth } from './width-mapping';

/** ASCII7 (U+0021–U+007E) minus " & ' / : < > @ — the whole ASCII repertoire of a localpart. */
const FAST_LOCAL = /^[!#-%(-.0-9;=?A-~]{1,1023}$/;
const PROHIBITED = /["&'/:<>@]/;

/** Fast path: ASCII-only localparts need nothing but lowercasing. Null = not handled. */
export function fastPrepareLocal(s: string): string | null {
  return FAST_LOCAL.test(s) ? s.toLowerCase() : null;
}

/** Full RFC 8265 enforcement; throws InvalidJidError. */
export function slowPrepareLocal(s: string): string {
  if (s.length === 0) throw new InvalidJidError('local', 'Invalid JID: localpart is empty');
  const prepared = mapWidth(s).toLowerCase().normalize('NFC');
  if (prepared.length === 0) throw new InvalidJidError('local', 'Invalid JID: localpart is empty');
  const classReason = checkStringClass(prepared, 'identifier');
  if (classReason !== null) throw new InvalidJidError('local', `Invalid JID localpart: ${classReason}`);
  const prohibited = PROHIBITED.exec(prepared);
  if (prohibited !== null) {
    const cp = prohibited[0].codePointAt(0)!;
    throw new InvalidJidError('local', `Invalid JID localpart: ${cpName(cp)} (${prohibited[0]}) is prohibited`);
  }
  if (mayContainRtl(prepared)) {
    const bidiReason = checkBidiRule([prepared]);
    if (bidiReason !== null) throw new InvalidJidError('local', `Invalid JID localpart: ${bidiReason}`);
  }
  if (utf8Length(prepared) > MAX_PART_OCTETS) {
    throw new InvalidJidError('local', `Invalid JID: localpart exceeds ${MAX_PART_OCTETS} octets`);
  }
  return prepared;
}

/** Prepares a localpart; throws InvalidJidError. */
export function prepareLocalOrThrow(s: string): string {
  return fastPrepareLocal(s) ?? slowPrepareLocal(s);
}

/** UsernameCaseMapped (RFC 8265 §3.3) + RFC 7622 §3.3.1; null when invalid. */
export function prepareLocal(s: string): string | null {
  const fast = fastPrepareLocal(s);
  if (fast !== null) return fast;
  try {
    return slowPrepareLocal(s);
  } catch (e) {
    if (e instanceof InvalidJidError) return null;
    throw e;
  }
}
