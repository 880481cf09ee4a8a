// SCRAM-SHA-1-PLUS and SCRAM-SHA-256-PLUS (RFC 5802 §6, §7): the client binds to the channel
// with p=<type> and c= = base64(gs2 header + binding data); wrong data, an unknown type and a
// downgrade (y when the server advertised -PLUS) are refused.
import { describe, expect, it } from 'vitest';
import { ScramClient, type ScramClientOptions } from './scram-client';
import { scramSha1, scramSha1Plus, scramSha256, scramSha256Plus } from './scram-server';
import { memorySource } from './testing';
import type { SaslContext, SaslStep, ScramHash, ServerMechanism } from './types';

const exporter = Buffer.alloc(32, 0xe1);
const endPoint = Buffer.alloc(32, 0x5e);
const tls: SaslContext = {
  domain: 'example.com',
  channelBindings: [
    { type: 'tls-exporter', data: exporter },
    { type: 'tls-server-end-point', data: endPoint },
  ],
  plusAdvertised: true,
};
const source = () => memorySource({ juliet: { password: 'r0m30' } }, 'example.com');

async function run(mech: ServerMechanism, ctx: SaslContext, hash: ScramHash, opts: ScramClientOptions): Promise<{ step: SaslStep; client: ScramClient }> {
  const ex = mech.start(ctx, source());
  const client = new ScramClient(hash, 'juliet', 'r0m30', opts);
  const first = await ex.step(client.clientFirst());
  if (first.kind !== 'challenge') return { step: first, client };
  return { step: await ex.step(client.clientFinal(first.data)), client };
}

describe.each([
  [scramSha1Plus, 'SHA-1'],
  [scramSha256Plus, 'SHA-256'],
] as const)('$name', (mech, hash) => {
  it.each([
    ['tls-exporter', exporter],
    ['tls-server-end-point', endPoint],
  ])('authenticates bound to %s, and the server signature covers the binding', async (type, data) => {
    const { step, client } = await run(mech, tls, hash, { channelBinding: { type, data } });
    expect(client.clientFirst().toString()).toMatch(new RegExp(`^p=${type},,n=juliet,r=`));
    expect(step).toMatchObject({ kind: 'success', username: 'juliet' });
    if (step.kind === 'success') expect(client.verifyServerFinal(step.data ?? Buffer.alloc(0))).toBe(true);
  });

  it('refuses wrong binding data (another channel) with not-authorized', async () => {
    const { step } = await run(mech, tls, hash, { channelBinding: { type: 'tls-exporter', data: endPoint } });
    expect(step).toEqual({ kind: 'failure', condition: 'not-authorized', text: 'channel binding mismatch' });
  });

  it('refuses a binding type the connection does not offer, as a refusal (not a wrong password)', async () => {
    const ctx: SaslContext = { domain: 'example.com', channelBindings: [{ type: 'tls-server-end-point', data: endPoint }], plusAdvertised: true };
    const { step } = await run(mech, ctx, hash, { channelBinding: { type: 'tls-exporter', data: exporter } });
    expect(step).toMatchObject({ kind: 'failure', condition: 'not-authorized', reason: 'refused' });
    const unique = await run(mech, tls, hash, { channelBinding: { type: 'tls-unique', data: exporter } });
    expect(unique.step).toMatchObject({ kind: 'failure', condition: 'not-authorized', reason: 'refused' });
  });

  it('refuses any binding without TLS', async () => {
    const { step } = await run(mech, { domain: 'example.com' }, hash, { channelBinding: { type: 'tls-exporter', data: exporter } });
    expect(step).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
  });

  it.each(['n', 'y'] as const)('refuses gs2 flag %s on a -PLUS mechanism', async (cbindFlag) => {
    const { step } = await run(mech, tls, hash, { cbindFlag });
    expect(step).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('refuses a c= that omits the binding data', async () => {
    const ex = mech.start(tls, source());
    const client = new ScramClient(hash, 'juliet', 'r0m30', { channelBinding: { type: 'tls-exporter', data: exporter } });
    const first = await ex.step(client.clientFirst());
    if (first.kind !== 'challenge') throw new Error('expected a challenge');
    const gs2Only = Buffer.from('p=tls-exporter,,').toString('base64');
    const final = client
      .clientFinal(first.data)
      .toString()
      .replace(/^c=[^,]+/, `c=${gs2Only}`);
    expect(await ex.step(Buffer.from(final))).toMatchObject({ kind: 'failure', condition: 'not-authorized' });
  });
});

describe.each([
  [scramSha1, 'SHA-1'],
  [scramSha256, 'SHA-256'],
] as const)('$name on a connection that offers channel binding', (mech, hash) => {
  it('accepts n (the client does not bind)', async () => {
    expect((await run(mech, tls, hash, {})).step.kind).toBe('success');
  });

  it('refuses y when -PLUS was advertised (downgrade, RFC 5802 §6)', async () => {
    const { step } = await run(mech, tls, hash, { cbindFlag: 'y' });
    expect(step).toEqual({ kind: 'failure', condition: 'not-authorized', text: 'channel binding downgrade detected', reason: 'refused' });
  });

  it('accepts y when -PLUS was not advertised', async () => {
    const { step } = await run(mech, { domain: 'example.com' }, hash, { cbindFlag: 'y' });
    expect(step.kind).toBe('success');
  });

  it('refuses p= (binding needs the -PLUS mechanism)', async () => {
    const { step } = await run(mech, tls, hash, { channelBinding: { type: 'tls-exporter', data: exporter } });
    expect(step).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });
});
