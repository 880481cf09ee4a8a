// Published SCRAM test vectors: RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256),
// replayed through both the server mechanism and ScramClient with injected nonces.
import { describe, it, expect } from 'vitest';
import { ScramClient } from './scram-client';
import { memorySource, scramWithNonceSuffix } from './testing';
import type { ScramHash } from './types';

interface Vector {
  hash: ScramHash;
  clientNonce: string;
  serverSuffix: string;
  salt: string;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}

const vectors: Vector[] = [
  {
    hash: 'SHA-1',
    clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    serverSuffix: '3rfcNHYJY1ZVvWVs7j',
    salt: 'QSXCR+Q6sek8bf92',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    hash: 'SHA-256',
    clientNonce: 'rOprNGfwEbeRWgbNEkqO',
    serverSuffix: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

describe.each(vectors)('SCRAM-$hash published vector', (v) => {
  const source = () => memorySource({ user: { password: 'pencil', salt: Buffer.from(v.salt, 'base64'), iterations: 4096 } }, 'example.com');

  it('client produces the exact client messages and accepts the server signature', () => {
    const client = new ScramClient(v.hash, 'user', 'pencil', { nonce: v.clientNonce });
    expect(client.clientFirst().toString()).toBe(v.clientFirst);
    expect(client.clientFinal(Buffer.from(v.serverFirst)).toString()).toBe(v.clientFinal);
    expect(client.verifyServerFinal(Buffer.from(v.serverFinal))).toBe(true);
  });

  it('server produces the exact server-first and server-final messages', async () => {
    const ex = scramWithNonceSuffix(v.hash, v.serverSuffix).start({ domain: 'example.com' }, source());
    const first = await ex.step(Buffer.from(v.clientFirst));
    expect(first).toEqual({ kind: 'challenge', data: Buffer.from(v.serverFirst) });
    const final = await ex.step(Buffer.from(v.clientFinal));
    expect(final).toEqual({ kind: 'success', username: 'user', data: Buffer.from(v.serverFinal) });
  });

  it('client and server complete the exchange together', async () => {
    const ex = scramWithNonceSuffix(v.hash, v.serverSuffix).start({ domain: 'example.com' }, source());
    const client = new ScramClient(v.hash, 'user', 'pencil', { nonce: v.clientNonce });
    const first = await ex.step(client.clientFirst());
    if (first.kind !== 'challenge') throw new Error('expected challenge');
    const final = await ex.step(client.clientFinal(first.data));
    if (final.kind !== 'success' || final.data === undefined) throw new Error('expected success with data');
    expect(final.data.toString()).toBe(v.serverFinal);
    expect(client.verifyServerFinal(final.data)).toBe(true);
  });

  it('client rejects a wrong server signature', () => {
    const client = new ScramClient(v.hash, 'user', 'pencil', { nonce: v.clientNonce });
    client.clientFinal(Buffer.from(v.serverFirst));
    const tampered = v.serverFinal.replace(/^v=./, (m) => (m === 'v=A' ? 'v=B' : 'v=A'));
    expect(client.verifyServerFinal(Buffer.from(tampered))).toBe(false);
    expect(client.verifyServerFinal(Buffer.from('e=invalid-proof'))).toBe(false);
  });

  it('server rejects the vector with the wrong password', async () => {
    const wrong = memorySource({ user: { password: 'pencil2', salt: Buffer.from(v.salt, 'base64') } }, 'example.com');
    const ex = scramWithNonceSuffix(v.hash, v.serverSuffix).start({ domain: 'example.com' }, wrong);
    await ex.step(Buffer.from(v.clientFirst));
    expect(await ex.step(Buffer.from(v.clientFinal))).toMatchObject({ kind: 'failure', condition: 'not-authorized', reason: 'credentials' });
  });
});
