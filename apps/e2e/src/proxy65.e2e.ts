// XEP-0065 SOCKS5 Bytestreams through the proxy at proxy.localhost: the
// router's proxy65 module answers the proxy's JID, an edge holds the two
// SOCKS5 connections (raw sockets here) and relays them once the requester
// activates the stream.
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { freePort, startApp, waitForPort, type Proc } from '@cx/stack';
import { login, RawClient, register, uniqueName } from '@cx/testing';
import { runSlixmpp } from './slixmpp/run';

const [edgeA, edgeB] = inject('edgePorts');
const proxyPorts = inject('proxy65Ports');
const NS = 'http://jabber.org/protocol/bytestreams';
let requester: { c: RawClient; jid: string };
let target: { c: RawClient; jid: string };
const sockets: Socket[] = [];
let n = 0;

beforeAll(async () => {
  const [a, b] = [uniqueName('sender'), uniqueName('receiver')];
  await register(edgeA, a, 'pw');
  await register(edgeA, b, 'pw');
  requester = await login(edgeA, a, 'pw');
  target = await login(edgeB, b, 'pw');
});
let limited: Proc | undefined;
afterAll(async () => {
  requester.c.close();
  target.c.close();
  for (const s of sockets) s.destroy();
  await limited?.stop();
});

async function iq(who: { c: RawClient }, type: 'get' | 'set', to: string, payload: string): Promise<Element> {
  const id = `p${++n}`;
  who.c.send(`<iq type='${type}' id='${id}' to='${to}'>${payload}</iq>`);
  return who.c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

/** A raw SOCKS5 client (RFC 1928) connecting to the domain `hash`, port 0; resolves with the reply code. */
async function socks5(port: number, hash: string): Promise<{ s: Socket; code: number }> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  await once(s, 'connect');
  s.write(Buffer.from([5, 1, 0]));
  const greeting = await read(s, 2);
  expect([...greeting]).toEqual([5, 0]);
  s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, hash.length]), Buffer.from(hash), Buffer.from([0, 0])]));
  const reply = await read(s, 5 + hash.length + 2);
  if (reply.length >= 5 + hash.length) expect(reply.subarray(5, 5 + hash.length).toString()).toBe(hash);
  return { s, code: reply[1] };
}

/** n bytes, or fewer when the socket closes first. */
function read(s: Socket, want: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const t = setTimeout(() => reject(new Error(`read ${got.length} of ${want} bytes`)), timeoutMs);
    const done = () => {
      clearTimeout(t);
      s.off('data', on);
      s.off('close', done);
      resolve(got);
    };
    const on = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= want) done();
    };
    s.on('data', on);
    s.on('close', done);
  });
}

const hashOf = (sid: string) => createHash('sha1').update(`${sid}${requester.jid}${target.jid}`).digest('hex');

describe('XEP-0065 bytestreams proxy', () => {
  it('is listed in the domain disco#items with identity proxy/bytestreams', async () => {
    const items = await iq(requester, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
    expect(
      items
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toContain('proxy.localhost');
    const info = await iq(requester, 'get', 'proxy.localhost', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    const q = info.getChild('query') as Element;
    expect(q.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toEqual(['proxy/bytestreams']);
    expect(q.getChildren('feature').map((f) => f.attrs.var)).toContain(NS);
  });

  it('names its streamhost, relays both ways after activate, and refuses a third party', async () => {
    const r = await iq(requester, 'get', 'proxy.localhost', `<query xmlns='${NS}'/>`);
    const sh = r.getChild('query')?.getChild('streamhost')?.attrs ?? {};
    expect(sh.jid).toBe('proxy.localhost');
    expect(sh.host).toBe('127.0.0.1');
    // One of the edges' proxies (an edge another test file starts may answer too).
    expect(Number(sh.port)).toBeGreaterThan(0);
    const sid = `s${Date.now()}`;
    // Activating before both are connected: item-not-found.
    const early = await iq(requester, 'set', 'proxy.localhost', `<query xmlns='${NS}' sid='${sid}'><activate>${target.jid}</activate></query>`);
    expect(early.getChild('error')?.getChild('item-not-found')).toBeDefined();
    // The target connects first (§6.3.2), then the requester (§6.3.3).
    const t = await socks5(Number(sh.port), hashOf(sid));
    const q = await socks5(Number(sh.port), hashOf(sid));
    expect([t.code, q.code]).toEqual([0, 0]);
    expect((await socks5(Number(sh.port), hashOf(sid))).code).not.toBe(0);
    // Only the requester's activation matches the hash.
    const wrong = await iq(target, 'set', 'proxy.localhost', `<query xmlns='${NS}' sid='${sid}'><activate>${requester.jid}</activate></query>`);
    expect(wrong.attrs.type).toBe('error');
    const ok = await iq(requester, 'set', 'proxy.localhost', `<query xmlns='${NS}' sid='${sid}'><activate>${target.jid}</activate></query>`);
    expect(ok.attrs.type).toBe('result');
    const file = Buffer.alloc(64 * 1024, 7);
    q.s.write(file);
    expect((await read(t.s, file.length)).equals(file)).toBe(true);
    t.s.write('thanks');
    expect((await read(q.s, 6)).toString()).toBe('thanks');
    q.s.end();
    await once(t.s, 'end');
  });

  it('splices a stream whose halves reached two edges (two edges behind one address)', async () => {
    const sid = `x${Date.now()}`;
    const t = await socks5(proxyPorts[0], hashOf(sid));
    const q = await socks5(proxyPorts[1], hashOf(sid));
    expect([t.code, q.code]).toEqual([0, 0]);
    const ok = await iq(requester, 'set', 'proxy.localhost', `<query xmlns='${NS}' sid='${sid}'><activate>${target.jid}</activate></query>`);
    expect(ok.attrs.type).toBe('result');
    const file = Buffer.alloc(32 * 1024, 9);
    q.s.write(file);
    expect((await read(t.s, file.length)).equals(file)).toBe(true);
    t.s.write('got it');
    expect((await read(q.s, 6)).toString()).toBe('got it');
  });

  it('answers errors for what it does not serve', async () => {
    const bad = await iq(requester, 'set', 'proxy.localhost', `<query xmlns='${NS}' sid='x'/>`);
    expect(bad.getChild('error')?.getChild('bad-request')).toBeDefined();
    const other = await iq(requester, 'get', 'proxy.localhost', `<query xmlns='jabber:iq:version'/>`);
    expect(other.getChild('error')?.getChild('service-unavailable')).toBeDefined();
  });
});

describe('XEP-0065 proxy limits', () => {
  it('holds at most PROXY65_MAX_STREAMS streams and relays at most PROXY65_BYTES_PER_SEC', async () => {
    // An extra edge of the shared stack with tight limits; the routers ask every edge to activate.
    const [c2s, proxyPort] = [await freePort(), await freePort()];
    limited = startApp(
      'edge',
      {
        NATS_URL: inject('natsUrl'),
        XMPP_DOMAIN: 'localhost',
        LOG_LEVEL: 'warn',
        ...inject('addrs'),
        C2S_PORT: String(c2s),
        C2S_TLS_PORT: '0',
        WS_PORT: '0',
        PROXY65_PORT: String(proxyPort),
        PROXY65_MAX_STREAMS: '1',
        PROXY65_BYTES_PER_SEC: '50000',
        EDGE_ID: `edge-proxy65-${c2s}`,
      },
      { onLine: (l) => process.env.E2E_VERBOSE && console.log(l) },
    );
    await Promise.all([waitForPort(c2s, 30000), waitForPort(proxyPort, 30000)]);
    // It answers the routers' questions too: gone at the end of this test, so other tests' streams never meet its bounds.
    try {
      const sid = `lim${Date.now()}`;
      const t = await socks5(proxyPort, hashOf(sid));
      const q = await socks5(proxyPort, hashOf(sid));
      expect([t.code, q.code]).toEqual([0, 0]);
      // A second stream while the first is held: general failure (RFC 1928 reply 1).
      expect((await socks5(proxyPort, hashOf(`${sid}-2`))).code).toBe(1);
      const ok = await iq(requester, 'set', 'proxy.localhost', `<query xmlns='${NS}' sid='${sid}'><activate>${target.jid}</activate></query>`);
      expect(ok.attrs.type).toBe('result');
      const started = Date.now();
      const data = Buffer.alloc(100_000, 3);
      q.s.write(data);
      expect((await read(t.s, data.length, 10_000)).equals(data)).toBe(true);
      // A second's burst, then 50 kB/s: 100 kB take about a second.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      await limited.stop();
      limited = undefined;
    }
  });
});

describe('slixmpp: a file through the proxy (xep_0065)', () => {
  it('discovers proxy.localhost, offers it, the target on the other edge connects, the requester activates, bytes go both ways', async () => {
    const [a, b] = [uniqueName('slixsend'), uniqueName('slixrecv')];
    await register(edgeA, a, 'pw65');
    await register(edgeA, b, 'pw65');
    const r = await runSlixmpp('proxy65.py', [`${a}@localhost`, `${b}@localhost`, 'pw65', '127.0.0.1', String(edgeA), String(edgeB), inject('certFile')]);
    const detail = r.stderr.slice(-2000) + JSON.stringify(r.events);
    expect(r.code, detail).toBe(0);
    const proxies = r.events.find((e) => e.event === 'proxies')?.proxies as Record<string, [string, number]>;
    expect(Object.keys(proxies), detail).toEqual(['proxy.localhost']);
    const got = r.events.find((e) => e.event === 'received' && e.who === 'target');
    expect(got?.bytes, detail).toBe(200_000);
    expect(got?.sha1, detail).toBe(got?.expected);
    expect(r.events.find((e) => e.event === 'received' && e.who === 'requester')?.text, detail).toBe('thank');
  });
});
