// RFC 6120 §5 STARTTLS and XEP-0368 direct TLS, with a certificate the test
// setup made; after encryption the login goes on as usual.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { authenticate, RawClient, register, uniqueName } from '@cx/testing';

const [port] = inject('edgePorts');
const [tlsPort] = inject('tlsPorts');
const ca = readFileSync(inject('certFile'));
const user = uniqueName('secure');

beforeAll(() => register(port, user, 'pw'));

async function finishLogin(c: RawClient): Promise<string> {
  expect((await authenticate(c, user, 'pw', 'SCRAM-SHA-256')).name).toBe('success');
  await c.open();
  c.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
  return (await c.element()).getChild('bind')?.getChildText('jid') ?? '';
}

describe('encryption', () => {
  it('STARTTLS: offered, proceeds, a new stream over TLS without starttls, then SASL and bind', async () => {
    const c = await RawClient.connect(port);
    const before = await c.open();
    expect(before.features.getChild('starttls', 'urn:ietf:params:xml:ns:xmpp-tls')).toBeDefined();
    await c.starttls(ca);
    expect(c.encrypted).toBe(true);
    const after = await c.open();
    expect(after.features.getChild('starttls')).toBeUndefined();
    expect(after.features.getChild('mechanisms')).toBeDefined();
    expect(after.header.id).not.toBe(before.header.id);
    expect(await finishLogin(c)).toMatch(new RegExp(`^${user}@localhost/`));
    c.close();
  });

  it('direct TLS (XEP-0368): no starttls offered, the login works', async () => {
    const c = await RawClient.connectTls(tlsPort, ca);
    const { features } = await c.open();
    expect(features.getChild('starttls')).toBeUndefined();
    expect(await finishLogin(c)).toMatch(new RegExp(`^${user}@localhost/`));
    c.close();
  });

  it('a second <starttls/> on an encrypted stream gets <failure/> and the stream ends', async () => {
    const c = await RawClient.connectTls(tlsPort, ca);
    await c.open();
    c.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    expect((await c.element()).toString()).toBe(`<failure xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`);
    expect(['end', 'closed']).toContain((await c.next()).kind);
  });
});
