// DIGEST-MD5 client side, RFC 2831 §2.1.2 (digest-response to the first challenge) and
// §2.1.3 (checking rspauth), XMPP profile: digest-uri "xmpp/<domain>". For tests and benchmarks.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { digestHa1, digestMd5Response, digestMd5Rspauth, type DigestParams } from './digest-md5-crypto';
import { formatDirectives, parseDirectives, single } from './digest-md5-directives';
import { parseDigestResponse } from './digest-md5-message';

export interface DigestMd5ClientOptions {
  username: string;
  password: string;
  domain: string;
  cnonce?: string;
  authzid?: string;
}

const UNQUOTED = new Set(['nc', 'qop', 'charset', 'response']);

function parseChallenge(challenge: Buffer): { realm?: string; nonce: string } {
  const d = parseDirectives(challenge.toString('utf8'));
  const nonce = d === null ? undefined : single(d, 'nonce');
  if (d === null || typeof nonce !== 'string') throw new Error('DIGEST-MD5: invalid challenge');
  const qop = d
    .get('qop')
    ?.join(',')
    .split(',')
    .map((q) => q.trim()) ?? ['auth'];
  if (!qop.includes('auth')) throw new Error('DIGEST-MD5: server does not offer qop=auth');
  const realm = d.get('realm')?.[0];
  return realm === undefined ? { nonce } : { realm, nonce };
}

/** Builds the digest-response (RFC 2831 §2.1.2) to the server's first challenge. */
export function digestMd5ClientResponse(challenge: Buffer, o: DigestMd5ClientOptions): Buffer {
  const { realm = o.domain, nonce } = parseChallenge(challenge);
  const cnonce = o.cnonce ?? randomBytes(18).toString('base64');
  const digestUri = `xmpp/${o.domain}`;
  const params: DigestParams = { ha1: digestHa1(o.username, realm, o.password), nonce, cnonce, nc: '00000001', qop: 'auth', digestUri };
  if (o.authzid) params.authzid = o.authzid;
  const entries: [string, string][] = [
    ['username', o.username],
    ['realm', realm],
    ['nonce', nonce],
    ['cnonce', cnonce],
    ['nc', '00000001'],
    ['qop', 'auth'],
    ['digest-uri', digestUri],
    ['response', digestMd5Response(params)],
    ['charset', 'utf-8'],
  ];
  if (o.authzid) entries.push(['authzid', o.authzid]);
  return Buffer.from(formatDirectives(entries, UNQUOTED), 'utf8');
}

/**
 * Checks the server's second challenge (`rspauth=...`) against the response this client sent
 * (as returned by digestMd5ClientResponse) and the password.
 */
export function verifyDigestMd5Rspauth(challenge2: Buffer, clientResponse: Buffer, password: string): boolean {
  try {
    const d = parseDirectives(challenge2.toString('utf8'));
    const rspauth = d === null ? undefined : single(d, 'rspauth');
    if (typeof rspauth !== 'string') return false;
    const r = parseDigestResponse(clientResponse);
    const params: DigestParams = {
      ha1: digestHa1(r.username, r.realm, password),
      nonce: r.nonce,
      cnonce: r.cnonce,
      nc: r.nc,
      qop: r.qop,
      digestUri: r.digestUri,
    };
    if (r.authzid !== undefined) params.authzid = r.authzid;
    const expected = Buffer.from(digestMd5Rspauth(params), 'latin1');
    const got = Buffer.from(rspauth.toLowerCase(), 'latin1');
    return expected.length === got.length && timingSafeEqual(expected, got);
  } catch {
    return false;
  }
}
