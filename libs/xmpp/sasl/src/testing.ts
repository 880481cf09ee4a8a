// Test hooks (not exported from index.ts): mechanisms with injected nonces, used to replay the
// published vectors of RFC 5802 §5, RFC 7677 §3 and RFC 2831 §4, plus an in-memory backend.
import { createDigestMd5Mechanism } from './digest-md5-server';
import { digestHa1 } from './digest-md5-crypto';
import { createScramMechanism } from './scram-server';
import { deriveScram } from './scram-crypto';
import type { CredentialSource, ScramCredentials, ScramHash, ServerMechanism } from './types';

export { digestMd5Response, digestMd5Rspauth, type DigestParams } from './digest-md5-crypto';
export { parseDirectives } from './digest-md5-directives';
export { fakeScramCredentials } from './scram-unknown-user';

/** A SCRAM mechanism whose server nonce suffix is fixed. */
export function scramWithNonceSuffix(hash: ScramHash, suffix: string): ServerMechanism {
  return createScramMechanism(hash, { nonceSuffix: () => suffix });
}

/** A DIGEST-MD5 mechanism whose challenge nonce is fixed. */
export function digestMd5WithNonce(nonce: string): ServerMechanism {
  return createDigestMd5Mechanism({ nonce: () => nonce });
}

export interface MemoryUser {
  password: string;
  /** Fixed SCRAM salt/iterations (for the RFC vectors); random salt otherwise. */
  salt?: Buffer;
  iterations?: number;
}

export interface MemorySource extends CredentialSource {
  /** Every call made, as "method:username". */
  readonly calls: string[];
}

/** In-memory backend holding only derived credentials, for a single realm. */
export function memorySource(users: Record<string, MemoryUser>, realm: string): MemorySource {
  const scram = new Map<string, ScramCredentials>();
  const ha1 = new Map<string, Buffer>();
  for (const [name, u] of Object.entries(users)) {
    const opts = { ...(u.salt && { salt: u.salt }), ...(u.iterations && { iterations: u.iterations }) };
    for (const hash of ['SHA-1', 'SHA-256'] as const) scram.set(`${hash}:${name}`, deriveScram(u.password, hash, opts));
    ha1.set(name, digestHa1(name, realm, u.password));
  }
  const calls: string[] = [];
  return {
    calls,
    async getScram(username, hash) {
      calls.push(`getScram:${username}`);
      return scram.get(`${hash}:${username}`) ?? null;
    },
    async getDigestHa1(username, r) {
      calls.push(`getDigestHa1:${username}`);
      return r === realm ? (ha1.get(username) ?? null) : null;
    },
    async testPassword(username, password) {
      calls.push(`testPassword:${username}`);
      return users[username]?.password === password;
    },
  };
}

/** A backend whose every call fails, as during an outage. */
export function failingSource(): CredentialSource {
  const fail = async (): Promise<never> => {
    throw new Error('backend unavailable');
  };
  return { getScram: fail, getDigestHa1: fail, testPassword: fail };
}
