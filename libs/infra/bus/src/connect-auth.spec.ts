// NATS credentials from the settings (NATS_USER/NATS_PASSWORD, NATS_TOKEN)
// against real nats-servers that require them: the right ones connect, none
// or wrong ones do not, and the password never appears in what is logged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startNats } from '@cx/stack';
import { connectBus } from './connect';

const dir = mkdtempSync(join(tmpdir(), 'cx-nats-auth-'));
let users: Awaited<ReturnType<typeof startNats>>;
let token: Awaited<ReturnType<typeof startNats>>;
const lines: string[] = [];
const log = pino({ level: 'trace' }, { write: (l: string) => void lines.push(l) });

beforeAll(async () => {
  users = await startNats({ dataDir: join(dir, 'u'), args: ['--user', 'router', '--pass', 'router-secret-pw'] });
  token = await startNats({ dataDir: join(dir, 't'), args: ['--auth', 'a-secret-token'] });
});

afterAll(async () => {
  await users?.stop();
  await token?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const fails = (servers: string, credentials?: Parameters<typeof connectBus>[0]['credentials']) =>
  connectBus({ servers, name: 't', log, connectTimeoutMs: 300, credentials }).then(
    (b) => b.close().then(() => 'connected'),
    () => 'refused',
  );

describe('connectBus with credentials', () => {
  it('a user and password', async () => {
    const bus = await connectBus({ servers: users.url, name: 't', log, credentials: { user: 'router', password: 'router-secret-pw' } });
    await bus.nc.flush();
    await bus.close();
    expect(await fails(users.url)).toBe('refused');
    expect(await fails(users.url, { user: 'router', password: 'wrong-pw' })).toBe('refused');
  });

  it('a token', async () => {
    const bus = await connectBus({ servers: token.url, name: 't', log, credentials: { token: 'a-secret-token' } });
    await bus.nc.flush();
    await bus.close();
    expect(await fails(token.url, { token: 'nope' })).toBe('refused');
  });

  it('logs no secret', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(/router-secret-pw|wrong-pw|a-secret-token/);
  });
});
