// The client's address behind a reverse proxy (a TLS-terminating Ingress in
// front of the WebSocket listener): per-address limits must count clients, not
// the proxy's few addresses. X-Forwarded-For is believed only when the peer is
// a trusted proxy, and read from the right: each proxy appends the address it
// saw, so the first untrusted address from the right is the one no trusted
// party can have forged.
import type { AddressSet } from './address-set';
import { isIP } from 'node:net';

export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: AddressSet): string | undefined {
  if (peer === undefined || forwardedFor === undefined || !trusted.has(peer)) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer; // garbage where an address belongs: trust none of it
    if (!trusted.has(hop)) return hop;
  }
  return hops[0] ?? peer;
}
