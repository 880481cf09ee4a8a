// SCRAM-SHA-1-PLUS and SCRAM-SHA-256-PLUS (RFC 5802 §6) with tls-exporter (RFC 9266) and
// tls-server-end-point (RFC 5929), over STARTTLS and direct TLS; XEP-0440 lists the types the
// connection has; a client that binds wrongly, or claims the server offered no -PLUS, is refused.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { authenticateScram, clientChannelBinding, RawClient, register, uniqueName } from '@cx/testing';
import type { Element } from '@cx/xmpp-core';

const [port] = inject('edgePorts');
const [tlsPort] = inject('tlsPorts');
const ca = readFileSync(inject('certFile'));
const user = uniqueName('plus');
const CB = 'urn:xmpp:sasl-cb:0';

beforeAll(() => register(port, user, 'pw'));

type Transport = 'starttls' | 'direct TLS';

async function secureClient(transport: Transport, maxVersion?: 'TLSv1.2'): Promise<{ c: RawClient; features: Element }> {
  const options = maxVersion ? { maxVersion } : {};
  if (transport === 'direct TLS') {
    const c = await RawClient.connectTls(tlsPort, ca, 'localhost', options);
    return { c, features: (await c.open()).features };
  }
  const c = await RawClient.connect(port);
  await c.open();
  await c.starttls(ca, 'localhost', options);
  return { c, features: (await c.open()).features };
}

const mechanisms = (f: Element) =>
  f
    .getChild('mechanisms')
    ?.getChildren('mechanism')
    .map((m) => m.getText()) ?? [];
const bindingTypes = (f: Element) =>
  f
    .getChild('sasl-channel-binding', CB)
    ?.getChildren('channel-binding')
    .map((b) => b.attrs.type) ?? [];

describe('XEP-0440 and the -PLUS offer', () => {
  it('a plain stream offers no -PLUS and no channel-binding list', async () => {
    const c = await RawClient.connect(port);
    const { features } = await c.open();
    expect(mechanisms(features).filter((m) => m.endsWith('-PLUS'))).toEqual([]);
    expect(features.getChild('sasl-channel-binding', CB)).toBeUndefined();
    c.close();
  });

  it.each<Transport>(['starttls', 'direct TLS'])('TLS 1.3 over %s: both types listed, -PLUS offered first', async (transport) => {
    const { c, features } = await secureClient(transport);
    expect(bindingTypes(features)).toEqual(['tls-exporter', 'tls-server-end-point']);
    expect(mechanisms(features).slice(0, 2)).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS']);
    c.close();
  });

  it('TLS 1.2: tls-unique and tls-server-end-point (tls-exporter is defined for TLS 1.3 only)', async () => {
    const { c, features } = await secureClient('direct TLS', 'TLSv1.2');
    expect(bindingTypes(features)).toEqual(['tls-unique', 'tls-server-end-point']);
    expect(mechanisms(features)).toContain('SCRAM-SHA-256-PLUS');
    const r = await authenticateScram(c, 'SCRAM-SHA-256-PLUS', user, 'pw', { channelBinding: { type: 'tls-exporter', data: Buffer.alloc(32) } });
    expect(r.getChild('not-authorized')).toBeDefined();
    c.close();
  });
});

// RFC 5929 §3: what slixmpp and libstrophe 0.12 send on TLS 1.2 (RFC 9266 leaves it undefined for 1.3).
describe('tls-unique', () => {
  it.each<Transport>(['starttls', 'direct TLS'])('binds on TLS 1.2 over %s (the client Finished of a full handshake)', async (transport) => {
    const { c } = await secureClient(transport, 'TLSv1.2');
    const r = await authenticateScram(c, 'SCRAM-SHA-256-PLUS', user, 'pw', { channelBinding: clientChannelBinding(c, 'tls-unique') });
    expect(r.name).toBe('success');
    c.close();
  });

  it('binds on a resumed TLS 1.2 session (the server Finished comes first there)', async () => {
    const first = await RawClient.connectTls(tlsPort, ca, 'localhost', { maxVersion: 'TLSv1.2' });
    const session = await new Promise<Buffer>((resolve) => {
      const s = (first.socket as import('node:tls').TLSSocket).getSession();
      if (s) resolve(s);
      else first.socket.once('session', resolve);
    });
    first.close();
    const c = await RawClient.connectTls(tlsPort, ca, 'localhost', { maxVersion: 'TLSv1.2', session });
    expect((c.socket as import('node:tls').TLSSocket).isSessionReused()).toBe(true);
    await c.open();
    const r = await authenticateScram(c, 'SCRAM-SHA-1-PLUS', user, 'pw', { channelBinding: clientChannelBinding(c, 'tls-unique') });
    expect(r.name).toBe('success');
    c.close();
  });

  it("refuses another connection's Finished (a man in the middle)", async () => {
    const { c } = await secureClient('starttls', 'TLSv1.2');
    const { c: other } = await secureClient('direct TLS', 'TLSv1.2');
    const r = await authenticateScram(c, 'SCRAM-SHA-256-PLUS', user, 'pw', { channelBinding: clientChannelBinding(other, 'tls-unique') });
    expect(r.getChild('not-authorized')).toBeDefined();
    c.close();
    other.close();
  });

  it('is refused on TLS 1.3, and the client then completes a non-PLUS mechanism on the same stream', async () => {
    const { c, features } = await secureClient('starttls');
    expect(bindingTypes(features)).not.toContain('tls-unique');
    for (const m of ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS']) {
      const r = await authenticateScram(c, m, user, 'pw', { channelBinding: { type: 'tls-unique', data: Buffer.alloc(12) } });
      expect(r.getChildText('text')).toBe('channel binding type tls-unique is not available here');
    }
    // "y" stays a downgrade signal (RFC 5802 §6), refused without using up the stream's retries…
    expect((await authenticateScram(c, 'SCRAM-SHA-256', user, 'pw', { cbindFlag: 'y' })).getChild('not-authorized')).toBeDefined();
    // …which a mistyped password still has (MAX_AUTH_FAILURES=3), then "n" succeeds.
    expect((await authenticateScram(c, 'SCRAM-SHA-256', user, 'typo')).getChild('not-authorized')).toBeDefined();
    expect((await authenticateScram(c, 'SCRAM-SHA-256', user, 'typo')).getChild('not-authorized')).toBeDefined();
    expect((await authenticateScram(c, 'SCRAM-SHA-256', user, 'pw')).name).toBe('success');
    c.close();
  });
});

describe.each(['SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256-PLUS'])('%s', (mechanism) => {
  describe.each<Transport>(['starttls', 'direct TLS'])('over %s', (transport) => {
    it.each(['tls-exporter', 'tls-server-end-point'])('binds with %s, verifies the server, and binds a resource', async (type) => {
      const { c } = await secureClient(transport);
      const r = await authenticateScram(c, mechanism, user, 'pw', { channelBinding: clientChannelBinding(c, type) });
      expect(r.name).toBe('success');
      await c.open();
      c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
      expect((await c.element()).getChild('bind')?.getChildText('jid')).toMatch(new RegExp(`^${user}@localhost/`));
      c.close();
    });
  });

  it("refuses another connection's tls-exporter data (a man in the middle) with not-authorized", async () => {
    const { c } = await secureClient('starttls');
    const { c: other } = await secureClient('direct TLS');
    const r = await authenticateScram(c, mechanism, user, 'pw', { channelBinding: clientChannelBinding(other, 'tls-exporter') });
    expect(r.name).toBe('failure');
    expect(r.getChild('not-authorized')).toBeDefined();
    c.close();
    other.close();
  });

  it('refuses a wrong tls-server-end-point hash (another certificate) with not-authorized', async () => {
    const { c } = await secureClient('direct TLS');
    const r = await authenticateScram(c, mechanism, user, 'pw', { channelBinding: { type: 'tls-server-end-point', data: Buffer.alloc(32, 1) } });
    expect(r.getChild('not-authorized')).toBeDefined();
    c.close();
  });
});

describe('downgrade detection (RFC 5802 §6)', () => {
  it('refuses y (client thinks the server has no -PLUS) where -PLUS was offered; n is fine', async () => {
    const { c } = await secureClient('starttls');
    const r = await authenticateScram(c, 'SCRAM-SHA-256', user, 'pw', { cbindFlag: 'y' });
    expect(r.getChild('not-authorized')).toBeDefined();
    expect((await authenticateScram(c, 'SCRAM-SHA-256', user, 'pw')).name).toBe('success');
    c.close();
  });

  it('accepts y on a plain stream, where no -PLUS was offered', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    expect((await authenticateScram(c, 'SCRAM-SHA-1', user, 'pw', { cbindFlag: 'y' })).name).toBe('success');
    c.close();
  });

  it('a -PLUS mechanism on a plain stream is invalid-mechanism', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    const r = await authenticateScram(c, 'SCRAM-SHA-256-PLUS', user, 'pw', { channelBinding: { type: 'tls-exporter', data: Buffer.alloc(32) } });
    expect(r.getChild('invalid-mechanism')).toBeDefined();
    c.close();
  });
});
