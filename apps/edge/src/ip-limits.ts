// Per-IP limits of one edge: how many connections an address may hold, and how
// many failed authentications it may make in a window before it must wait.
// In memory, per edge process (a load balancer spreads an attacker over edges,
// so set the figures per edge). Exempt addresses (by default loopback: a TLS
// terminator or proxy on the same host, tests, tools/bench) hold any number.
import { AddressSet } from './address-set';

export class IpLimits {
  private readonly connections = new Map<string, number>();
  private readonly failures = new Map<string, number[]>();

  private readonly exempt: AddressSet;

  constructor(private readonly maxConnections: number, private readonly maxFailures: number, private readonly windowMs: number, exempt: readonly string[] = []) {
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

  authFailed(ip: string, now = Date.now()): void {
    if (this.maxFailures <= 0) return;
    this.failures.set(ip, [...this.recent(ip, now), now]);
  }

  /** Milliseconds until this address may try again (0: now). */
  authBlockedFor(ip: string, now = Date.now()): number {
    if (this.maxFailures <= 0) return 0;
    const r = this.recent(ip, now);
    if (r.length === 0) this.failures.delete(ip);
    return r.length >= this.maxFailures ? r[0] + this.windowMs - now : 0;
  }

  private recent(ip: string, now: number): number[] {
    return (this.failures.get(ip) ?? []).filter((t) => now - t < this.windowMs);
  }
}
