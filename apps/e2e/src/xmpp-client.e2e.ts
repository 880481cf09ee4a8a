// An independent client library (xmpp.js) against the real stack: it logs in,
// and two clients on two different edge processes chat both ways.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { register, uniqueName } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const started: Client[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop().catch(() => undefined)));
});

function xmppjs(port: number, username: string, password: string, resource?: string): Client {
  const c = client({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username, password, resource });
  c.on('error', () => undefined);
  started.push(c);
  return c;
}

function nextMessage(c: Client): Promise<Element> {
  return new Promise((resolve) => {
    const on = (stanza: Element) => {
      if (stanza.is('message')) {
        c.removeListener('stanza', on);
        resolve(stanza);
      }
    };
    c.on('stanza', on);
  });
}

let alice: string;
let bob: string;
beforeAll(async () => {
  alice = uniqueName('alice');
  bob = uniqueName('bob');
  await register(edgeA, alice, 'alice-pw');
  await register(edgeA, bob, 'bob-pw');
});

describe('@xmpp/client', () => {
  it('logs in and binds its resource', async () => {
    const c = xmppjs(edgeA, alice, 'alice-pw', 'laptop');
    const address = await c.start();
    expect(address.toString()).toBe(`${alice}@localhost/laptop`);
    const pong = await c.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }), 'localhost');
    expect(pong).toBeUndefined();
  });

  it('two clients on two edges exchange messages both ways', async () => {
    const a = xmppjs(edgeA, alice, 'alice-pw');
    const b = xmppjs(edgeB, bob, 'bob-pw');
    const [aj, bj] = await Promise.all([a.start(), b.start()]);
    await Promise.all([a.send(xml('presence')), b.send(xml('presence'))]);
    const toBob = nextMessage(b);
    await a.send(xml('message', { to: bj.toString(), type: 'chat' }, xml('body', {}, 'hi bob')));
    const m1 = await toBob;
    expect(m1.attrs.from).toBe(aj.toString());
    expect(m1.getChildText('body')).toBe('hi bob');
    const toAlice = nextMessage(a);
    await b.send(xml('message', { to: `${alice}@localhost`, type: 'chat' }, xml('body', {}, 'hi alice')));
    const m2 = await toAlice;
    expect(m2.attrs.from).toBe(bj.toString());
    expect(m2.getChildText('body')).toBe('hi alice');
  });

  it('a wrong password is refused', async () => {
    const c = xmppjs(edgeB, alice, 'not-it');
    await expect(c.start()).rejects.toThrow(/not-authorized/);
  });
});

describe('@xmpp/client stream management (XEP-0198)', () => {
  it('enables stream management by itself, and resumes after its connection drops, receiving what was sent meanwhile once', async () => {
    const a = xmppjs(edgeA, alice, 'alice-pw', 'phone');
    const b = xmppjs(edgeB, bob, 'bob-pw');
    const [aj, bj] = await Promise.all([a.start(), b.start()]);
    const sm = (a as unknown as { streamManagement: unknown }).streamManagement as { enabled: boolean; id: string; on(ev: 'resumed', fn: () => void): void };
    await new Promise((r) => setTimeout(r, 300));
    expect(sm.enabled).toBe(true);
    expect(sm.id).not.toBe('');
    const got: string[] = [];
    a.on('stanza', (s: Element) => {
      if (s.is('message')) got.push(s.getChildText('body') ?? '');
    });
    await b.send(xml('message', { to: aj.toString(), type: 'chat' }, xml('body', {}, 'before')));
    await new Promise((r) => setTimeout(r, 500));
    const resumed = new Promise<void>((r) => sm.on('resumed', r));
    // The network goes away under the client (after STARTTLS its socket wraps a TLS socket).
    const sock = (a as unknown as { socket: unknown }).socket as { socket?: { destroy(): void }; destroy?: () => void };
    if (sock.socket) sock.socket.destroy();
    else sock.destroy?.();
    for (const body of ['while away 1', 'while away 2']) await b.send(xml('message', { to: aj.toString(), type: 'chat' }, xml('body', {}, body)));
    await resumed;
    await new Promise((r) => setTimeout(r, 1000));
    expect(got).toEqual(['before', 'while away 1', 'while away 2']);
    // The resumed session still sends.
    const toBob = nextMessage(b);
    await a.send(xml('message', { to: bj.toString(), type: 'chat' }, xml('body', {}, 'back')));
    expect((await toBob).getChildText('body')).toBe('back');
  });
});
