// XEP-0363 HTTP File Upload: a slot from one router replica (each edge talks
// to its own router), the PUT and GET through the upload service, which keeps
// nothing about slots: the signature says what the PUT may be.
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Element } from '@cx/xmpp-core';
import { login, RawClient, register, uniqueName } from '@cx/testing';
import { freePort, startApp, waitForPort } from '@cx/stack';

const NS = 'urn:xmpp:http:upload:0';
const [edgeA, edgeB] = inject('edgePorts');
const uploadUrl = inject('uploadUrl');
const adminEnv = inject('adminEnv');
const uploadSecret = inject('uploadSecret');
const MAX = 1024 * 1024;
type Who = { c: RawClient; jid: string; name: string };
const open: Who[] = [];
let n = 0;

async function user(port = edgeA): Promise<Who> {
  const name = uniqueName('up');
  await register(port, name, 'pw');
  const who = { ...(await login(port, name, 'pw')), name };
  open.push(who);
  return who;
}

afterAll(() => open.forEach((w) => w.c.close()));

async function iq(who: Who, type: 'get' | 'set', to: string, payload: string): Promise<Element> {
  const id = `u${++n}`;
  who.c.send(`<iq type='${type}' id='${id}' to='${to}'>${payload}</iq>`);
  return who.c.until((el) => el.name === 'iq' && el.attrs.id === id);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');

async function slot(who: Who, filename: string, size: number, type = 'application/octet-stream'): Promise<{ put: string; get: string; iq: Element }> {
  const r = await iq(who, 'get', 'upload.localhost', `<request xmlns='${NS}' filename='${esc(filename)}' size='${size}' content-type='${esc(type)}'/>`);
  const s = r.getChild('slot', NS);
  return { put: s?.getChild('put')?.attrs.url ?? '', get: s?.getChild('get')?.attrs.url ?? '', iq: r };
}

const put = (url: string, body: Buffer, type: string, extra: Record<string, string> = {}) =>
  fetch(url, { method: 'PUT', body, headers: { 'content-type': type, ...extra } });

const condition = (r: Element) => r.getChild('error')?.children.find((c) => typeof c !== 'string' && c.name !== 'text') as Element | undefined;

describe('XEP-0363 discovery', () => {
  let alice: Who;
  beforeAll(async () => {
    alice = await user();
  });

  it('lists upload.localhost in the domain’s disco#items', async () => {
    const r = await iq(alice, 'get', 'localhost', `<query xmlns='http://jabber.org/protocol/disco#items'/>`);
    const items = r
      .getChild('query')
      ?.getChildren('item')
      .map((i) => i.attrs.jid);
    expect(items).toContain('upload.localhost');
  });

  it('answers disco#info with store/file, the feature and max-file-size', async () => {
    const r = await iq(alice, 'get', 'upload.localhost', `<query xmlns='http://jabber.org/protocol/disco#info'/>`);
    const q = r.getChild('query');
    expect(q?.getChild('identity')?.attrs).toMatchObject({ category: 'store', type: 'file' });
    expect(q?.getChildren('feature').map((f) => f.attrs.var)).toContain(NS);
    const form = q?.getChild('x', 'jabber:x:data');
    const field = (v: string) =>
      form
        ?.getChildren('field')
        .find((f) => f.attrs.var === v)
        ?.getChildText('value');
    expect(field('FORM_TYPE')).toBe(NS);
    expect(field('max-file-size')).toBe(String(MAX));
  });
});

describe('XEP-0363 upload and download', () => {
  let alice: Who;
  let bob: Who;
  beforeAll(async () => {
    alice = await user(edgeA);
    bob = await user(edgeB);
  });

  it('a slot from one router, the PUT through the upload service, the GET gives back the same bytes', async () => {
    const bytes = randomBytes(300 * 1024 + 7);
    // Bob is on the other edge, so on the other router replica.
    const s = await slot(bob, 'photo of us.jpg', bytes.length, 'image/jpeg');
    expect(s.put.startsWith(`${uploadUrl}/upload/`)).toBe(true);
    expect(s.get).toBe(s.put.slice(0, s.put.indexOf('?')));
    expect(s.iq.getChild('slot', NS)?.getChild('put')?.getChildren('header')).toEqual([]);
    const res = await put(s.put, bytes, 'image/jpeg');
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // Anyone with the URL may fetch it, without authentication (§6).
    const got = await fetch(s.get);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    expect(got.headers.get('content-disposition')).toMatch(/^inline; filename\*=UTF-8''photo%20of%20us\.jpg$/);
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('access-control-allow-origin')).toBe('*');
    const head = await fetch(s.get, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    // A player seeking: one range (206), and one past the end (416).
    const part = await fetch(s.get, { headers: { range: 'bytes=200000-' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 200000-${bytes.length - 1}/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(200000))).toBe(true);
    expect((await fetch(s.get, { headers: { range: `bytes=${bytes.length}-` } })).status).toBe(416);
    // A second PUT to the same slot does not replace the file.
    expect((await put(s.put, randomBytes(bytes.length), 'image/jpeg')).status).toBe(409);
    expect(Buffer.from(await (await fetch(s.get)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('serves an HTML file as an attachment of a type no browser renders', async () => {
    const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
    const s = await slot(alice, 'evil.html', html.length, 'text/html');
    expect((await put(s.put, html, 'text/html')).status).toBe(201);
    const got = await fetch(s.get);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(got.headers.get('content-security-policy')).toContain('sandbox');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await got.arrayBuffer()).equals(html)).toBe(true);
  });

  it('answers a CORS preflight', async () => {
    const s = await slot(alice, 'cors.bin', 10);
    const r = await fetch(s.put, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(r.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });

  it('refuses a PUT of another size or type than the slot, or with an altered or expired signature (403)', async () => {
    const bytes = randomBytes(1000);
    const s = await slot(alice, 'a.bin', bytes.length, 'application/pdf');
    expect((await put(s.put, bytes.subarray(1), 'application/pdf')).status).toBe(403);
    expect((await put(s.put, bytes, 'text/html')).status).toBe(403);
    const u = new URL(s.put);
    const [expiry, mac] = (u.searchParams.get('v') ?? '').split('.');
    const later = new URL(u);
    later.searchParams.set('v', `${Number(expiry) + 3600}.${mac}`);
    expect((await put(later.toString(), bytes, 'application/pdf')).status).toBe(403);
    const other = new URL(u);
    other.pathname = other.pathname.replace(/\/a\.bin$/, '/b.bin');
    expect((await put(other.toString(), bytes, 'application/pdf')).status).toBe(403);
    const someoneElse = new URL(u);
    someoneElse.searchParams.set('u', `mallory@localhost`);
    expect((await put(someoneElse.toString(), bytes, 'application/pdf')).status).toBe(403);
    const expired = new URL(u);
    expired.searchParams.set('v', `${Math.floor(Date.now() / 1000) - 10}.${mac}`);
    expect((await put(expired.toString(), bytes, 'application/pdf')).status).toBe(403);
    // A slot signed right (with the secret) whose time is over: refused as expired.
    const past = Math.floor(Date.now() / 1000) - 1;
    const text = ['v1', u.pathname, String(bytes.length), 'application/pdf', u.searchParams.get('u'), String(past)].join('\n');
    const signed = new URL(u);
    signed.searchParams.set('v', `${past}.${createHmac('sha256', uploadSecret).update(text).digest('base64url')}`);
    const r = await put(signed.toString(), bytes, 'application/pdf');
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('expired');
    // Nothing was stored by the refused PUTs; the right one still works.
    expect((await fetch(s.get)).status).toBe(404);
    expect((await put(s.put, bytes, 'application/pdf')).status).toBe(201);
  });

  it('answers file-too-large with the maximum, and resource-constraint over the quota', async () => {
    const big = await slot(alice, 'big.bin', MAX + 1);
    expect(big.iq.attrs.type).toBe('error');
    expect(condition(big.iq)?.name).toBe('not-acceptable');
    const tooLarge = big.iq.getChild('error')?.getChild('file-too-large', NS);
    expect(tooLarge?.getChildText('max-file-size')).toBe(String(MAX));
    // The quota is 3 MiB: three files of 1 MiB fill it.
    const carol = await user(edgeB);
    for (let i = 0; i < 3; i++) {
      const s = await slot(carol, `f${i}.bin`, MAX);
      expect((await put(s.put, randomBytes(MAX), 'application/octet-stream')).status).toBe(201);
    }
    const over = await slot(carol, 'more.bin', 1);
    expect(over.iq.attrs.type).toBe('error');
    expect(condition(over.iq)?.name).toBe('resource-constraint');
    // Slots given at once may together pass the quota: the PUT past it is refused too.
    const grace = await user(edgeA);
    const slots = [];
    for (let i = 0; i < 4; i++) slots.push(await slot(grace, `g${i}.bin`, MAX));
    const statuses = [];
    for (const s of slots) statuses.push((await put(s.put, randomBytes(MAX), 'application/octet-stream')).status);
    expect(statuses).toEqual([201, 201, 201, 413]);
  });
});

describe('XEP-0363 with two upload replicas', () => {
  it('a PUT to one replica is served by the other: no slot lives in a process', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const other = startApp('upload', {
      NATS_URL: inject('natsUrl'),
      XMPP_DOMAIN: 'localhost',
      LOG_LEVEL: 'warn',
      UPLOAD_SECRET: uploadSecret,
      UPLOAD_PORT: String(port),
      UPLOAD_ADMIN_PORT: String(adminPort),
      UPLOAD_QUOTA_BYTES: String(3 * 1024 * 1024),
    });
    try {
      await waitForPort(port, 30000);
      const frank = await user(edgeB);
      const bytes = randomBytes(150 * 1024);
      const s = await slot(frank, 'both.bin', bytes.length);
      const elsewhere = (url: string) => url.replace(uploadUrl, `http://127.0.0.1:${port}`);
      expect((await put(elsewhere(s.put), bytes, 'application/octet-stream')).status).toBe(201);
      expect(Buffer.from(await (await fetch(s.get)).arrayBuffer()).equals(bytes)).toBe(true);
      // And the first replica knows the slot is used.
      expect((await put(s.put, bytes, 'application/octet-stream')).status).toBe(409);
    } finally {
      await other.stop();
    }
  }, 40_000);
});

describe('XEP-0363 files of an account', () => {
  const ctl = promisify(execFile);
  const xmppctl = (...args: string[]) =>
    ctl(process.execPath, [join(__dirname, '../../../dist/apps/xmppctl/main.cjs'), ...args], { env: { ...process.env, ...adminEnv } }).then((r) => r.stdout);

  it('xmppctl lists and deletes a user’s files', async () => {
    const dave = await user();
    const s = await slot(dave, 'notes.txt', 5, 'text/plain');
    expect((await put(s.put, Buffer.from('hello'), 'text/plain')).status).toBe(201);
    const listed = await xmppctl('upload-files', dave.name);
    expect(listed).toContain(new URL(s.get).pathname);
    expect(listed).toContain('\t5\ttext/plain\t');
    expect(await xmppctl('delete-upload-files', dave.name)).toContain('deleted 1 files');
    expect((await fetch(s.get)).status).toBe(404);
    expect((await xmppctl('upload-files', dave.name)).trim()).toBe('');
  });

  it('an account’s removal takes its files offline', async () => {
    const erin = await user();
    const s = await slot(erin, 'gone.bin', 3);
    expect((await put(s.put, Buffer.from('abc'), 'application/octet-stream')).status).toBe(201);
    expect((await fetch(s.get)).status).toBe(200);
    const r = await iq(erin, 'set', 'localhost', `<query xmlns='jabber:iq:register'><remove/></query>`);
    expect(r.attrs.type).toBe('result');
    const until = Date.now() + 15_000;
    let status = 200;
    while (status !== 404 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 200));
      status = (await fetch(s.get)).status;
    }
    expect(status).toBe(404);
  });
});
