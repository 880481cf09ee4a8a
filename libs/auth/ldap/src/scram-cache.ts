// The opt-in SCRAM cache for LDAP users (LDAP_SCRAM_CACHE): at a PLAIN login
// over TLS that an LDAP bind verified, the SCRAM-SHA-1 and SCRAM-SHA-256 keys
// of that password are derived and kept, with the time, in their own KV
// bucket (an `Account` whose created_at_ms is when the bind succeeded). SCRAM
// logins use them until they are older than the lifetime; then SCRAM fails
// (not-authorized) and the client's PLAIN login binds to LDAP again. So a
// password changed or an account removed in LDAP keeps working through SCRAM
// for at most the lifetime. Never the password itself is stored.
import { encodeKey, type Bus, type KV } from '@cx/bus';
import { accountv1 } from '@cx/proto';
import { deriveScramAsync, type ScramCredentials, type ScramHash } from '@cx/sasl';

export const LDAP_SCRAM_BUCKET = 'xmpp_ldap_scram';

export interface ScramCacheOptions {
  iterations: number;
  lifetimeMs: number;
  /** For tests: the clock. */
  now?: () => number;
}

export class LdapScramCache {
  private readonly now: () => number;

  private constructor(
    private readonly kv: KV,
    private readonly o: ScramCacheOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  /** Entries also expire from the bucket itself a little after the lifetime. */
  static async open(bus: Bus, o: ScramCacheOptions): Promise<LdapScramCache> {
    const kv = await bus.bucket(LDAP_SCRAM_BUCKET, { ttl: o.lifetimeMs + 60_000 });
    return new LdapScramCache(kv, o);
  }

  /** The keys derived at the user's last verified login, unless older than the lifetime. */
  async get(username: string, hash: ScramHash): Promise<ScramCredentials | null> {
    const e = await this.kv.get(encodeKey(username));
    if (!e || e.operation !== 'PUT' || e.value.length === 0) return null;
    const a = accountv1.Account.decode(e.value);
    const age = this.now() - a.createdAtMs;
    if (age < 0 || age > this.o.lifetimeMs) return null;
    const k = hash === 'SHA-1' ? a.scramSha1 : a.scramSha256;
    return k ? { salt: Buffer.from(k.salt), iterations: k.iterations, storedKey: Buffer.from(k.storedKey), serverKey: Buffer.from(k.serverKey) } : null;
  }

  /** Call only after LDAP verified this password over an encrypted client connection. */
  async put(username: string, password: string): Promise<void> {
    const it = this.o.iterations;
    const [sha1, sha256] = await Promise.all([
      deriveScramAsync(password, 'SHA-1', { iterations: it }),
      deriveScramAsync(password, 'SHA-256', { iterations: it }),
    ]);
    const bytes = accountv1.Account.encode({ username, scramSha1: sha1, scramSha256: sha256, digestMd5Ha1: Buffer.alloc(0), createdAtMs: this.now() }).finish();
    await this.kv.put(encodeKey(username), bytes);
  }

  /** Forget a user's keys (SCRAM fails until the next verified PLAIN login). */
  async forget(username: string): Promise<void> {
    await this.kv.delete(encodeKey(username));
  }
}
