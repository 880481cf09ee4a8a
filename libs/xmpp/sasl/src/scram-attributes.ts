// SCRAM attribute syntax, RFC 5802 §5.1 (saslname escaping) and §7 (formal grammar:
// attr-val, printable nonce characters, reserved-mext).
import { decodeBase64Strict } from './base64';
import { SaslFailure } from './exchange';

export interface Attribute {
  name: string;
  value: string;
}

export function malformed(text: string): SaslFailure {
  return new SaslFailure('malformed-request', text);
}

/** saslname: "," -> "=2C", "=" -> "=3D" (RFC 5802 §5.1). */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Reverses escapeSaslName; any other "=" sequence (or an empty name) is malformed. */
export function unescapeSaslName(value: string): string {
  if (value === '' || /=(?!2C|3D)/.test(value)) throw malformed('invalid saslname');
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits "a=x,b=y" into attributes; each must be a single letter followed by "=". */
export function parseAttributes(text: string): Attribute[] {
  return text.split(',').map((part) => {
    if (!/^[A-Za-z]=/.test(part)) throw malformed('invalid attribute syntax');
    const name = part[0] as string;
    if (name === 'm') throw malformed('mandatory extensions are not supported');
    return { name, value: part.slice(2) };
  });
}

/** Takes the attribute at `index`, which must be named `name`. */
export function expectAttribute(attrs: readonly Attribute[], index: number, name: string): string {
  const attr = attrs[index];
  if (attr === undefined || attr.name !== name) throw malformed(`missing attribute ${name}`);
  return attr.value;
}

/** printable = %x21-2B / %x2D-7E (RFC 5802 §7); a nonce is one or more of them. */
export function checkNonce(value: string): string {
  if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(value)) throw malformed('invalid nonce');
  return value;
}

export function base64Attribute(value: string, what: string): Buffer {
  const bytes = decodeBase64Strict(value);
  if (bytes === null) throw malformed(`invalid base64 in ${what}`);
  return bytes;
}
