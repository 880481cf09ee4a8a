// Per-IP limits on an edge, with a stack of its own (small limits would get in
// the way of the other files): connections per address, failed
// authentications per address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStack, type Stack } from '@cx/stack';
import { authenticate, RawClient, register, uniqueName } from '@cx/testing';

let stack: Stack;
const dataDir = mkdtempSync(join(tmpdir(), 'cx-limits-'));

beforeAll(async () => {
  stack = await startStack({
    dataDir,
    env: {
      REGISTRATION_OPEN: 'true',
      LOG_LEVEL: 'warn',
      MAX_CONNECTIONS_PER_IP: '3',
      MAX_CONNECTIONS_PER_IP_EXEMPT: 'none',
      WS_TRUSTED_PROXIES: '127.0.0.1',
      MAX_AUTH_FAILURES_PER_IP: '3',
      ALLOW_PLAINTEXT_AUTH: 'true',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('per-IP limits', () => {
  it('refuses a connection over MAX_CONNECTIONS_PER_IP with policy-violation, and takes one again when a slot frees', async () => {
    const [port] = stack.edgePorts;
    const held = await Promise.all([1, 2, 3].map(() => RawClient.connect(port)));
    for (const c of held) await c.open();
    const extra = await RawClient.connect(port);
    await extra.expectStreamError('policy-violation');
    held[0].close();
    await held[0].closed;
    await new Promise((r) => setTimeout(r, 100));
    const again = await RawClient.connect(port);
    expect((await again.open()).features.name).toBe('stream:features');
    for (const c of [...held.slice(1), again]) c.close();
  });

  it('after MAX_AUTH_FAILURES_PER_IP failures, even the right password waits (temporary-auth-failure)', async () => {
    const [port] = stack.edgePorts;
    await new Promise((r) => setTimeout(r, 200));
    const name = uniqueName('target');
    await register(port, name, 'right');
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.connect(port);
      await c.open();
      expect((await authenticate(c, name, 'wrong', 'PLAIN')).getChild('not-authorized')).toBeDefined();
      c.close();
      await c.closed;
    }
    const c = await RawClient.connect(port);
    await c.open();
    const r = await authenticate(c, name, 'right', 'PLAIN');
    expect(r.getChild('temporary-auth-failure')).toBeDefined();
    expect(r.getChildText('text')).toMatch(/try again/);
    c.close();
  });

  it('behind a trusted proxy, the cap counts the clients X-Forwarded-For names, not the proxy', async () => {
    const [wsPort] = stack.wsPorts;
    const sockets: WebSocket[] = [];
    /** A WebSocket as a proxy would open it for `client`; resolves with the first frame after <open/>. */
    const open = (client: string) =>
      new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/xmpp-websocket`, 'xmpp', { headers: { 'x-forwarded-for': `192.0.2.250, ${client}` } });
        sockets.push(ws);
        ws.on('open', () => ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`));
        ws.on('message', (d) => {
          const text = d.toString();
          if (!text.startsWith('<open')) resolve(text);
        });
        ws.on('error', reject);
      });
    try {
      // Three of one client fill its slots; nine more from other clients all get in.
      for (let i = 0; i < 3; i++) expect(await open('203.0.113.1')).toMatch(/features/);
      for (let i = 0; i < 9; i++) expect(await open(`203.0.113.${10 + i}`)).toMatch(/features/);
      expect(await open('203.0.113.1')).toMatch(/policy-violation/);
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });
});
