// DIGEST-MD5 server mechanism, RFC 2831 §2.1 (challenge §2.1.1, response §2.1.2,
// rspauth §2.1.3) as profiled for XMPP (digest-uri "xmpp/<domain>", realm = domain).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { digestMd5Response, digestMd5Rspauth, type DigestParams } from './digest-md5-crypto';
import { formatDirectives } from './digest-md5-directives';
import { checkDigestResponse, parseDigestResponse, type DigestResponse } from './digest-md5-message';
import { SaslFailure, challenge, guardedExchange } from './exchange';
import type { CredentialSource, SaslContext, SaslStep, ServerExchange, ServerMechanism } from './types';

export interface DigestMd5ServerOptions {
  /** Produces the server nonce (no quotes/backslashes needed). Tests inject fixed values. */
  nonce?: () => string;
}

const UNQUOTED = new Set(['charset', 'algorithm']);

export function digestMd5Challenge(domain: string, nonce: string): Buffer {
  const entries: [string, string][] = [
    ['realm', domain],
    ['nonce', nonce],
    ['qop', 'auth'],
    ['charset', 'utf-8'],
    ['algorithm', 'md5-sess'],
  ];
  return Buffer.from(formatDirectives(entries, UNQUOTED), 'utf8');
}

function randomNonce(): string {
  return randomBytes(24).toString('base64');
}

async function verify(r: DigestResponse, source: CredentialSource): Promise<string> {
  const ha1 = await source.getDigestHa1(r.username, r.realm);
  if (ha1 === null) throw new SaslFailure('not-authorized', undefined, 'credentials', r.username);
  const params: DigestParams = { ha1, nonce: r.nonce, cnonce: r.cnonce, nc: r.nc, qop: r.qop, digestUri: r.digestUri };
  if (r.authzid !== undefined) params.authzid = r.authzid;
  const expected = Buffer.from(digestMd5Response(params), 'latin1');
  const got = Buffer.from(r.response, 'latin1');
  if (expected.length !== got.length || !timingSafeEqual(expected, got)) throw new SaslFailure('not-authorized', undefined, 'credentials', r.username);
  return digestMd5Rspauth(params);
}

function startDigest(ctx: SaslContext, source: CredentialSource, nonce: string): ServerExchange {
  let stage: 'initial' | 'response' | 'ack' = 'initial';
  let verified: DigestResponse | undefined;
  return guardedExchange(async (data): Promise<SaslStep> => {
    if (stage === 'initial') {
      if (data !== null) throw new SaslFailure('malformed-request', 'initial response not allowed');
      stage = 'response';
      return challenge(digestMd5Challenge(ctx.domain, nonce));
    }
    if (stage === 'response') {
      const r = parseDigestResponse(data ?? Buffer.alloc(0));
      checkDigestResponse(r, ctx.domain, nonce);
      const rspauth = await verify(r, source);
      verified = r;
      stage = 'ack';
      return challenge(`rspauth=${rspauth}`);
    }
    if (data !== null && data.length > 0) throw new SaslFailure('malformed-request', 'expected empty response');
    const { username, authzid } = verified as DigestResponse;
    return authzid === undefined ? { kind: 'success', username } : { kind: 'success', username, authzid };
  });
}

export function createDigestMd5Mechanism(opts: DigestMd5ServerOptions = {}): ServerMechanism {
  const makeNonce = opts.nonce ?? randomNonce;
  return {
    name: 'DIGEST-MD5',
    requires: ['digest-md5:ha1'],
    start: (ctx, source) => startDigest(ctx, source, makeNonce()),
  };
}

export const digestMd5 = createDigestMd5Mechanism();
