// Issue 9 #8: what a stream may make the edge buffer. Before authentication a stanza
// may be at most PREAUTH_MAX_STANZA_BYTES (16 KiB), counted also as the memory of the
// element being built; a WebSocket message may be at most MAX_STANZA_BYTES plus a
// little (the ws default was 100 MiB). Other sessions are unaffected.
import { afterEach, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { RawClient, TestSessions } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const [wsA] = inject('wsPorts');
const t = new TestSessions(edgeA);
const sockets: WebSocket[] = [];
afterEach(() => {
  t.closeAll();
  for (const s of sockets.splice(0)) s.terminate();
});

const OPEN = `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`;
const MAX_STANZA_BYTES = 65536; // global-setup.ts

/** A WebSocket with its frames and close code. */
function wsOpen(port: number): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/xmpp-websocket`, 'xmpp');
    sockets.push(ws);
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(d.toString()));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('open', () => resolve({ ws, frames, closed }));
    ws.on('error', reject);
  });
}

/** A message a session sends itself comes back: the stream still works. */
async function stillChats(s: { c: RawClient; jid: string }, id: string): Promise<void> {
  s.c.send(`<message to='${s.jid}' type='chat' id='${id}'><body>still here</body></message>`);
  expect((await s.c.until((el) => el.name === 'message' && el.attrs.id === id)).getChildText('body')).toBe('still here');
}

describe('before authentication', () => {
  it('an unfinished element of small children is ended by its built size (policy-violation), long before its bytes', async () => {
    const other = await t.login(edgeA, (await t.account('bystander')).name);
    const c = await RawClient.connect(edgeA);
    await c.open();
    c.send(`<iq type='set' id='r1'><query xmlns='jabber:iq:register'>${'<a/>'.repeat(1000)}`); // 4 KB sent, never finished
    await c.expectStreamError('policy-violation');
    await stillChats(other, 'by1');
  });

  it('a stanza over PREAUTH_MAX_STANZA_BYTES gets policy-violation; the same size is fine once authenticated', async () => {
    const body = 'x'.repeat(20_000);
    const c = await RawClient.connect(edgeA);
    await c.open();
    c.send(`<iq type='set' id='r2'><query xmlns='jabber:iq:register'><username>${body}</username><password>pw</password></query></iq>`);
    await c.expectStreamError('policy-violation');
    const s = await t.login(edgeB, (await t.account('big')).name);
    s.c.send(`<message to='${s.jid}' type='chat' id='big1'><body>${body}</body></message>`);
    expect((await s.c.until((el) => el.name === 'message' && el.attrs.id === 'big1')).getChildText('body')).toHaveLength(20_000);
  });

  it('over WebSocket too: a large first stanza gets a stream error', async () => {
    const w = await wsOpen(wsA);
    w.ws.send(OPEN);
    w.ws.send(`<iq xmlns='jabber:client' type='set' id='r3'><query xmlns='jabber:iq:register'>${'<a/>'.repeat(1000)}</query></iq>`);
    await w.closed;
    expect(w.frames.some((f) => f.includes('<policy-violation'))).toBe(true);
  });
});

describe('WebSocket message size', () => {
  it('a message larger than MAX_STANZA_BYTES closes that WebSocket with 1009; other sessions go on', async () => {
    const other = await t.login(edgeA, (await t.account('wsby')).name);
    const u = await t.account('wsbig');
    const w = await wsOpen(wsA);
    w.ws.send(OPEN);
    w.ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${u.name}\0pw`).toString('base64')}</auth>`);
    await expect.poll(() => w.frames.some((f) => f.startsWith('<success')), { timeout: 5000 }).toBe(true);
    w.ws.send(OPEN);
    w.ws.send(`<message xmlns='jabber:client' to='${other.jid}'><body>${'x'.repeat(MAX_STANZA_BYTES + 8192)}</body></message>`);
    expect(await w.closed).toBe(1009);
    await stillChats(other, 'wsby1');
  });
});
