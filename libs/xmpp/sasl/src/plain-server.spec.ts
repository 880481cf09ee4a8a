// PLAIN, RFC 4616 §2: [authzid] NUL authcid NUL passwd, verified by the backend.
import { describe, it, expect } from 'vitest';
import { plain } from './plain-server';
import { failingSource, memorySource } from './testing';

const ctx = { domain: 'example.com' };
const source = () => memorySource({ juliet: { password: 'r0m30' }, zoë: { password: 'pässwörd' } }, ctx.domain);
const msg = (s: string) => Buffer.from(s, 'utf8');

describe('PLAIN server', () => {
  it('accepts the right password', async () => {
    const src = source();
    expect(await plain.start(ctx, src).step(msg('\0juliet\0r0m30'))).toEqual({ kind: 'success', username: 'juliet' });
    expect(src.calls).toEqual(['testPassword:juliet']);
  });

  it('passes authzid through and handles UTF-8', async () => {
    expect(await plain.start(ctx, source()).step(msg('admin@example.com\0juliet\0r0m30'))).toEqual({
      kind: 'success',
      username: 'juliet',
      authzid: 'admin@example.com',
    });
    expect(await plain.start(ctx, source()).step(msg('\0zoë\0pässwörd'))).toEqual({ kind: 'success', username: 'zoë' });
  });

  it('wrong password and unknown user -> not-authorized', async () => {
    expect(await plain.start(ctx, source()).step(msg('\0juliet\0wrong'))).toEqual({
      kind: 'failure',
      condition: 'not-authorized',
      reason: 'credentials',
      username: 'juliet',
    });
    expect(await plain.start(ctx, source()).step(msg('\0romeo\0r0m30'))).toEqual({
      kind: 'failure',
      condition: 'not-authorized',
      reason: 'credentials',
      username: 'romeo',
    });
  });

  it('empty authcid or password -> not-authorized without asking the backend', async () => {
    const src = source();
    expect(await plain.start(ctx, src).step(msg('\0\0r0m30'))).toMatchObject({ condition: 'not-authorized' });
    expect(await plain.start(ctx, src).step(msg('\0juliet\0'))).toMatchObject({ condition: 'not-authorized' });
    expect(src.calls).toEqual([]);
  });

  it.each([['juliet\0r0m30'], ['a\0juliet\0r0m30\0extra'], ['juliet']])('malformed %j -> malformed-request', async (text) => {
    expect(await plain.start(ctx, source()).step(msg(text))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('invalid UTF-8 -> malformed-request', async () => {
    const bad = Buffer.concat([msg('\0jul'), Buffer.from([0xff]), msg('\0r0m30')]);
    expect(await plain.start(ctx, source()).step(bad)).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('no or empty initial response -> empty challenge, then the next response', async () => {
    for (const initial of [null, Buffer.alloc(0)]) {
      const ex = plain.start(ctx, source());
      expect(await ex.step(initial)).toEqual({ kind: 'challenge', data: Buffer.alloc(0) });
      expect(await ex.step(msg('\0juliet\0r0m30'))).toEqual({ kind: 'success', username: 'juliet' });
    }
    const ex = plain.start(ctx, source());
    await ex.step(null);
    expect(await ex.step(Buffer.alloc(0))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });

  it('backend throwing -> temporary-auth-failure', async () => {
    expect(await plain.start(ctx, failingSource()).step(msg('\0juliet\0r0m30'))).toEqual({ kind: 'failure', condition: 'temporary-auth-failure' });
  });

  it('steps after the final result -> malformed-request', async () => {
    const ex = plain.start(ctx, source());
    await ex.step(msg('\0juliet\0wrong'));
    expect(await ex.step(msg('\0juliet\0r0m30'))).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
  });
});
