// Per-account back-off on failed authentications: after MAX_AUTH_FAILURES_PER_ACCOUNT
// failures (not-authorized) for one username within AUTH_FAILURE_WINDOW_MS, further
// attempts for it get temporary-auth-failure (RFC 6120 §6.5.12) until the oldest failure
// leaves the window. Kept in memory per auth replica: with N replicas an attacker spread
// over them gets at most N times the figure (see docs/architecture.md).
import { SaslFailure, type CredentialSource } from '@cx/sasl';
import { boundedLocal } from './usernames';
import { Counter } from 'prom-client';

const limitsHit = new Counter({ name: 'xmpp_auth_limits_total', help: 'SASL attempts refused by a limit', labelNames: ['limit'] });

export class AccountFailures {
  private readonly failures = new Map<string, number[]>();
  private readonly sweeper?: NodeJS.Timeout;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {
    if (max <= 0) return;
    this.sweeper = setInterval(() => this.sweep(Date.now()), windowMs);
    this.sweeper.unref();
  }

  get enabled(): boolean {
    return this.max > 0;
  }

  failed(user: string, now = Date.now()): void {
    if (this.max <= 0) return;
    this.failures.set(user, [...this.recent(user, now), now].slice(-this.max));
  }

  succeeded(user: string): void {
    this.failures.delete(user);
  }

  /** Milliseconds until this account may be tried again (0: now). */
  blockedFor(user: string, now = Date.now()): number {
    if (this.max <= 0) return 0;
    const r = this.recent(user, now);
    return r.length >= this.max ? r[0] + this.windowMs - now : 0;
  }

  sweep(now: number): void {
    for (const user of this.failures.keys()) if (this.recent(user, now).length === 0) this.failures.delete(user);
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private recent(user: string, now: number): number[] {
    return (this.failures.get(user) ?? []).filter((t) => now - t < this.windowMs);
  }
}

/** One exchange's view of the backend: refuses a backed-off account and remembers which account was tried. */
export interface WatchedSource {
  source: CredentialSource;
  /** The prepared username the mechanism asked about, once it has. */
  readonly username: string | undefined;
}

export function watchedSource(inner: CredentialSource, failures: AccountFailures): WatchedSource {
  let username: string | undefined;
  const check = (u: string): void => {
    const p = boundedLocal(u);
    // Not a localpart: the store will not be asked (usernames.ts), so there is nothing to back off.
    if (p === null) return;
    username = p;
    const wait = failures.blockedFor(username);
    if (wait <= 0) return;
    limitsHit.inc({ limit: 'auth-failures-per-account' });
    throw new SaslFailure('temporary-auth-failure', `too many failed attempts for this account; try again in ${Math.ceil(wait / 1000)} s`);
  };
  return {
    get username() {
      return username;
    },
    source: {
      getScram: async (u, hash) => (check(u), inner.getScram(u, hash)),
      getDigestHa1: async (u, realm) => (check(u), inner.getDigestHa1(u, realm)),
      testPassword: async (u, pw) => (check(u), inner.testPassword(u, pw)),
    },
  };
}
