// Per-session state with bounds (issue 9 #9), with a stack of its own so the
// bounds can be small: directed-presence recipients per session, and the
// stream-management (XEP-0198) and CSI (XEP-0352) buffers by bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createClient } from '@cx/grpc';
import { sessionv1 } from '@cx/proto';
import { startStack, type Stack } from '@cx/stack';
import { login, register, uniqueName } from '@cx/testing';

let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-session-bounds-'));
const MAX_DIRECTED = 20;

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    env: { REGISTRATION_OPEN: 'true', LOG_LEVEL: 'warn', MAX_DIRECTED_PRESENCES: String(MAX_DIRECTED) },
    onLine: (name: string, line: string) => process.env.E2E_VERBOSE && console.log(name, line),
  });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('directed presence (RFC 6121 §4.6)', () => {
  it('remembers at most MAX_DIRECTED_PRESENCES recipients per session; past it the presence is refused with resource-constraint', async () => {
    const [port] = stack.edgePorts;
    const name = uniqueName('dp');
    await register(port, name, 'pw');
    const a = await login(port, name, 'pw', { presence: true });
    const n = MAX_DIRECTED + 10;
    a.c.send(Array.from({ length: n }, (_, i) => `<presence to='room${i}@localhost/nick' id='dp${i}'/>`).join(''));
    const errors = [];
    for (let i = 0; i < 10; i++) errors.push(await a.c.until((el) => el.name === 'presence' && el.attrs.type === 'error', 10_000));
    expect(errors.map((e) => e.attrs.id)).toEqual(Array.from({ length: 10 }, (_, i) => `dp${MAX_DIRECTED + i}`));
    for (const e of errors) expect(e.getChild('error')?.getChild('resource-constraint')).toBeDefined();
    const client = createClient(sessionv1.SessionServiceClient, stack.addrs.SESSION_ADDR);
    const [s] = (await call(client.getSessions.bind(client), { bareJid: a.jid.split('/')[0] })).users[0].sessions;
    client.close();
    expect(s.directed).toHaveLength(MAX_DIRECTED);
    // A recipient already remembered is not refused; after unavailable to one, there is room again.
    a.c.send(`<presence to='room0@localhost/nick' id='again'/><presence to='room1@localhost/nick' type='unavailable'/>`);
    await new Promise((r) => setTimeout(r, 300));
    a.c.send(`<presence to='room-new@localhost/nick' id='room'/>`);
    await a.c.quiet(500, (el) => el.name === 'presence' && el.attrs.type === 'error');
    a.c.close();
  }, 30_000);
});
