// A fixed number of LDAP connections, each used by one operation at a time
// (a bind changes a connection's identity, so binds must not interleave with
// other work on it). A connection that fails below LDAP (socket, timeout, TLS)
// is dropped and the operation tried once more on a new one, which is how the
// pool recovers when the server restarts.
import { ResultCodeError } from 'ldapts';
import type { Connection } from './connection';

export class LdapPool {
  private readonly idle: Connection[] = [];
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    /** Opens a connection ready for `use` (connected, StartTLS done, bound if need be). */
    private readonly open: () => Promise<Connection>,
    /** Whether an idle connection may still be used. */
    private readonly usable: (c: Connection) => boolean = (c) => c.usable(),
  ) {}

  /** Runs fn on a connection of the pool; LDAP result errors (wrong password…) pass through. */
  async use<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      const reused = this.takeIdle();
      if (!reused) return await this.attempt(await this.open(), fn);
      try {
        return await this.attempt(reused, fn);
      } catch (err) {
        if (err instanceof ResultCodeError) throw err;
        return await this.attempt(await this.open(), fn);
      }
    } finally {
      this.release();
    }
  }

  private async attempt<T>(c: Connection, fn: (c: Connection) => Promise<T>): Promise<T> {
    try {
      const r = await fn(c);
      this.putBack(c);
      return r;
    } catch (err) {
      if (err instanceof ResultCodeError) this.putBack(c);
      else void c.close();
      throw err;
    }
  }

  private takeIdle(): Connection | undefined {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (this.usable(c)) return c;
      void c.close();
    }
    return undefined;
  }

  private putBack(c: Connection): void {
    if (this.closed) void c.close();
    else this.idle.push(c);
  }

  private acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('LDAP pool closed'));
    if (this.busy < this.size) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((c) => c.close()));
  }
}
