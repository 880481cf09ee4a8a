// Bad input gets its RFC 6120 §4.9.3 stream error and a closed socket, while
// another established session keeps working.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { login, RawClient, register, STREAM_HEADER, uniqueName, type Received } from '@cx/testing';

const [port] = inject('edgePorts');
const user = uniqueName('bystander');
let bystander: { c: RawClient; jid: string };

beforeAll(async () => {
  await register(port, user, 'pw');
  bystander = await login(port, user, 'pw', { presence: true });
});
afterAll(() => bystander.c.close());

async function bystanderStillWorks(): Promise<void> {
  const id = uniqueName('ping');
  bystander.c.send(`<iq type='get' id='${id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  const r = await bystander.c.element();
  expect(r.attrs).toMatchObject({ type: 'result', id });
}

async function established(): Promise<RawClient> {
  const name = uniqueName('bad');
  await register(port, name, 'pw');
  return (await login(port, name, 'pw')).c;
}

const cases: Array<[string, string, () => Promise<RawClient>, string | Buffer]> = [
  ['not-well-formed XML', 'not-well-formed', established, `<message><body>hi</message>`],
  ['garbage', 'not-well-formed', established, `<<<<>>>>`],
  [
    'a wrong stream namespace',
    'invalid-namespace',
    () => RawClient.connect(port),
    `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`,
  ],
  [
    'a wrong streams prefix namespace',
    'invalid-namespace',
    () => RawClient.connect(port),
    `<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='localhost' version='1.0'>`,
  ],
  ['an unknown to host', 'host-unknown', () => RawClient.connect(port), STREAM_HEADER('example.net')],
  ['a stanza larger than the configured limit', 'policy-violation', established, `<message to='a@localhost'><body>${'x'.repeat(70_000)}</body></message>`],
  ['a comment (restricted XML)', 'restricted-xml', established, `<!-- hi -->`],
  ['a spoofed from', 'invalid-from', established, `<message from='someone@localhost/x' to='${'a'}@localhost'><body>x</body></message>`],
  ['an unknown top-level element', 'unsupported-stanza-type', established, `<foo xmlns='jabber:client'/>`],
];

describe('stream errors', () => {
  it.each(cases)('%s → %s', async (_what, condition, connect, input) => {
    const c = await connect();
    c.send(input);
    await c.expectStreamError(condition);
    await bystanderStillWorks();
  });

  it('a stanza before authentication → not-authorized', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    c.send(`<message to='${user}@localhost'><body>sneaky</body></message>`);
    await c.expectStreamError('not-authorized');
    await bystander.c.quiet(200);
    await bystanderStillWorks();
  });

  it('a connection that does not authenticate in time gets connection-timeout (AUTH_TIMEOUT_MS, 4 s here)', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    const t0 = Date.now();
    await c.expectStreamError('connection-timeout', 8000);
    expect(Date.now() - t0).toBeGreaterThan(2500);
    await bystanderStillWorks();
  }, 15_000);

  it('an idle client is pinged (XEP-0199); one that answers stays, one that does not is closed with connection-timeout', async () => {
    const quietName = uniqueName('silent');
    await register(port, quietName, 'pw');
    const silent = await login(port, quietName, 'pw');
    silent.c.answerPings = false;
    const alive = await established();
    const ping = await silent.c.element(6000);
    expect(ping.attrs).toMatchObject({ type: 'get', from: 'localhost', to: silent.jid });
    expect(ping.getChild('ping', 'urn:xmpp:ping')).toBeDefined();
    await silent.c.expectStreamError('connection-timeout', 6000);
    await new Promise((r) => setTimeout(r, 1500));
    alive.send(`<iq type='get' id='still' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await alive.element()).attrs).toMatchObject({ id: 'still', type: 'result' });
    expect(alive.pingsAnswered).toBeGreaterThan(0);
    await bystanderStillWorks();
  }, 20_000);

  it('the header comes first when the error is in the client header itself', async () => {
    const c = await RawClient.connect(port);
    c.send(STREAM_HEADER('example.net'));
    const first: Received = await c.next();
    expect(first.kind).toBe('header');
    await c.expectStreamError('host-unknown');
  });

  it('a stanza split over many TCP chunks, and several in one chunk, are understood', async () => {
    const name = uniqueName('chunky');
    await register(port, name, 'pw');
    const { c } = await login(port, name, 'pw');
    const ping = `<iq type='get' id='split' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`;
    for (const ch of ping) {
      c.send(ch);
      await new Promise((r) => setImmediate(r));
    }
    expect((await c.element()).attrs.id).toBe('split');
    c.send(`<iq type='get' id='a' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><iq type='get' id='b' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await c.element()).attrs.id).toBe('a');
    expect((await c.element()).attrs.id).toBe('b');
    c.close();
  });
});
