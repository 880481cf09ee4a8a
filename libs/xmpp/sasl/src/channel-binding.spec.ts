// tls-server-end-point (RFC 5929 §4.1): the hash follows the certificate's signature algorithm,
// MD5/SHA-1 become SHA-256, and it is undefined for signatures without a single hash (EdDSA).
// Expected values are openssl's own fingerprints of the same certificates.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { endPointHash, tlsServerEndPoint } from './channel-binding';
import * as certs from './channel-binding.fixtures';

const der = (pem: string) => new X509Certificate(pem).raw;
const hex = (fingerprint: string) => fingerprint.replace(/:/g, '').toLowerCase();

describe('tls-server-end-point', () => {
  it.each([
    ['ecdsa-with-SHA256', certs.ECDSA_SHA256, 'sha256', certs.ECDSA_SHA256_FINGERPRINT],
    ['ecdsa-with-SHA384', certs.ECDSA_SHA384, 'sha384', certs.ECDSA_SHA384_FINGERPRINT],
    ['ecdsa-with-SHA1 (SHA-1 → SHA-256)', certs.ECDSA_SHA1, 'sha256', certs.ECDSA_SHA1_FINGERPRINT],
    ['RSASSA-PSS with SHA-512', certs.RSA_PSS_SHA512, 'sha512', certs.RSA_PSS_SHA512_FINGERPRINT],
  ])('%s', (_name, pem, hash, fingerprint) => {
    expect(endPointHash(der(pem))).toBe(hash);
    expect(tlsServerEndPoint(der(pem))?.toString('hex')).toBe(hex(fingerprint));
  });

  it('is undefined for Ed25519 (no hash in the signature)', () => {
    expect(endPointHash(der(certs.ED25519))).toBeNull();
    expect(tlsServerEndPoint(der(certs.ED25519))).toBeNull();
  });

  it('throws on something that is not a certificate', () => {
    expect(() => endPointHash(Buffer.from('3003020101', 'hex'))).toThrow();
    expect(() => endPointHash(Buffer.from('30', 'hex'))).toThrow();
  });
});
