// RFC 7395 XMPP over WebSocket on the edge, with XEP-0156 discovery: the same
// login and routing as over TCP, one element per frame.
import { afterEach, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { TestSessions } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const [wsA] = inject('wsPorts');
const t = new TestSessions(edgeA);
const sockets: WebSocket[] = [];
afterEach(() => {
  t.closeAll();
  for (const s of sockets.splice(0)) s.terminate();
});

class WsClient {
  private readonly frames: string[] = [];
  private waiter?: () => void;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.frames.push(d.toString());
      this.waiter?.();
    });
  }
  static open(port: number, protocol = 'xmpp'): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/xmpp-websocket`, protocol);
      sockets.push(ws);
      ws.on('open', () => resolve(new WsClient(ws)));
      ws.on('error', reject);
    });
  }
  send(s: string): void {
    this.ws.send(s);
  }
  async frame(): Promise<string> {
    for (let i = 0; i < 100 && this.frames.length === 0; i++) await new Promise<void>((r) => ((this.waiter = r), setTimeout(r, 50)));
    const f = this.frames.shift();
    if (f === undefined) throw new Error('no frame');
    return f;
  }
  async element(): Promise<Element> {
    const r = parseElement(await this.frame());
    if ('error' in r) throw new Error(r.error);
    return r;
  }
  async until(pred: (el: Element) => boolean): Promise<Element> {
    for (;;) {
      const el = await this.element();
      if (pred(el)) return el;
    }
  }
}

const OPEN = `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`;
const SM = "xmlns='urn:xmpp:sm:3'";

/** A WebSocket stream up to the restarted stream's features (PLAIN login). */
async function wsAuthed(port: number, name: string): Promise<{ c: WsClient; features: Element }> {
  const c = await WsClient.open(port);
  c.send(OPEN);
  await c.element();
  await c.element();
  c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${name}\0pw`).toString('base64')}</auth>`);
  expect((await c.element()).name).toBe('success');
  c.send(OPEN);
  await c.element();
  return { c, features: await c.element() };
}

describe('WebSocket (RFC 7395)', () => {
  it('is discoverable through host-meta (XEP-0156)', async () => {
    const xmlRes = await fetch(`http://127.0.0.1:${wsA}/.well-known/host-meta`, { headers: { origin: 'https://webclient.example' } });
    // §3: browser clients on other origins read it (CORS).
    expect(xmlRes.headers.get('access-control-allow-origin')).toBe('*');
    expect(xmlRes.headers.get('content-type')).toBe('application/xrd+xml');
    const xrd = await xmlRes.text();
    expect(xrd).toContain(`rel='urn:xmpp:alt-connections:websocket'`);
    expect(xrd).toContain(`/xmpp-websocket`);
    const jsonRes = await fetch(`http://127.0.0.1:${wsA}/.well-known/host-meta.json`, { headers: { origin: 'https://webclient.example' } });
    expect(jsonRes.headers.get('access-control-allow-origin')).toBe('*');
    expect(jsonRes.headers.get('content-type')).toBe('application/json');
    const json = (await jsonRes.json()) as { links: Array<{ rel: string; href: string }> };
    expect(json.links[0].rel).toBe('urn:xmpp:alt-connections:websocket');
    expect(json.links[0].href).toMatch(/^ws:\/\/.*\/xmpp-websocket$/);
  });

  it('frames the stream with <open/>, logs in, binds, and chats with a TCP client on another edge', async () => {
    const u = await t.account('webby');
    const peer = await t.account('tcp');
    const p = await t.login(edgeB, peer.name, { presence: true });
    const c = await WsClient.open(wsA);
    c.send(OPEN);
    const open = await c.element();
    expect(open.attrs).toMatchObject({ xmlns: 'urn:ietf:params:xml:ns:xmpp-framing', from: 'localhost', version: '1.0' });
    expect(open.attrs.id).toBeTruthy();
    const features = await c.element();
    expect(features.name).toBe('stream:features');
    expect(features.getChild('mechanisms')).toBeDefined();
    expect(features.getChild('starttls')).toBeUndefined();
    c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${u.name}\0pw`).toString('base64')}</auth>`);
    expect((await c.element()).name).toBe('success');
    c.send(OPEN);
    expect((await c.element()).name).toBe('open');
    expect((await c.element()).getChild('bind')).toBeDefined();
    c.send(`<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>browser</resource></bind></iq>`);
    const bound = await c.element();
    expect(bound.attrs.xmlns).toBe('jabber:client');
    const jid = bound.getChild('bind')?.getChildText('jid');
    expect(jid).toBe(`${u.name}@localhost/browser`);
    c.send(`<presence xmlns='jabber:client'/>`);
    c.send(`<message xmlns='jabber:client' to='${p.jid}' type='chat' id='w1'><body>from the browser</body></message>`);
    expect((await p.c.until((el) => el.name === 'message')).attrs).toMatchObject({ id: 'w1', from: jid });
    p.c.send(`<message to='${jid}' type='chat' id='w2'><body>back</body></message>`);
    const back = await c.until((el) => el.name === 'message');
    expect(back.attrs).toMatchObject({ xmlns: 'jabber:client', id: 'w2' });
    c.send(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
    expect(await c.until((el) => el.name === 'close')).toBeDefined();
  });

  it('refuses a connection without the xmpp subprotocol, and bad XML gets a stream error', async () => {
    await expect(WsClient.open(wsA, 'chat')).rejects.toThrow();
    const c = await WsClient.open(wsA);
    c.send(OPEN);
    await c.element();
    await c.element();
    c.send('<message><body>oops</message>');
    const err = await c.until((el) => el.name === 'stream:error');
    expect(err.getChild('not-well-formed')).toBeDefined();
    expect((await c.element()).name).toBe('close');
  });

  it('stream management (XEP-0198) works the same: a dropped WebSocket is resumed with what arrived meanwhile', async () => {
    const u = await t.account('wssm');
    const peer = await t.account('tcp');
    const p = await t.login(edgeB, peer.name);
    const first = await wsAuthed(wsA, u.name);
    expect(first.features.getChild('sm', 'urn:xmpp:sm:3')).toBeDefined();
    first.c.send(`<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    const jid = (await first.c.element()).getChild('bind')?.getChildText('jid') as string;
    first.c.send(`<enable ${SM} resume='true'/>`);
    const id = (await first.c.until((el) => el.name === 'enabled')).attrs.id;
    p.c.send(`<message to='${jid}' type='chat'><body>one</body></message>`);
    expect((await first.c.until((el) => el.name === 'message')).getChildText('body')).toBe('one');
    first.c.send(`<a ${SM} h='1'/>`);
    await new Promise((r) => setTimeout(r, 300));
    first.c.ws.terminate();
    await new Promise((r) => setTimeout(r, 300));
    p.c.send(`<message to='${jid}' type='chat'><body>two</body></message>`);
    const second = await wsAuthed(wsA, u.name);
    second.c.send(`<resume ${SM} previd='${id}' h='1'/>`);
    expect((await second.c.until((el) => el.name === 'resumed' || el.name === 'failed')).name).toBe('resumed');
    const next = await second.c.until((el) => el.name === 'message');
    expect(next.getChildText('body')).toBe('two');
    expect(next.attrs.xmlns).toBe('jabber:client');
  });
});
