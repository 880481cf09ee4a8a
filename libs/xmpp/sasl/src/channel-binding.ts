// Channel binding data both sides compute from their TLS connection: tls-server-end-point
// (RFC 5929 §4.1: a hash of the server's certificate, the hash chosen by its signature
// algorithm) and the tls-exporter parameters (RFC 9266 §2, TLS 1.3 only).
import { createHash } from 'node:crypto';

export const TLS_EXPORTER = 'tls-exporter';
/** RFC 5929 §3: the first Finished message of the most recent handshake; defined up to TLS 1.2 only (RFC 9266 §3). */
export const TLS_UNIQUE = 'tls-unique';
export const TLS_SERVER_END_POINT = 'tls-server-end-point';
/** RFC 9266 §2: exporter label and length; the context is empty. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
export const TLS_EXPORTER_LENGTH = 32;

export type EndPointHash = 'sha256' | 'sha384' | 'sha512';

// Signature algorithm OIDs (DER content bytes, hex) → the hash they use.
const SIGNATURE_HASH: Record<string, EndPointHash> = {
  '2a864886f70d010104': 'sha256', // md5WithRSAEncryption: MD5 → SHA-256
  '2a864886f70d010105': 'sha256', // sha1WithRSAEncryption: SHA-1 → SHA-256
  '2a864886f70d01010b': 'sha256', // sha256WithRSAEncryption
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption
  '2a8648ce3d0401': 'sha256', // ecdsa-with-SHA1
  '2a8648ce3d040302': 'sha256', // ecdsa-with-SHA256
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512
  '2a8648ce380403': 'sha256', // dsa-with-sha1
  '608648016503040302': 'sha256', // dsa-with-sha256
};
const RSASSA_PSS = '2a864886f70d01010a';
const DIGEST_HASH: Record<string, EndPointHash> = {
  '2b0e03021a': 'sha256', // SHA-1 → SHA-256
  '608648016503040201': 'sha256',
  '608648016503040202': 'sha384',
  '608648016503040203': 'sha512',
};

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** One DER tag-length-value at `off` (definite lengths only, as DER requires). */
function tlv(der: Buffer, off: number): Tlv {
  const tag = der[off];
  let len = der[off + 1];
  if (tag === undefined || len === undefined) throw new Error('truncated DER');
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    len = der.readUIntBE(start, n);
    start += n;
  }
  if (start + len > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

function expectTag(der: Buffer, off: number, tag: number): Tlv {
  const t = tlv(der, off);
  if (t.tag !== tag) throw new Error(`DER: expected tag ${tag}, got ${t.tag}`);
  return t;
}

/** RSASSA-PSS-params: hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1. */
function pssHash(der: Buffer, params: number, end: number): EndPointHash | null {
  if (params >= end) return 'sha256';
  const seq = expectTag(der, params, 0x30);
  if (seq.start >= seq.end || der[seq.start] !== 0xa0) return 'sha256';
  const explicit = expectTag(der, seq.start, 0xa0);
  const oid = expectTag(der, expectTag(der, explicit.start, 0x30).start, 0x06);
  return DIGEST_HASH[der.subarray(oid.start, oid.end).toString('hex')] ?? null;
}

/**
 * The hash RFC 5929 §4.1 picks for a certificate (DER): the one its signature uses, SHA-256 for
 * MD5 and SHA-1; null when the signature uses no single hash (EdDSA…), where the binding is undefined.
 */
export function endPointHash(certDer: Buffer): EndPointHash | null {
  const cert = expectTag(certDer, 0, 0x30); // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
  const tbs = expectTag(certDer, cert.start, 0x30);
  const algorithm = expectTag(certDer, tbs.end, 0x30);
  const oid = expectTag(certDer, algorithm.start, 0x06);
  const hex = certDer.subarray(oid.start, oid.end).toString('hex');
  if (hex === RSASSA_PSS) return pssHash(certDer, oid.end, algorithm.end);
  return SIGNATURE_HASH[hex] ?? null;
}

/** The tls-server-end-point binding data for the server certificate (DER), or null when undefined for it. */
export function tlsServerEndPoint(certDer: Buffer): Buffer | null {
  const hash = endPointHash(certDer);
  return hash === null ? null : createHash(hash).update(certDer).digest();
}
