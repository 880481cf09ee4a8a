// SCRAM credential derivation, RFC 5802 §3: the derived StoredKey/ServerKey must reproduce the
// RFC 5802 §5 exchange; SASLprep is applied to the password.
import { describe, it, expect } from 'vitest';
import { clientProof, deriveScram, keysFromSaltedPassword, saltedPassword, verifyClientProof } from './scram-crypto';

const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
const authMessage =
  'n=user,r=fyko+d2lbbFgONRv9qkxdawL,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j';

describe('deriveScram', () => {
  it('defaults to 16 random salt bytes and 4096 iterations', () => {
    const a = deriveScram('pencil', 'SHA-256');
    const b = deriveScram('pencil', 'SHA-256');
    expect(a.salt).toHaveLength(16);
    expect(a.iterations).toBe(4096);
    expect(a.storedKey).toHaveLength(32);
    expect(a.serverKey).toHaveLength(32);
    expect(a.salt.equals(b.salt)).toBe(false);
    expect(deriveScram('pencil', 'SHA-1').storedKey).toHaveLength(20);
  });

  it('produces keys that verify the RFC 5802 ClientProof', () => {
    const creds = deriveScram('pencil', 'SHA-1', { salt, iterations: 4096 });
    const proof = Buffer.from('v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=', 'base64');
    expect(verifyClientProof('SHA-1', creds.storedKey, proof, authMessage)).toBe(true);
    expect(verifyClientProof('SHA-1', deriveScram('pencil!', 'SHA-1', { salt }).storedKey, proof, authMessage)).toBe(false);
    const { clientKey } = keysFromSaltedPassword('SHA-1', saltedPassword('SHA-1', 'pencil', salt, 4096));
    expect(clientProof('SHA-1', clientKey, authMessage).toString('base64')).toBe('v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
  });

  it('applies SASLprep to the password', () => {
    const mapped = deriveScram('I\u00ADX', 'SHA-256', { salt, iterations: 1 });
    expect(mapped.storedKey).toEqual(deriveScram('IX', 'SHA-256', { salt, iterations: 1 }).storedKey);
    expect(() => deriveScram('bad\u0007', 'SHA-256')).toThrow(/prohibited/);
    expect(() => deriveScram('x', 'SHA-256', { iterations: 0 })).toThrow(RangeError);
  });
});
