// SCRAM key derivation and proofs, RFC 5802 §3 (Hi, ClientKey, StoredKey, ServerKey,
// ClientProof, ServerSignature), with SHA-256 per RFC 7677 §3.
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { saslPrep } from './saslprep';
import type { ScramCredentials, ScramHash } from './types';

export const DEFAULT_ITERATIONS = 4096;
export const DEFAULT_SALT_LENGTH = 16;

const NODE_ALGORITHM: Record<ScramHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256' };

export function hashLength(hash: ScramHash): number {
  return hash === 'SHA-1' ? 20 : 32;
}

export function h(hash: ScramHash, data: Buffer): Buffer {
  return createHash(NODE_ALGORITHM[hash]).update(data).digest();
}

export function hmac(hash: ScramHash, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(NODE_ALGORITHM[hash], key).update(data).digest();
}

/** Hi(str, salt, i) is PBKDF2 with HMAC as the PRF and dkLen = hash output length. */
export function hi(hash: ScramHash, password: Buffer, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(password, salt, iterations, hashLength(hash), NODE_ALGORITHM[hash]);
}

/** SaltedPassword := Hi(Normalize(password), salt, i) */
export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Buffer {
  return hi(hash, Buffer.from(saslPrep(password), 'utf8'), salt, iterations);
}

export function keysFromSaltedPassword(hash: ScramHash, salted: Buffer): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmac(hash, salted, 'Client Key');
  return { clientKey, storedKey: h(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') };
}

/** Derives what the backend stores for SCRAM (never the password itself). */
export function deriveScram(password: string, hash: ScramHash, opts: { salt?: Buffer; iterations?: number } = {}): ScramCredentials {
  const salt = opts.salt ?? randomBytes(DEFAULT_SALT_LENGTH);
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a positive integer');
  const { storedKey, serverKey } = keysFromSaltedPassword(hash, saltedPassword(hash, password, salt, iterations));
  return { salt, iterations, storedKey, serverKey };
}

const pbkdf2Async = promisify(pbkdf2);

/** deriveScram without blocking the event loop (PBKDF2 runs on the libuv pool). */
export async function deriveScramAsync(password: string, hash: ScramHash, opts: { salt?: Buffer; iterations?: number } = {}): Promise<ScramCredentials> {
  const salt = opts.salt ?? randomBytes(DEFAULT_SALT_LENGTH);
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a positive integer');
  const salted = await pbkdf2Async(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, hashLength(hash), NODE_ALGORITHM[hash]);
  const { storedKey, serverKey } = keysFromSaltedPassword(hash, salted);
  return { salt, iterations, storedKey, serverKey };
}

/** Does this password match stored SCRAM credentials? (How PLAIN is checked against a SCRAM store.) */
export async function checkScramPassword(password: string, hash: ScramHash, stored: ScramCredentials): Promise<boolean> {
  let derived: ScramCredentials;
  try {
    derived = await deriveScramAsync(password, hash, { salt: stored.salt, iterations: stored.iterations });
  } catch {
    return false; // SASLprep refused the password
  }
  return constantTimeEqual(derived.storedKey, stored.storedKey);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** ClientProof := ClientKey XOR HMAC(StoredKey, AuthMessage) */
export function clientProof(hash: ScramHash, clientKey: Buffer, authMessage: string): Buffer {
  return xor(clientKey, hmac(hash, h(hash, clientKey), authMessage));
}

/** ServerSignature := HMAC(ServerKey, AuthMessage) */
export function serverSignature(hash: ScramHash, serverKey: Buffer, authMessage: string): Buffer {
  return hmac(hash, serverKey, authMessage);
}

/** Server check: H(ClientProof XOR HMAC(StoredKey, AuthMessage)) == StoredKey, constant time. */
export function verifyClientProof(hash: ScramHash, storedKey: Buffer, proof: Buffer, authMessage: string): boolean {
  if (proof.length !== hashLength(hash) || storedKey.length !== hashLength(hash)) return false;
  const clientKey = xor(proof, hmac(hash, storedKey, authMessage));
  return timingSafeEqual(h(hash, clientKey), storedKey);
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
