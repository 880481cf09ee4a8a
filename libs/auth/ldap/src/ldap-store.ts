// The LDAP account backend (AUTH_BACKEND=ldap): read-only, passwords checked
// by binding as the user, so only PLAIN is served (capability password:test),
// as in ejabberd, Prosody, MongooseIM and Tigase. With the opt-in SCRAM cache
// it also serves SCRAM from keys derived at verified PLAIN logins.
import type { AccountResult, AccountStore, LoginContext } from '@cx/auth-store';
import type { Logger } from '@cx/log';
import type { Capability, ScramCredentials, ScramHash } from '@cx/sasl';
import { LdapDirectory } from './directory';
import type { LdapOptions } from './options';
import type { LdapScramCache } from './scram-cache';

const READ_ONLY: AccountResult = { ok: false, condition: 'not-allowed', text: 'accounts are managed in LDAP' };

export class LdapAccountStore implements AccountStore {
  readonly name = 'ldap';
  readonly writable = false;
  readonly capabilities: ReadonlySet<Capability>;
  private readonly dir: LdapDirectory;

  constructor(
    options: LdapOptions,
    private readonly log?: Logger,
    private readonly scram?: LdapScramCache,
  ) {
    this.dir = new LdapDirectory(options);
    this.capabilities = new Set<Capability>(scram ? ['password:test', 'scram:SHA-1', 'scram:SHA-256'] : ['password:test']);
  }

  async getScram(username: string, hash: ScramHash): Promise<ScramCredentials | null> {
    return this.scram ? this.scram.get(username, hash) : null;
  }

  async getDigestHa1(): Promise<Buffer | null> {
    return null;
  }

  async testPassword(username: string, password: string, ctx?: LoginContext): Promise<boolean> {
    const ok = await this.directory('bind', () => this.dir.verify(username, password));
    if (ok && this.scram && ctx?.secure) {
      // A failure here costs SCRAM until the next login, never this login.
      await this.scram.put(username, password).catch((err: Error) => this.log?.warn({ err: err.message, username }, 'could not cache SCRAM keys'));
    }
    return ok;
  }

  exists(username: string): Promise<boolean> {
    return this.directory('search', async () => (await this.dir.find(username)) !== null);
  }

  list(): Promise<string[]> {
    return this.directory('list', () => this.dir.list());
  }

  async create(): Promise<AccountResult> {
    return READ_ONLY;
  }

  async setPassword(): Promise<AccountResult> {
    return READ_ONLY;
  }

  async remove(): Promise<AccountResult> {
    return READ_ONLY;
  }

  close(): Promise<void> {
    return this.dir.close();
  }

  /** Directory trouble is logged here (never a password) and rethrown: the caller answers temporary-auth-failure. */
  private async directory<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.log?.warn({ op, err: (err as Error).message }, 'LDAP directory unavailable');
      throw err;
    }
  }
}
