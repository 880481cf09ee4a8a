// TURN credentials in coturn's REST API scheme ("TURN REST API", the draft
// draft-uberti-behave-turn-rest-00, coturn's use-auth-secret): the username
// is `<expiry unix seconds>:<user>`, the password base64(HMAC-SHA1(secret,
// username)). coturn recomputes the password from its static-auth-secret and
// refuses the username once its time has passed: nothing is stored anywhere.
import { createHmac } from 'node:crypto';

export interface TurnCredentials {
  username: string;
  password: string;
  /** When they stop working (XEP-0082 date-time, as XEP-0215's `expires`). */
  expires: string;
}

export function turnPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** Credentials for `user` (a bare JID) valid for `ttlS` seconds from `nowMs`. */
export function turnCredentials(opts: { secret: string; user: string; ttlS: number; nowMs?: number }): TurnCredentials {
  const expiry = Math.floor((opts.nowMs ?? Date.now()) / 1000) + opts.ttlS;
  const username = `${expiry}:${opts.user}`;
  return { username, password: turnPassword(opts.secret, username), expires: new Date(expiry * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}
