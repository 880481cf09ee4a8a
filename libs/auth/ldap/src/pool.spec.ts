// The pool's rules with stand-in connections (the real thing is exercised
// against slapd in ldap-store.spec.ts).
import { describe, expect, it } from 'vitest';
import { InvalidCredentialsError } from 'ldapts';
import type { Connection } from './connection';
import { LdapPool } from './pool';

function fakes() {
  const made: { id: number; alive: boolean; closed: boolean }[] = [];
  const open = async (): Promise<Connection> => {
    const state = { id: made.length + 1, alive: true, closed: false };
    made.push(state);
    return { client: state as never, usable: () => state.alive, close: async () => void (state.closed = true) };
  };
  const id = (c: Connection) => (c.client as unknown as { id: number }).id;
  return { made, open, id };
}

describe('LdapPool', () => {
  it('reuses an idle connection and opens no more than its size at once', async () => {
    const f = fakes();
    const pool = new LdapPool(2, f.open);
    let running = 0;
    let most = 0;
    const job = () =>
      pool.use(async () => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      });
    await Promise.all(Array.from({ length: 10 }, job));
    expect(most).toBe(2);
    expect(f.made).toHaveLength(2);
  });

  it('passes LDAP result errors through and keeps the connection', async () => {
    const f = fakes();
    const pool = new LdapPool(1, f.open);
    await expect(
      pool.use(async () => {
        throw new InvalidCredentialsError();
      }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(await pool.use(async (c) => f.id(c))).toBe(1);
  });

  it('drops a connection that failed below LDAP and retries once on a new one', async () => {
    const f = fakes();
    const pool = new LdapPool(1, f.open);
    await pool.use(async () => undefined);
    let calls = 0;
    const got = await pool.use(async (c) => {
      if (++calls === 1) throw new Error('socket closed');
      return f.id(c);
    });
    expect(got).toBe(2);
    expect(f.made[0]!.closed).toBe(true);
  });

  it('does not retry on a connection it just opened', async () => {
    const f = fakes();
    const pool = new LdapPool(1, f.open);
    await expect(
      pool.use(async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    expect(f.made).toHaveLength(1);
  });

  it('never hands out an idle connection that is no longer usable', async () => {
    const f = fakes();
    const pool = new LdapPool(1, f.open);
    await pool.use(async () => undefined);
    f.made[0]!.alive = false;
    expect(await pool.use(async (c) => f.id(c))).toBe(2);
    expect(f.made[0]!.closed).toBe(true);
  });
});
