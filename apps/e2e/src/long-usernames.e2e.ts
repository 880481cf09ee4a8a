// A username is prepared (RFC 7622 localpart, at most 1023 bytes) before it becomes a KV key
// and so a NATS subject: a 4000+ character one used to reach the store unprepared through
// DIGEST-MD5, and nats-server dropped auth's connection (protocol line over 4096 bytes), so the
// client got no answer and logins failed until auth reconnected. Now every mechanism answers
// with a clean failure and the next login works at once.
import { describe, expect, inject, it } from 'vitest';
import { authenticate, authenticateScram, RawClient, register, uniqueName } from '@cx/testing';

const [port] = inject('edgePorts');
const LONG = 'a'.repeat(4100);
const LONG_UNICODE = 'é'.repeat(2100); // 4200 bytes in UTF-8

async function attempt(username: string, mechanism: 'DIGEST-MD5' | 'PLAIN' | 'SCRAM-SHA-256'): Promise<string> {
  const c = await RawClient.connect(port);
  await c.open();
  const r = mechanism === 'SCRAM-SHA-256' ? await authenticateScram(c, mechanism, username, 'pw') : await authenticate(c, username, 'pw', mechanism);
  c.close();
  return r.name === 'failure' ? (r.children[0] as { name: string }).name : r.name;
}

describe('over-long usernames', () => {
  it.each(['DIGEST-MD5', 'PLAIN', 'SCRAM-SHA-256'] as const)('%s: a failure answer, and auth keeps serving logins', async (mechanism) => {
    const name = uniqueName('after');
    await register(port, name, 'pw');
    for (const u of [LONG, LONG_UNICODE]) expect(await attempt(u, mechanism)).toBe('not-authorized');
    const t0 = Date.now();
    const c = await RawClient.connect(port);
    await c.open();
    expect((await authenticate(c, name, 'pw', 'SCRAM-SHA-256')).name).toBe('success');
    expect(Date.now() - t0).toBeLessThan(2000);
    c.close();
  });

  it('registration refuses it with not-acceptable', async () => {
    const c = await RawClient.connect(port);
    await c.open();
    c.send(`<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>${LONG}</username><password>pw</password></query></iq>`);
    const r = await c.element();
    expect(r.attrs.type).toBe('error');
    expect(r.getChild('error')?.getChild('not-acceptable')).toBeDefined();
    c.close();
  });
});
