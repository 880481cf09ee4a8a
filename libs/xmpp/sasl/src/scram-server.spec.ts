// SCRAM server behaviour beyond the published vectors (RFC 5802 §5, §7): negative cases,
// unknown users, gs2 headers, authzid, malformed input and backend failures.
import { describe, it, expect } from 'vitest';
import { ScramClient } from './scram-client';
import { clientProof, keysFromSaltedPassword, saltedPassword } from './scram-crypto';
import { parseServerFirst } from './scram-messages';
import { scramSha1, scramSha256 } from './scram-server';
import { failingSource, memorySource } from './testing';
import type { SaslStep, ScramHash, ServerExchange } from './types';

const ctx = { domain: 'example.com' };
const source = () => memorySource({ juliet: { password: 'r0m30' }, 'a,b=c': { password: 'x' } }, ctx.domain);
const b = (s: string) => Buffer.from(s, 'utf8');

function challengeText(step: SaslStep): string {
  if (step.kind !== 'challenge') throw new Error(`expected challenge, got ${JSON.stringify(step)}`);
  return step.data.toString('utf8');
}

async function firstTwo(ex: ServerExchange, client: ScramClient): Promise<{ serverFirst: string; clientFinal: string }> {
  const serverFirst = challengeText(await ex.step(client.clientFirst()));
  return { serverFirst, clientFinal: client.clientFinal(b(serverFirst)).toString() };
}

describe.each([scramSha1, scramSha256])('$name server', (mech) => {
  const hash: ScramHash = mech.name === 'SCRAM-SHA-1' ? 'SHA-1' : 'SHA-256';

  it('authenticates with random nonces and returns v=', async () => {
    const ex = mech.start(ctx, source());
    const client = new ScramClient(hash, 'juliet', 'r0m30');
    const { serverFirst, clientFinal } = await firstTwo(ex, client);
    const nonce = /^r=([^,]+),/.exec(serverFirst)?.[1] ?? '';
    expect(nonce.length).toBeGreaterThanOrEqual(24 + 24); // client 18 bytes + server >= 18 bytes, base64
    const result = await ex.step(b(clientFinal));
    expect(result.kind).toBe('success');
    if (result.kind === 'success') expect(client.verifyServerFinal(result.data ?? b(''))).toBe(true);
  });

  it('wrong password -> not-authorized', async () => {
    const ex = mech.start(ctx, source());
    const { clientFinal } = await firstTwo(ex, new ScramClient(hash, 'juliet', 'wrong'));
    expect(await ex.step(b(clientFinal))).toMatchObject({ kind: 'failure', condition: 'not-authorized', reason: 'credentials' });
  });

  it('unknown user still gets a server-first with a deterministic salt, then not-authorized', async () => {
    const salts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ex = mech.start(ctx, source());
      const { serverFirst, clientFinal } = await firstTwo(ex, new ScramClient(hash, 'romeo', 'r0m30'));
      expect(serverFirst).toMatch(/^r=[^,]+,s=[A-Za-z0-9+/]{22}==,i=4096$/);
      salts.push(serverFirst.split(',')[1] ?? '');
      expect(await ex.step(b(clientFinal))).toMatchObject({ kind: 'failure', condition: 'not-authorized', reason: 'credentials' });
    }
    expect(salts[0]).toBe(salts[1]);
    const other = challengeText(await mech.start(ctx, source()).step(new ScramClient(hash, 'tybalt', 'x').clientFirst()));
    expect(other.split(',')[1]).not.toBe(salts[0]);
  });

  it('tampered nonce in client-final -> not-authorized', async () => {
    const ex = mech.start(ctx, source());
    const { clientFinal } = await firstTwo(ex, new ScramClient(hash, 'juliet', 'r0m30'));
    const tampered = clientFinal.replace(/,r=([^,]+)/, (_m, n: string) => `,r=${n}X`);
    expect(await ex.step(b(tampered))).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
  });

  it('a different nonce in client-final is refused even with a proof computed over it', async () => {
    const ex = mech.start(ctx, source());
    const bare = 'n=juliet,r=abcdef';
    const serverFirst = challengeText(await ex.step(b(`n,,${bare}`)));
    const { salt, iterations } = parseServerFirst(serverFirst);
    const withoutProof = 'c=biws,r=abcdefOTHERSERVERNONCE';
    const { clientKey } = keysFromSaltedPassword(hash, saltedPassword(hash, 'r0m30', salt, iterations));
    const proof = clientProof(hash, clientKey, `${bare},${serverFirst},${withoutProof}`).toString('base64');
    expect(await ex.step(b(`${withoutProof},p=${proof}`))).toEqual({ kind: 'failure', condition: 'not-authorized', text: 'nonce mismatch' });
  });

  it('channel binding requested (p=) on a mechanism without -PLUS -> malformed-request', async () => {
    const step = await mech.start(ctx, source()).step(b('p=tls-unique,,n=juliet,r=abcdef'));
    expect(step).toEqual({ kind: 'failure', condition: 'malformed-request', text: 'channel binding needs a -PLUS mechanism' });
  });

  it('c= not matching the gs2 header -> not-authorized', async () => {
    const ex = mech.start(ctx, source());
    const client = new ScramClient(hash, 'juliet', 'r0m30', { nonce: 'abcdef' });
    const serverFirst = challengeText(await ex.step(b(`y,,${client.clientFirst().toString().slice(3)}`)));
    const clientFinal = client.clientFinal(b(serverFirst)).toString(); // c=biws ("n,,")
    expect(await ex.step(b(clientFinal))).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
  });

  it('accepts the y,, gs2 header when c= matches (proof computed by hand)', async () => {
    const ex = mech.start(ctx, source());
    const bare = 'n=juliet,r=abcdef';
    const serverFirst = challengeText(await ex.step(b(`y,,${bare}`)));
    const { nonce, salt, iterations } = parseServerFirst(serverFirst);
    const withoutProof = `c=${b('y,,').toString('base64')},r=${nonce}`;
    const { clientKey } = keysFromSaltedPassword(hash, saltedPassword(hash, 'r0m30', salt, iterations));
    const proof = clientProof(hash, clientKey, `${bare},${serverFirst},${withoutProof}`).toString('base64');
    expect(withoutProof.startsWith('c=eSws,')).toBe(true);
    expect(await ex.step(b(`${withoutProof},p=${proof}`))).toMatchObject({ kind: 'success', username: 'juliet' });
  });

  it('passes authzid through and unescapes =2C / =3D', async () => {
    const src = source();
    const ex = mech.start(ctx, src);
    const client = new ScramClient(hash, 'a,b=c', 'x', { authzid: 'admin,x=y' });
    expect(client.clientFirst().toString()).toMatch(/^n,a=admin=2Cx=3Dy,n=a=2Cb=3Dc,r=/);
    const { clientFinal } = await firstTwo(ex, client);
    expect(await ex.step(b(clientFinal))).toMatchObject({ kind: 'success', username: 'a,b=c', authzid: 'admin,x=y' });
    expect(src.calls).toEqual(['getScram:a,b=c']);
  });

  it('no initial response -> empty challenge, then the normal exchange', async () => {
    const ex = mech.start(ctx, source());
    expect(await ex.step(null)).toEqual({ kind: 'challenge', data: Buffer.alloc(0) });
    const client = new ScramClient(hash, 'juliet', 'r0m30');
    const { clientFinal } = await firstTwo(ex, client);
    expect((await ex.step(b(clientFinal))).kind).toBe('success');
  });

  it.each([
    ['missing username', 'n,,r=abcdef'],
    ['missing nonce', 'n,,n=juliet'],
    ['bad gs2 flag', 'x,,n=juliet,r=abcdef'],
    ['bad authzid field', 'n,z=foo,n=juliet,r=abcdef'],
    ['bad escape in username', 'n,,n=jul=41iet,r=abcdef'],
    ['empty username', 'n,,n=,r=abcdef'],
    ['mandatory extension', 'n,,m=ext,n=juliet,r=abcdef'],
    ['attribute syntax', 'n,,n=juliet,r=abcdef,garbage'],
    ['non-printable nonce', 'n,,n=juliet,r=ab\x01cd'],
  ])('client-first with %s -> malformed-request', async (_name, msg) => {
    expect(await mech.start(ctx, source()).step(b(msg))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('invalid UTF-8 -> malformed-request', async () => {
    const msg = Buffer.concat([b('n,,n=jul'), Buffer.from([0xc3, 0x28]), b(',r=abcdef')]);
    expect(await mech.start(ctx, source()).step(msg)).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it.each([
    ['missing proof', (f: string) => f.replace(/,p=.*$/, '')],
    ['bad proof base64', (f: string) => f.replace(/,p=.*$/, ',p=@@@@')],
    ['short proof', (f: string) => f.replace(/,p=.*$/, ',p=AAAA')],
    ['bad c= base64', (f: string) => f.replace('c=biws', 'c=b!ws')],
    ['missing c=', (f: string) => f.replace('c=biws,', '')],
    ['empty message', () => ''],
  ])('client-final with %s -> failure', async (name, mutate) => {
    const ex = mech.start(ctx, source());
    const { clientFinal } = await firstTwo(ex, new ScramClient(hash, 'juliet', 'r0m30'));
    const expected = name === 'short proof' ? 'not-authorized' : 'malformed-request';
    expect(await ex.step(b(mutate(clientFinal)))).toMatchObject({ kind: 'failure', condition: expected });
  });

  it('backend throwing -> temporary-auth-failure', async () => {
    const step = await mech.start(ctx, failingSource()).step(new ScramClient(hash, 'juliet', 'x').clientFirst());
    expect(step).toEqual({ kind: 'failure', condition: 'temporary-auth-failure' });
  });

  it('steps after the final result -> malformed-request', async () => {
    const ex = mech.start(ctx, source());
    const { clientFinal } = await firstTwo(ex, new ScramClient(hash, 'juliet', 'r0m30'));
    expect((await ex.step(b(clientFinal))).kind).toBe('success');
    expect(await ex.step(b(''))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });
});
