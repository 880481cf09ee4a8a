// The seed's c2s exchange replayed with a raw socket, asserting every answer
// (RFC 6120 §4–§7), for each SASL mechanism.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ScramClient } from '@cx/sasl';
import { authenticate, login, RawClient, register, uniqueName, type Mechanism } from '@cx/testing';

const [port] = inject('edgePorts');
const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const user = uniqueName('juliet');
const password = 'r0meo-wherefore';

beforeAll(() => register(port, user, password));

describe('stream negotiation', () => {
  it('answers the header per RFC 6120 §4.7 and offers SASL, registration and caps', async () => {
    const c = await RawClient.connect(port);
    const { header, features } = await c.open();
    expect(header.from).toBe('localhost');
    expect(header.version).toBe('1.0');
    expect(header['xml:lang']).toBe('en');
    expect(header.xmlns).toBe('jabber:client');
    expect(header.id).toMatch(/^[\w-]{16,}$/);
    const again = await RawClient.connect(port);
    expect((await again.open()).header.id).not.toBe(header.id);
    const mechs = features
      .getChild('mechanisms', SASL)
      ?.getChildren('mechanism')
      .map((m) => m.getText());
    expect(mechs).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'DIGEST-MD5', 'PLAIN']);
    expect(features.getChild('register', 'http://jabber.org/features/iq-register')).toBeDefined();
    const caps = features.getChild('c', 'http://jabber.org/protocol/caps');
    expect(caps?.attrs).toMatchObject({ hash: 'sha-1', node: expect.any(String), ver: expect.stringMatching(/^[A-Za-z0-9+/]{27}=$/) });
    expect(features.getChild('bind')).toBeUndefined();
    c.close();
    again.close();
  });
});

describe('SCRAM-SHA-1, step by step', () => {
  it('challenge, response, success with the server signature, restart, bind, session', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    const scram = new ScramClient('SHA-1', user, password);
    c.send(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-1'>${scram.clientFirst().toString('base64')}</auth>`);
    const challenge = await c.element();
    expect(challenge.name).toBe('challenge');
    expect(challenge.attrs.xmlns).toBe(SASL);
    const serverFirst = Buffer.from(challenge.getText(), 'base64').toString();
    expect(serverFirst).toMatch(/^r=[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/);
    c.send(`<response xmlns='${SASL}'>${scram.clientFinal(Buffer.from(serverFirst)).toString('base64')}</response>`);
    const success = await c.element();
    expect(success.name).toBe('success');
    expect(Buffer.from(success.getText(), 'base64').toString()).toMatch(/^v=/);
    expect(scram.verifyServerFinal(Buffer.from(success.getText(), 'base64'))).toBe(true);

    const { header, features } = await c.open();
    expect(header.from).toBe('localhost');
    expect(features.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind')).toBeDefined();
    expect(features.getChild('session', 'urn:ietf:params:xml:ns:xmpp-session')?.getChild('optional')).toBeDefined();
    expect(features.getChild('mechanisms')).toBeUndefined();

    c.send(`<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    const bound = await c.element();
    expect(bound.attrs).toMatchObject({ type: 'result', id: 'bind_1' });
    const jid = bound.getChild('bind')?.getChildText('jid') ?? '';
    expect(jid).toMatch(new RegExp(`^${user}@localhost/[A-Za-z0-9_-]{20,}$`));

    c.send(`<iq type='set' id='sess_1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
    const sess = await c.element();
    expect(sess.attrs).toMatchObject({ type: 'result', id: 'sess_1' });
    c.send(`<iq type='get' id='ping_1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await c.element()).attrs).toMatchObject({ type: 'result', id: 'ping_1', from: 'localhost', to: jid });
    c.close();
    expect((await c.next()).kind).toBe('end');
  });
});

describe.each<Mechanism>(['SCRAM-SHA-256', 'DIGEST-MD5', 'PLAIN', 'SCRAM-SHA-1'])('%s', (mechanism) => {
  it('logs in and binds a server-generated resource', async () => {
    const { c, jid } = await login(port, user, password, { mechanism });
    expect(jid.startsWith(`${user}@localhost/`)).toBe(true);
    c.close();
  });
  it('logs in with a client-chosen resource', async () => {
    const { c, jid } = await login(port, user, password, { mechanism, resource: `Balcony ${mechanism}` });
    expect(jid).toBe(`${user}@localhost/Balcony ${mechanism}`);
    c.close();
  });
  it('refuses a wrong password with not-authorized and lets the client retry on the same stream', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    const bad = await authenticate(c, user, 'wrong', mechanism);
    expect(bad.toString()).toBe(`<failure xmlns="${SASL}"><not-authorized/></failure>`);
    const good = await authenticate(c, user, password, mechanism);
    expect(good.name).toBe('success');
    c.close();
  });
});

describe('SASL failures', () => {
  it('refuses an unknown user like a wrong password', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    expect((await authenticate(c, uniqueName('ghost'), 'x', 'SCRAM-SHA-1')).getChild('not-authorized')).toBeDefined();
    c.close();
  });
  it('answers an unknown mechanism, bad base64 and abort', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    c.send(`<auth xmlns='${SASL}' mechanism='X-UNKNOWN'/>`);
    expect((await c.element()).getChild('invalid-mechanism')).toBeDefined();
    c.send(`<auth xmlns='${SASL}' mechanism='PLAIN'>not base64!</auth>`);
    expect((await c.element()).getChild('incorrect-encoding')).toBeDefined();
    c.send(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-1'>${new ScramClient('SHA-1', user, password).clientFirst().toString('base64')}</auth>`);
    expect((await c.element()).name).toBe('challenge');
    c.send(`<abort xmlns='${SASL}'/>`);
    expect((await c.element()).getChild('aborted')).toBeDefined();
    expect((await authenticate(c, user, password, 'PLAIN')).name).toBe('success');
    c.close();
  });
  it('closes the stream after too many failures (RFC 6120 §6.4.5)', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    for (let i = 0; i < 2; i++) expect((await authenticate(c, user, 'nope', 'PLAIN')).name).toBe('failure');
    expect((await authenticate(c, user, 'nope', 'PLAIN')).name).toBe('failure');
    await c.expectStreamError('not-authorized');
  });
});
