// Every username auth is given (by any mechanism, registration, password change or the admin
// calls) is prepared as an RFC 7622 localpart (PRECIS UsernameCaseMapped, at most 1023 bytes)
// before it touches the account store: it becomes a KV key, so a NATS subject, and nats-server
// drops a connection whose protocol line passes 4096 bytes. What is not a localpart is refused
// before any lookup, and counted.
import { Counter } from 'prom-client';
import { prepareLocal } from '@cx/xmpp-core';

/** RFC 7622 §3.3.1: a localpart is at most 1023 bytes. */
export const MAX_LOCALPART_BYTES = 1023;
/** Longer input cannot prepare to 1023 bytes (no step of the profile shrinks text this much); skip the work. */
const MAX_INPUT_UNITS = 4 * MAX_LOCALPART_BYTES;

const invalid = new Counter({
  name: 'xmpp_auth_invalid_usernames_total',
  help: 'Usernames refused before any account lookup because they are not a valid localpart (RFC 7622) or exceed 1023 bytes, by path (sasl, account)',
  labelNames: ['path'],
});

/** The prepared localpart, or null when `username` is not one (too long input is not even looked at). */
export function boundedLocal(username: string): string | null {
  return username.length > MAX_INPUT_UNITS ? null : prepareLocal(username);
}

/** boundedLocal, counting the refusals in xmpp_auth_invalid_usernames_total. */
export function prepareUsername(username: string, path: 'sasl' | 'account'): string | null {
  const p = boundedLocal(username);
  if (p === null) invalid.inc({ path });
  return p;
}
