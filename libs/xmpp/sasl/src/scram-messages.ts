// SCRAM message parsing, RFC 5802 §7 (client-first-message, client-final-message,
// server-first-message, server-final-message) and the GS2 header of RFC 5801 §4.
import { base64Attribute, checkNonce, expectAttribute, malformed, parseAttributes, unescapeSaslName } from './scram-attributes';

/** The gs2-cbind-flag (RFC 5802 §7): n (no binding), y (client could, server did not seem to), p=<type>. */
export type CbindFlag = { flag: 'n' } | { flag: 'y' } | { flag: 'p'; type: string };

export interface ClientFirst {
  gs2Header: string;
  cbind: CbindFlag;
  authzid?: string;
  bare: string;
  username: string;
  clientNonce: string;
}

export interface ClientFinal {
  withoutProof: string;
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
}

export interface ServerFirst {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

function parseCbindFlag(flag: string): CbindFlag {
  if (flag === 'n' || flag === 'y') return { flag };
  // cb-name = 1*(ALPHA / DIGIT / "." / "-")
  if (/^p=[A-Za-z0-9.-]+$/.test(flag)) return { flag: 'p', type: flag.slice(2) };
  throw malformed('invalid gs2 header');
}

function parseAuthzid(field: string): string | undefined {
  if (field === '') return undefined;
  if (!field.startsWith('a=')) throw malformed('invalid gs2 header');
  return unescapeSaslName(field.slice(2));
}

/** gs2-header client-first-message-bare, e.g. "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL" */
export function parseClientFirst(text: string): ClientFirst {
  const parts = text.split(',');
  if (parts.length < 4) throw malformed('incomplete client-first-message');
  const [flag, authzField] = parts as [string, string];
  const cbind = parseCbindFlag(flag);
  const authzid = parseAuthzid(authzField);
  const bare = parts.slice(2).join(',');
  const attrs = parseAttributes(bare);
  const username = unescapeSaslName(expectAttribute(attrs, 0, 'n'));
  const clientNonce = checkNonce(expectAttribute(attrs, 1, 'r'));
  const gs2Header = `${flag},${authzField},`;
  return authzid === undefined ? { gs2Header, cbind, bare, username, clientNonce } : { gs2Header, cbind, authzid, bare, username, clientNonce };
}

/** "c=biws,r=<nonce>[,ext...],p=<proof>" */
export function parseClientFinal(text: string): ClientFinal {
  const attrs = parseAttributes(text);
  if (attrs.length < 3) throw malformed('incomplete client-final-message');
  const channelBinding = base64Attribute(expectAttribute(attrs, 0, 'c'), 'channel binding');
  const nonce = checkNonce(expectAttribute(attrs, 1, 'r'));
  const proofValue = expectAttribute(attrs, attrs.length - 1, 'p');
  const proof = base64Attribute(proofValue, 'proof');
  const withoutProof = text.slice(0, text.length - proofValue.length - ',p='.length);
  return { withoutProof, channelBinding, nonce, proof };
}

/** "r=<nonce>,s=<salt>,i=<iterations>[,ext...]" (client side). */
export function parseServerFirst(text: string): ServerFirst {
  const attrs = parseAttributes(text);
  const nonce = checkNonce(expectAttribute(attrs, 0, 'r'));
  const salt = base64Attribute(expectAttribute(attrs, 1, 's'), 'salt');
  const iterationsText = expectAttribute(attrs, 2, 'i');
  if (!/^[1-9][0-9]{0,9}$/.test(iterationsText)) throw malformed('invalid iteration count');
  return { nonce, salt, iterations: Number(iterationsText) };
}

/** "v=<signature>" or "e=<error>" (client side); returns the signature or null on e=. */
export function parseServerFinal(text: string): Buffer | null {
  const attrs = parseAttributes(text);
  const first = attrs[0];
  if (first?.name === 'e') return null;
  return base64Attribute(expectAttribute(attrs, 0, 'v'), 'verifier');
}
