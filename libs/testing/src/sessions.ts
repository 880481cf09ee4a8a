// Accounts and sessions for one test file: new accounts with a shared password,
// logins that are remembered and closed together after each test.
import { login, register, uniqueName, type LoginOptions } from './login';
import type { RawClient } from './raw-client';

export const TEST_PASSWORD = 'pw';

export interface Account {
  name: string;
  bare: string;
}

export class TestSessions {
  private readonly open: RawClient[] = [];

  /** `port`: any edge, to register through. */
  constructor(private readonly port: number) {}

  async account(prefix: string): Promise<Account> {
    const name = uniqueName(prefix);
    await register(this.port, name, TEST_PASSWORD);
    return { name, bare: `${name}@localhost` };
  }

  async login(port: number, name: string, opts: LoginOptions = {}): Promise<{ c: RawClient; jid: string }> {
    const s = await login(port, name, TEST_PASSWORD, opts);
    this.open.push(s.c);
    return s;
  }

  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}
