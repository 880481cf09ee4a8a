import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectReply, readConnect, readGreeting, streamHash } from './socks5';

const request = (host: string) => Buffer.concat([Buffer.from([5, 1, 0, 3, host.length]), Buffer.from(host), Buffer.from([0, 0])]);

describe('SOCKS5 for XEP-0065', () => {
  it('hashes sid, requester and target (§5.3.2)', () => {
    const h = streamHash('vxf9n471bn46', 'requester@example.com/foo', 'target@example.org/bar');
    expect(h).toBe(createHash('sha1').update('vxf9n471bn46requester@example.com/footarget@example.org/bar').digest('hex'));
    expect(h).toMatch(/^[0-9a-f]{40}$/);
  });

  it('accepts a greeting offering no authentication, waits for the whole of it', () => {
    expect(readGreeting(Buffer.from([5, 2]))).toEqual({ kind: 'more' });
    const step = readGreeting(Buffer.from([5, 2, 2, 0, 9]));
    expect(step).toEqual({ kind: 'reply', bytes: Buffer.from([5, 0]), rest: Buffer.from([9]) });
    expect(readGreeting(Buffer.from([5, 1, 2]))).toMatchObject({ kind: 'refuse', bytes: Buffer.from([5, 0xff]) });
    expect(readGreeting(Buffer.from([4, 1, 0]))).toMatchObject({ kind: 'refuse' });
  });

  it('reads CONNECT to a domain name and keeps what follows', () => {
    const h = 'a'.repeat(40);
    expect(readConnect(request(h).subarray(0, 20))).toEqual({ kind: 'more' });
    expect(readConnect(Buffer.concat([request(h), Buffer.from('xy')]))).toEqual({ kind: 'connect', host: h, rest: Buffer.from('xy') });
    expect(readConnect(Buffer.from([5, 2, 0, 3, 1, 65, 0, 0]))).toMatchObject({ kind: 'refuse', bytes: connectReply(7) });
    expect(readConnect(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0, 0]))).toMatchObject({ kind: 'refuse', bytes: connectReply(8) });
  });

  it('echoes the address in its reply', () => {
    expect(connectReply(0, 'ab')).toEqual(Buffer.from([5, 0, 0, 3, 2, 97, 98, 0, 0]));
  });
});
