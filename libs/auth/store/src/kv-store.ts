// The built-in account store: JetStream KV bucket "accounts", one entry per
// user holding SCRAM-SHA-1 and SCRAM-SHA-256 keys and, while DIGEST-MD5 is on,
// its HA1 — never the password. PLAIN is checked by deriving the SCRAM-SHA-256
// keys again. The HA1 (MD5 of user:realm:password, unsalted) works as the
// password for DIGEST-MD5, so with the mechanism off it is neither written nor
// kept: an old one is removed at the user's next login or password change
// (and, turned on again, restored at the next PLAIN login, which has the password).
import { buckets, decodeKey, encodeKey, WatchedCache, type Bus, type KV } from '@cx/bus';
import { accountv1 } from '@cx/proto';
import { checkScramPassword, deriveScramAsync, digestHa1, type Capability, type ScramCredentials, type ScramHash } from '@cx/sasl';
import type { AccountResult, AccountStore } from './store';

export interface KvStoreOptions {
  domain: string;
  iterations: number;
  /** Accounts kept in memory (0: none); a KV watch drops changed ones at once. */
  cacheSize?: number;
  /** Offer DIGEST-MD5 and store its HA1 (default true). */
  digestMd5?: boolean;
}

interface Stored {
  account: accountv1.Account;
  revision: number;
}

export class KvAccountStore implements AccountStore {
  readonly name = 'internal';
  readonly writable = true;
  readonly capabilities: ReadonlySet<Capability>;
  private readonly digestMd5: boolean;

  private constructor(
    private readonly kv: KV,
    private readonly opts: KvStoreOptions,
    /** Recently read accounts (null: known not to exist); every replica forgets a changed account at once. */
    private readonly cache: WatchedCache<Stored | null>,
  ) {
    this.digestMd5 = opts.digestMd5 !== false;
    this.capabilities = new Set<Capability>(['scram:SHA-1', 'scram:SHA-256', ...(this.digestMd5 ? (['digest-md5:ha1'] as const) : []), 'password:test']);
  }

  static async open(bus: Bus, opts: KvStoreOptions): Promise<KvAccountStore> {
    const kv = await bus.bucket(buckets.accounts);
    return new KvAccountStore(kv, opts, await WatchedCache.open(kv, opts.cacheSize ?? 0));
  }

  private read(username: string): Promise<Stored | null> {
    return this.cache.get(username, async () => {
      const e = await this.kv.get(encodeKey(username));
      return !e || e.value.length === 0 || e.operation !== 'PUT' ? null : { account: accountv1.Account.decode(e.value), revision: e.revision };
    });
  }

  async getScram(username: string, hash: ScramHash): Promise<ScramCredentials | null> {
    const a = (await this.read(username))?.account;
    const k = hash === 'SHA-1' ? a?.scramSha1 : a?.scramSha256;
    return k ? { salt: Buffer.from(k.salt), iterations: k.iterations, storedKey: Buffer.from(k.storedKey), serverKey: Buffer.from(k.serverKey) } : null;
  }

  async getDigestHa1(username: string): Promise<Buffer | null> {
    if (!this.digestMd5) return null;
    const a = (await this.read(username))?.account;
    return a && a.digestMd5Ha1.length ? Buffer.from(a.digestMd5Ha1) : null;
  }

  async testPassword(username: string, password: string): Promise<boolean> {
    const k = await this.getScram(username, 'SHA-256');
    const ok = k ? await checkScramPassword(password, 'SHA-256', k) : false;
    if (ok && this.digestMd5) await this.restoreHa1(username, password);
    return ok;
  }

  /** DIGEST-MD5 turned on again: an account saved while it was off gets its HA1 at its next PLAIN login. */
  private async restoreHa1(username: string, password: string): Promise<void> {
    const cur = await this.read(username);
    if (!cur || cur.account.digestMd5Ha1.length > 0) return;
    await this.writeHa1(username, cur, digestHa1(username, this.opts.domain, password));
  }

  /** Replace the stored HA1; a concurrent change (a new password, which sets its own) wins. */
  private async writeHa1(username: string, cur: Stored, ha1: Buffer): Promise<void> {
    const bytes = accountv1.Account.encode({ ...cur.account, digestMd5Ha1: ha1 }).finish();
    await this.kv.update(encodeKey(username), bytes, cur.revision).catch(() => undefined);
    this.forget(username);
  }

  async exists(username: string): Promise<boolean> {
    return (await this.read(username)) !== null;
  }

  private async encode(username: string, password: string): Promise<Uint8Array> {
    const it = this.opts.iterations;
    const [sha1, sha256] = await Promise.all([
      deriveScramAsync(password, 'SHA-1', { iterations: it }),
      deriveScramAsync(password, 'SHA-256', { iterations: it }),
    ]);
    return accountv1.Account.encode({
      username,
      scramSha1: sha1,
      scramSha256: sha256,
      digestMd5Ha1: this.digestMd5 ? digestHa1(username, this.opts.domain, password) : Buffer.alloc(0),
      createdAtMs: Date.now(),
    }).finish();
  }

  async create(username: string, password: string): Promise<AccountResult> {
    this.forget(username);
    const bytes = await this.encode(username, password);
    const existing = await this.kv.get(encodeKey(username));
    try {
      if (existing && existing.operation !== 'PUT') await this.kv.update(encodeKey(username), bytes, existing.revision);
      else if (existing) return { ok: false, condition: 'conflict', text: 'the username is taken' };
      else await this.kv.create(encodeKey(username), bytes);
      this.forget(username);
      return { ok: true };
    } catch {
      return { ok: false, condition: 'conflict', text: 'the username is taken' };
    }
  }

  async setPassword(username: string, password: string): Promise<AccountResult> {
    this.forget(username);
    const cur = await this.read(username);
    if (!cur) return { ok: false, condition: 'item-not-found', text: 'no such user' };
    await this.kv.update(encodeKey(username), await this.encode(username, password), cur.revision);
    this.forget(username);
    return { ok: true };
  }

  /** After a login: with DIGEST-MD5 off, remove an HA1 stored while it was on (a password equivalent). */
  async loggedIn(username: string): Promise<void> {
    if (this.digestMd5) return;
    const cur = await this.read(username);
    if (!cur || cur.account.digestMd5Ha1.length === 0) return;
    await this.writeHa1(username, cur, Buffer.alloc(0));
  }

  async remove(username: string): Promise<AccountResult> {
    if (!(await this.exists(username))) return { ok: false, condition: 'item-not-found', text: 'no such user' };
    await this.kv.purge(encodeKey(username));
    this.forget(username);
    return { ok: true };
  }

  private forget(username: string): void {
    this.cache.forget(username);
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys()) out.push(decodeKey(k));
    const live = await Promise.all(out.map(async (u) => ((await this.exists(u)) ? u : null)));
    return live.filter((u): u is string => u !== null).sort();
  }
}
