// slixmpp (Debian python3-slixmpp), a client nobody here wrote, with its default settings (only
// the test CA added): it logs in over STARTTLS, fetches its roster and chats both ways with
// @xmpp/client. On TLS 1.3 its -PLUS attempts name tls-unique, which is undefined there
// (RFC 9266): they are refused, and it goes on to a non-PLUS mechanism on the same stream.
// On TLS 1.2 it binds with tls-unique. Its refused attempts are no failed passwords: on an
// edge with a per-address limit, repeated slixmpp logins never lock the address out. With
// DIGEST_MD5_ENABLED=false (the production overlay) DIGEST-MD5 is not offered and the
// account's stored HA1 goes at its first login.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { client, xml, type Client } from '@xmpp/client';
import { pino } from 'pino';
import { buckets, connectBus, encodeKey } from '@cx/bus';
import { accountv1 } from '@cx/proto';
import { freePort, makeCertificate, startApp, waitForPort, type Proc } from '@cx/stack';
import { authenticateScram, RawClient, register, uniqueName } from '@cx/testing';

const [edgeA, edgeB] = inject('edgePorts');
const certFile = inject('certFile');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = join(__dirname, 'slixmpp', 'client.py');

interface Event {
  event: string;
  [k: string]: unknown;
}

/** Runs client.py; resolves with every event it printed once it exits. */
function slixmpp(
  args: { jid: string; password: string; port: number; ca: string; peer: string; flags?: string[] },
  onEvent?: (e: Event) => void,
): Promise<{ code: number | null; events: Event[] }> {
  const child = spawn(PYTHON, [SCRIPT, args.jid, args.password, '127.0.0.1', String(args.port), args.ca, args.peer, ...(args.flags ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Event[] = [];
  let buf = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const e = JSON.parse(line) as Event;
      events.push(e);
      onEvent?.(e);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && process.env.E2E_VERBOSE) console.log(err);
      resolve({ code, events });
    }),
  );
}

const started: Client[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop().catch(() => undefined)));
});

function xmppjs(port: number, username: string, password: string): Client {
  const c = client({ service: `xmpp://127.0.0.1:${port}`, domain: 'localhost', username, password });
  c.on('error', () => undefined);
  started.push(c);
  return c;
}

describe('slixmpp with its default settings', () => {
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    [alice, bob] = [uniqueName('slix'), uniqueName('bob')];
    await register(edgeA, alice, 'alice-pw');
    await register(edgeA, bob, 'bob-pw');
    // Something in alice's roster for slixmpp to fetch.
    const a = xmppjs(edgeA, alice, 'alice-pw');
    await a.start();
    await a.iqCaller.set(xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: `${bob}@localhost`, name: 'Bob' })));
    await a.stop();
  });

  it('logs in over STARTTLS (TLS 1.3: -PLUS refused, then DIGEST-MD5 on the same stream), fetches its roster, and chats both ways with @xmpp/client', async () => {
    const b = xmppjs(edgeB, bob, 'bob-pw');
    await b.start();
    await b.send(xml('presence'));
    const fromSlixmpp = new Promise<string>((resolve) =>
      b.on('stanza', (s) => s.is('message') && s.getChildText('body') && resolve(`${s.attrs.from} ${s.getChildText('body')}`)),
    );
    const run = slixmpp({ jid: `${alice}@localhost`, password: 'alice-pw', port: edgeA, ca: certFile, peer: `${bob}@localhost` });
    const got = await fromSlixmpp;
    expect(got).toMatch(new RegExp(`^${alice}@localhost/\\S+ hello from slixmpp$`));
    await b.send(xml('message', { to: got.split(' ')[0], type: 'chat' }, xml('body', {}, 'hello from xmpp.js')));
    const { code, events } = await run;
    expect(code).toBe(0);
    const auth = events.find((e) => e.event === 'authenticated');
    expect(auth).toMatchObject({ mechanism: 'DIGEST-MD5', tls: 'TLSv1.3' });
    // Two -PLUS attempts (tls-unique) and two "y" attempts were refused, on one stream: no reconnect.
    expect(events.filter((e) => e.event === 'failed').map((e) => e.condition)).toEqual([
      'not-authorized',
      'not-authorized',
      'not-authorized',
      'not-authorized',
    ]);
    expect(events.find((e) => e.event === 'ready')).toMatchObject({ roster: [`${bob}@localhost`] });
    const reply = events.find((e) => e.event === 'message');
    expect(reply?.body).toBe('hello from xmpp.js');
    expect(String(reply?.from)).toMatch(new RegExp(`^${bob}@localhost/`));
  });

  it('over TLS 1.2 binds with tls-unique (SCRAM-SHA-256-PLUS) at the first attempt', async () => {
    const { code, events } = await slixmpp({
      jid: `${alice}@localhost`,
      password: 'alice-pw',
      port: edgeA,
      ca: certFile,
      peer: `${bob}@localhost`,
      flags: ['--tls12', '--login-only'],
    });
    expect(code).toBe(0);
    expect(events.find((e) => e.event === 'authenticated')).toMatchObject({ mechanism: 'SCRAM-SHA-256-PLUS', tls: 'TLSv1.2' });
    expect(events.filter((e) => e.event === 'failed')).toEqual([]);
  });
});

describe('slixmpp service discovery (xep_0030, xep_0128, xep_0115)', () => {
  it("reads the server's disco#info with the XEP-0157 contact addresses, and computes the ver the edge advertises", async () => {
    const name = uniqueName('slixdisco');
    await register(edgeA, name, 'pw');
    const { code, events } = await slixmpp({
      jid: `${name}@localhost`,
      password: 'pw',
      port: edgeB,
      ca: certFile,
      peer: `${name}@localhost`,
      flags: ['--disco'],
    });
    expect(code).toBe(0);
    const disco = events.find((e) => e.event === 'disco');
    expect(disco?.identities).toEqual([['server', 'im', null, 'cloud-xmpp']]);
    expect(disco?.features).toEqual(expect.arrayContaining(['http://jabber.org/protocol/disco#info', 'urn:xmpp:ping', 'urn:xmpp:carbons:2']));
    expect(disco?.forms).toEqual([
      {
        FORM_TYPE: ['http://jabber.org/network/serverinfo'],
        'abuse-addresses': ['mailto:abuse@example.org'],
        'admin-addresses': ['xmpp:admin@localhost', 'mailto:admin@example.org'],
      },
    ]);
    const fresh = await RawClient.connect(edgeB);
    const c = (await fresh.open()).features.getChild('c', 'http://jabber.org/protocol/caps');
    fresh.close();
    expect(disco?.ver).toBe(c?.attrs.ver);
  });
});

describe('an edge with a per-address limit, and DIGEST-MD5 off (the production settings)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cx-slixmpp-'));
  const procs: Proc[] = [];
  let port = 0;
  let ca = '';
  beforeAll(async () => {
    const cert = makeCertificate(join(dir, 'tls'));
    if (!cert) throw new Error('openssl is needed');
    ca = cert.certFile;
    const [authPort, tlsPort, wsPort] = [await freePort(), await freePort(), await freePort()];
    port = await freePort();
    const common = { NATS_URL: inject('natsUrl'), XMPP_DOMAIN: 'localhost', LOG_LEVEL: 'warn' };
    const onLine = (l: string) => process.env.E2E_VERBOSE && console.log(l);
    procs.push(
      startApp('auth', { ...common, AUTH_GRPC_PORT: String(authPort), AUTH_ADMIN_PORT: String(await freePort()), DIGEST_MD5_ENABLED: 'false' }, { onLine }),
    );
    procs.push(
      startApp(
        'edge',
        {
          ...common,
          ...inject('addrs'),
          AUTH_ADDR: `127.0.0.1:${authPort}`,
          C2S_PORT: String(port),
          C2S_TLS_PORT: String(tlsPort),
          WS_PORT: String(wsPort),
          TLS_CERT_FILE: cert.certFile,
          TLS_KEY_FILE: cert.keyFile,
          MAX_AUTH_FAILURES_PER_IP: '2',
          EDGE_ID: `edge-slixmpp-${port}`,
        },
        { onLine },
      ),
    );
    await waitForPort(port, 30000);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('DIGEST_MD5_ENABLED=false: DIGEST-MD5 is not offered, even over TLS', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    await c.starttls(readFileSync(ca));
    const { features } = await c.open();
    const offered = features
      .getChild('mechanisms')
      ?.getChildren('mechanism')
      .map((m) => m.getText());
    expect(offered).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    c.close();
  });

  async function storedHa1Bytes(username: string): Promise<number> {
    const bus = await connectBus({ servers: inject('natsUrl'), name: 'e2e-ha1', log: pino({ level: 'silent' }) });
    try {
      const e = await (await bus.bucket(buckets.accounts)).get(encodeKey(username));
      return accountv1.Account.decode(e!.value).digestMd5Ha1.length;
    } finally {
      await bus.close();
    }
  }

  it('three slixmpp logins in a row (each with four refused attempts) leave the address free: PLAIN is used, and others still log in', async () => {
    const name = uniqueName('nat');
    // Registered where DIGEST-MD5 is on: its HA1 is stored, and goes at the first login here.
    await register(edgeA, name, 'pw');
    expect(await storedHa1Bytes(name)).toBe(16);
    for (let i = 0; i < 3; i++) {
      const { code, events } = await slixmpp({ jid: `${name}@localhost`, password: 'pw', port, ca, peer: `${name}@localhost`, flags: ['--login-only'] });
      expect(code).toBe(0);
      expect(events.find((e) => e.event === 'authenticated')).toMatchObject({ mechanism: 'PLAIN', tls: 'TLSv1.3' });
    }
    expect(await storedHa1Bytes(name)).toBe(0);
    const other = uniqueName('neighbour');
    await register(edgeA, other, 'pw');
    const c = await RawClient.connect(port);
    await c.open();
    expect((await authenticateScram(c, 'SCRAM-SHA-256', other, 'pw')).name).toBe('success');
    c.close();
  });

  it('a user who mistypes and then logs in does not count against the address; guessing at others does', async () => {
    const [u1, u2, u3] = [uniqueName('typo'), uniqueName('typo'), uniqueName('typo')];
    for (const u of [u1, u2, u3]) await register(edgeA, u, 'pw');
    const attempt = async (u: string, pw: string) => {
      const c = await RawClient.connect(port);
      await c.open();
      const r = await authenticateScram(c, 'SCRAM-SHA-256', u, pw);
      c.close();
      return r.name === 'failure' ? (r.children[0] as { name: string }).name : r.name;
    };
    // Limit 2: without the take-back, the second typo would already block the address.
    for (const u of [u1, u2, u3]) {
      expect(await attempt(u, 'typo')).toBe('not-authorized');
      expect(await attempt(u, 'pw')).toBe('success');
    }
    expect(await attempt(u1, 'guess')).toBe('not-authorized');
    expect(await attempt(u2, 'guess')).toBe('not-authorized');
    expect(await attempt(u3, 'pw')).toBe('temporary-auth-failure');
  });
});
