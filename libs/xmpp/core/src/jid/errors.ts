// RFC 7622 §3 (address format): the error raised when a string is not a
// valid XMPP address, naming the part (localpart, domainpart, resourcepart)
// that failed, or 'jid' when the address as a whole is malformed.

export type JidPart = 'local' | 'domain' | 'resource' | 'jid';

export class InvalidJidError extends Error {
  override readonly name = 'InvalidJidError';
  readonly part: JidPart;

  constructor(part: JidPart, message: string) {
    super(message);
    this.part = part;
  }
}

/** Formats a code point as U+XXXX for error messages. */
export function cpName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Length of a string in UTF-8 octets (RFC 7622 §3.1 counts octets). */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** RFC 7622 §3.2–§3.4: each part is at most 1023 octets. */
export const MAX_PART_OCTETS = 1023;
