// Unknown-user handling for SCRAM servers (RFC 5802 §5 exchange, §9 security considerations):
// the server must not reveal whether an account exists, so it answers with a salt that is
// deterministic per username (HMAC with a per-process secret) and fails only at the final step.
import { createHmac, randomBytes } from 'node:crypto';
import { DEFAULT_ITERATIONS, DEFAULT_SALT_LENGTH, hashLength } from './scram-crypto';
import type { ScramCredentials, ScramHash } from './types';

const processSecret = randomBytes(32);

/** Credentials indistinguishable (to the client) from a real account; they never verify. */
export function fakeScramCredentials(hash: ScramHash, username: string): ScramCredentials {
  const mac = createHmac('sha256', processSecret).update(`scram-salt\0${hash}\0${username}`).digest();
  return {
    salt: Buffer.from(mac.subarray(0, DEFAULT_SALT_LENGTH)),
    iterations: DEFAULT_ITERATIONS,
    storedKey: randomBytes(hashLength(hash)),
    serverKey: randomBytes(hashLength(hash)),
  };
}
