// The directory as the auth service sees it: find a user's DN with the
// service account (searches under the base only), and check a password by
// binding as that DN (RFC 4513 §5.1.3) on a connection kept for binds.
import { InvalidCredentialsError } from 'ldapts';
import { openConnection, type Connection } from './connection';
import { allUsersFilter, userFilter, usernameAttribute } from './filter';
import type { LdapOptions } from './options';
import { LdapPool } from './pool';

export class LdapDirectory {
  private readonly searches: LdapPool;
  private readonly binds: LdapPool;
  private readonly attribute: string;

  constructor(private readonly o: LdapOptions) {
    this.attribute = usernameAttribute(o.filter);
    this.searches = new LdapPool(
      o.poolSize,
      () => this.openService(),
      (c) => c.usable() && (!o.bindDn || c.client.isBound),
    );
    this.binds = new LdapPool(o.poolSize, () => openConnection(o));
  }

  private async openService(): Promise<Connection> {
    const c = await openConnection(this.o);
    if (!this.o.bindDn) return c;
    try {
      await c.client.bind(this.o.bindDn, this.o.bindPassword);
      return c;
    } catch (err) {
      await c.close();
      throw err;
    }
  }

  /** The DN of the one entry the filter finds under the base; null when none (or, ambiguously, several). */
  async find(username: string): Promise<string | null> {
    const { searchEntries } = await this.searches.use(({ client }) =>
      client.search(this.o.base, { scope: 'sub', filter: userFilter(this.o.filter, username), attributes: ['1.1'], sizeLimit: 2 }),
    );
    return searchEntries.length === 1 ? searchEntries[0]!.dn : null;
  }

  /** True when the user exists under the base and the password binds as them. Throws on directory trouble. */
  async verify(username: string, password: string): Promise<boolean> {
    // An empty password would be an unauthenticated bind, which succeeds (RFC 4513 §5.1.2).
    if (password === '') return false;
    const dn = await this.find(username);
    if (dn === null) return false;
    try {
      await this.binds.use(({ client }) => client.bind(dn, password));
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false;
      throw err;
    }
  }

  /** Every username under the base, sorted. */
  async list(): Promise<string[]> {
    const { searchEntries } = await this.searches.use(({ client }) =>
      client.search(this.o.base, { scope: 'sub', filter: allUsersFilter(this.o.filter), attributes: [this.attribute], paged: true }),
    );
    const names = searchEntries.map((e) => {
      const v = e[this.attribute] ?? e[Object.keys(e).find((k) => k.toLowerCase() === this.attribute.toLowerCase()) ?? ''];
      return String(Array.isArray(v) ? v[0] : (v ?? ''));
    });
    return [...new Set(names.filter(Boolean))].sort();
  }

  async close(): Promise<void> {
    await Promise.all([this.searches.close(), this.binds.close()]);
  }
}
