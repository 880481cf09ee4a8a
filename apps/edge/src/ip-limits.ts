// Per-IP limits of one edge: how many connections an address may hold, and how
// many failed password proofs it may make in a window before it must wait.
// In memory, per edge process (a load balancer spreads an attacker over edges,
// so set the figures per edge). Exempt addresses (by default loopback: a TLS
// terminator or proxy on the same host, tests, tools/bench) hold any number.
// A failure is remembered with the user it was for: when that user then logs
// in from the address, his own failures there are taken back, so one user's
// typos never lock out the rest of a NAT; failures for other accounts
// (password guessing, spraying) stay counted.
import { AddressSet } from './address-set';

interface Failure {
  at: number;
  user: string;
}

export class IpLimits {
  private readonly connections = new Map<string, number>();
  private readonly failures = new Map<string, Failure[]>();

  private readonly exempt: AddressSet;

  constructor(
    private readonly maxConnections: number,
    private readonly maxFailures: number,
    private readonly windowMs: number,
    exempt: readonly string[] = [],
  ) {
    this.exempt = new AddressSet(exempt);
  }

  /** Take a connection slot; false when the address already has its maximum. */
  open(ip: string): boolean {
    const n = this.connections.get(ip) ?? 0;
    if (this.maxConnections > 0 && n >= this.maxConnections && !this.exempt.has(ip)) return false;
    this.connections.set(ip, n + 1);
    return true;
  }

  close(ip: string): void {
    const n = (this.connections.get(ip) ?? 1) - 1;
    if (n <= 0) this.connections.delete(ip);
    else this.connections.set(ip, n);
  }

  /** A wrong password (or proof) for `user` from this address. */
  authFailed(ip: string, user = '', now = Date.now()): void {
    if (this.maxFailures <= 0) return;
    this.failures.set(ip, [...this.recent(ip, now), { at: now, user }].slice(-this.maxFailures));
  }

  /** `user` proved his password from this address: his failures there no longer count. */
  authSucceeded(ip: string, user: string, now = Date.now()): void {
    if (!this.failures.has(ip)) return;
    const left = this.recent(ip, now).filter((f) => f.user !== user);
    if (left.length === 0) this.failures.delete(ip);
    else this.failures.set(ip, left);
  }

  /** Milliseconds until this address may try again (0: now). */
  authBlockedFor(ip: string, now = Date.now()): number {
    if (this.maxFailures <= 0) return 0;
    const r = this.recent(ip, now);
    if (r.length === 0) this.failures.delete(ip);
    return r.length >= this.maxFailures ? (r[0] as Failure).at + this.windowMs - now : 0;
  }

  private recent(ip: string, now: number): Failure[] {
    return (this.failures.get(ip) ?? []).filter((f) => now - f.at < this.windowMs);
  }
}
