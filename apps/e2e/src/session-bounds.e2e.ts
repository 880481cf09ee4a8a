// Per-session state with bounds (issue 9 #9), with a stack of its own so the
// bounds can be small: directed-presence recipients per session, and the
// stream-management (XEP-0198) and CSI (XEP-0352) buffers by bytes, and the
// account's whole registry entry (MAX_USER_ENTRY_BYTES).
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
const MAX_ENTRY = 16384;

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    env: {
      REGISTRATION_OPEN: 'true',
      ALLOW_PLAINTEXT_AUTH: 'true',
      LOG_LEVEL: 'warn',
      MAX_DIRECTED_PRESENCES: String(MAX_DIRECTED),
      SM_MAX_UNACKED_BYTES: '4096',
      CSI_MAX_BUFFER_BYTES: '4096',
      MAX_USER_ENTRY_BYTES: String(MAX_ENTRY),
    },
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
    const client = createClient(sessionv1.SessionServiceClient, stack.adminAddrs.SESSION_ADDR);
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

  it('a flood of directed presences from one client leaves the entry bounded and other logins fast', async () => {
    const [port] = stack.edgePorts;
    const [flo, kim] = [uniqueName('flo'), uniqueName('kim')];
    await register(port, flo, 'pw');
    await register(port, kim, 'pw');
    const f = await login(port, flo, 'pw', { presence: true });
    const n = 2000;
    for (let i = 0; i < n; i += 500) f.c.send(Array.from({ length: 500 }, (_, k) => `<presence to='muc${i + k}@localhost/me' id='f${i + k}'/>`).join(''));
    const t0 = Date.now();
    const k = await login(port, kim, 'pw', { presence: true });
    expect(Date.now() - t0).toBeLessThan(3000);
    let errors = 0;
    while (errors < n - MAX_DIRECTED) if ((await f.c.until((el) => el.name === 'presence', 20_000)).attrs.type === 'error') errors++;
    const client = createClient(sessionv1.SessionServiceClient, stack.adminAddrs.SESSION_ADDR);
    const [s] = (await call(client.getSessions.bind(client), { bareJid: f.jid.split('/')[0] })).users[0].sessions;
    client.close();
    expect(s.directed).toHaveLength(MAX_DIRECTED);
    f.c.close();
    k.c.close();
  }, 60_000);
});

const pad = 'p'.repeat(1000);

describe("the account's registry entry is bounded in bytes (MAX_USER_ENTRY_BYTES)", () => {
  it('a presence that would pass the bound is refused with resource-constraint and not broadcast; a small one still works', async () => {
    const [port] = stack.edgePorts;
    const name = uniqueName('big');
    await register(port, name, 'pw');
    const a = await login(port, name, 'pw', { presence: true, resource: 'a' });
    const b = await login(port, name, 'pw', { presence: true, resource: 'b' });
    await new Promise((r) => setTimeout(r, 300));
    a.c.send(`<presence id='huge'><status>${'x'.repeat(MAX_ENTRY)}</status></presence>`);
    const err = await a.c.until((el) => el.name === 'presence' && el.attrs.type === 'error', 10_000);
    expect(err.attrs.id).toBe('huge');
    expect(err.getChild('error')?.getChild('resource-constraint')).toBeDefined();
    await b.c.quiet(500, (el) => el.name === 'presence' && el.attrs.id === 'huge');
    a.c.send(`<presence id='small'><status>back</status></presence>`);
    expect((await b.c.until((el) => el.name === 'presence' && el.attrs.id === 'small', 10_000)).getChildText('status')).toBe('back');
    a.c.close();
    b.c.close();
  }, 30_000);
});

describe('stream management (XEP-0198): the unacknowledged queue is bounded in bytes', () => {
  it('past SM_MAX_UNACKED_BYTES the session ends with resource-constraint, and what was unacknowledged is stored offline', async () => {
    const [port] = stack.edgePorts;
    const [sue, ned] = [uniqueName('sue'), uniqueName('ned')];
    await register(port, sue, 'pw');
    await register(port, ned, 'pw');
    const s = await login(port, sue, 'pw', { presence: true });
    s.c.send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
    await s.c.until((el) => el.name === 'enabled');
    const n = await login(port, ned, 'pw');
    const bare = s.jid.split('/')[0];
    // sue reads but never acknowledges.
    n.c.send(Array.from({ length: 8 }, (_, i) => `<message to='${bare}' type='chat' id='m${i}'><body>${i} ${pad}</body></message>`).join(''));
    const err = await s.c.until((el) => el.name === 'stream:error', 10_000);
    expect(err.getChild('resource-constraint')).toBeDefined();
    await s.c.closed;
    // The session ended (not kept for a resumption): its unacknowledged messages wait offline for the next login.
    const again = await login(port, sue, 'pw', { presence: true });
    const got = new Set<string>();
    while (got.size < 8) got.add((await again.c.until((el) => el.name === 'message', 10_000)).attrs.id as string);
    expect([...got].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `m${i}`));
    again.c.close();
    n.c.close();
  }, 30_000);
});

describe('client state indication (XEP-0352): what is held for an inactive client is bounded in bytes', () => {
  it('past CSI_MAX_BUFFER_BYTES everything held is written out, in order, nothing dropped', async () => {
    const [port] = stack.edgePorts;
    const [ivy, jon] = [uniqueName('ivy'), uniqueName('jon')];
    await register(port, ivy, 'pw');
    await register(port, jon, 'pw');
    const i = await login(port, ivy, 'pw', { presence: true });
    const j = await login(port, jon, 'pw');
    i.c.send(`<inactive xmlns='urn:xmpp:csi:0'/>`);
    await new Promise((r) => setTimeout(r, 200));
    // Chat states (no body) are held; five of about 1.1 KB pass the 4 KiB bound.
    j.c.send(
      Array.from(
        { length: 5 },
        (_, k) => `<message to='${i.jid}' id='cs${k}'><paused xmlns='http://jabber.org/protocol/chatstates'/><x xmlns='urn:example:pad'>${pad}</x></message>`,
      ).join(''),
    );
    const ids = [];
    for (let k = 0; k < 4; k++) ids.push((await i.c.until((el) => el.name === 'message', 5000)).attrs.id);
    expect(ids).toEqual(['cs0', 'cs1', 'cs2', 'cs3']);
    i.c.close();
    j.c.close();
  }, 30_000);
});
