// DIGEST-MD5 computations, RFC 2831 §2.1.2.1 (response-value, A1 with md5-sess and authzid,
// A2 for qop=auth) and §2.1.3 (rspauth). HA1 = H(username ":" realm ":" passwd), 16 raw bytes.
import { createHash } from 'node:crypto';

export interface DigestParams {
  /** H({ username-value, ":", realm-value, ":", passwd }) as 16 raw bytes */
  ha1: Buffer;
  nonce: string;
  cnonce: string;
  nc: string;
  qop: string;
  digestUri: string;
  authzid?: string;
}

function md5(...parts: (Buffer | string)[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  return hash.digest();
}

/**
 * With charset=utf-8, RFC 2831 §2.1.2.1 requires a string whose characters all fit in
 * ISO 8859-1 to be hashed as ISO 8859-1; anything else is hashed as UTF-8.
 */
export function digestText(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\xff]*$/.test(s) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8');
}

/** HA1 = MD5(username ":" realm ":" password), what the backend stores for DIGEST-MD5. */
export function digestHa1(username: string, realm: string, password: string): Buffer {
  return md5(digestText(username), ':', digestText(realm), ':', digestText(password));
}

function hexA1(p: DigestParams): string {
  const tail = p.authzid ? [':', p.authzid] : [];
  return md5(p.ha1, ':', p.nonce, ':', p.cnonce, ...tail).toString('hex');
}

function kd(p: DigestParams, a2: string): string {
  const hexA2 = md5(a2).toString('hex');
  return md5(hexA1(p), ':', p.nonce, ':', p.nc, ':', p.cnonce, ':', p.qop, ':', hexA2).toString('hex');
}

/** response-value: A2 = "AUTHENTICATE:" digest-uri (qop=auth). Lower-case hex. */
export function digestMd5Response(p: DigestParams): string {
  return kd(p, `AUTHENTICATE:${p.digestUri}`);
}

/** rspauth value sent by the server: A2 = ":" digest-uri (qop=auth). Lower-case hex. */
export function digestMd5Rspauth(p: DigestParams): string {
  return kd(p, `:${p.digestUri}`);
}
