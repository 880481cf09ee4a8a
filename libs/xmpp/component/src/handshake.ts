// XEP-0114 §3: the component proves it knows the shared secret with
// <handshake>, the lowercase hex SHA-1 of the stream id followed by the secret.
import { createHash, timingSafeEqual } from 'node:crypto';

export function handshakeDigest(streamId: string, secret: string): string {
  return createHash('sha1')
    .update(streamId + secret, 'utf8')
    .digest('hex');
}

/** Does the component's <handshake> text match? Case-insensitive hex, compared in constant time. */
export function handshakeMatches(text: string, streamId: string, secret: string): boolean {
  const want = Buffer.from(handshakeDigest(streamId, secret));
  const got = Buffer.from(text.trim().toLowerCase());
  return got.length === want.length && timingSafeEqual(got, want);
}
