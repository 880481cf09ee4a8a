import { describe, expect, it } from 'vitest';
import { checkGrant, signGrant, type SlotGrant } from './signature';
import { fileIdOf, makeSlot, normalType, safeFilename } from './slot';
import { parseRange, servedHeaders } from './served';

const secret = 'test-secret';
const g: SlotGrant = { path: '/upload/AAAAAAAAAAAAAAAAAAAAAAAA/a.png', size: 1234, type: 'image/png', jid: 'alice@localhost', expiresAt: 2_000_000_000 };
const now = 1_900_000_000_000;
const check = (over: Partial<SlotGrant & { query: string }> = {}) => {
  const query = new URLSearchParams(over.query ?? signGrant(g, secret));
  return checkGrant({ path: over.path ?? g.path, size: over.size ?? g.size, type: over.type ?? g.type, query }, secret, now);
};

describe('slot signatures', () => {
  it('accept the PUT the slot was made for', () => {
    expect(check()).toEqual({ ok: true, jid: 'alice@localhost', expiresAt: g.expiresAt });
  });

  it('is a fixed HMAC-SHA256 over the fields (a vector)', () => {
    expect(signGrant(g, secret)).toBe('u=alice%40localhost&v=2000000000.58ozD6muejytJqk265T34HHn-v9gEzKnacFDhr8ooPA');
    expect(signGrant(g, secret)).not.toBe(signGrant(g, 'other-secret'));
  });

  it('refuse an altered path, size, type, expiry or uploader', () => {
    expect(check({ path: '/upload/AAAAAAAAAAAAAAAAAAAAAAAA/b.png' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(check({ size: 1235 })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(check({ type: 'text/html' })).toEqual({ ok: false, reason: 'bad-signature' });
    const sig = signGrant(g, secret).split('.').pop();
    expect(check({ query: `u=alice%40localhost&v=2000000001.${sig}` })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(check({ query: `u=mallory%40localhost&v=2000000000.${sig}` })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(check({ query: '' })).toEqual({ ok: false, reason: 'missing' });
  });

  it('refuse an expired slot', () => {
    const old = { ...g, expiresAt: now / 1000 - 1 };
    const query = new URLSearchParams(signGrant(old, secret));
    expect(checkGrant({ path: g.path, size: g.size, type: g.type, query }, secret, now)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuse a signature made with another secret', () => {
    const query = new URLSearchParams(signGrant(g, 'not-the-secret'));
    expect(checkGrant({ path: g.path, size: g.size, type: g.type, query }, secret, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});

describe('slots', () => {
  it('have a signed PUT URL and an unsigned GET URL on the same path', () => {
    const s = makeSlot({ filename: 'my photo.jpg', size: 10, contentType: 'image/JPEG', jid: 'a@b' }, { publicUrl: 'https://up.example/', secret, ttlS: 60 });
    expect(s?.get).toMatch(/^https:\/\/up\.example\/upload\/[A-Za-z0-9_-]{24}\/my%20photo\.jpg$/);
    expect(s?.put.startsWith(`${s?.get}?u=a%40b&v=`)).toBe(true);
    expect(s?.type).toBe('image/jpeg');
    expect(fileIdOf(new URL(s!.get).pathname)).toHaveLength(24);
  });

  it('keep a file name without directories or control characters', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('a\u0000b\nc.txt')).toBe('abc.txt');
    expect(safeFilename('..')).toBe('file');
    expect(safeFilename('x'.repeat(300))).toHaveLength(128);
  });

  it('take only MIME types', () => {
    expect(normalType('')).toBe('application/octet-stream');
    expect(normalType('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8');
    expect(normalType('no type')).toBeUndefined();
    expect(normalType('a/b\r\nx: y')).toBeUndefined();
  });

  it('are served safely: HTML downloads as octet-stream, images show inline', () => {
    expect(servedHeaders('text/html', 'x.html')).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-disposition': "attachment; filename*=UTF-8''x.html",
      'x-content-type-options': 'nosniff',
    });
    expect(servedHeaders('image/svg+xml', 'x.svg')['content-type']).toBe('application/octet-stream');
    expect(servedHeaders('image/png', 'x.png')).toMatchObject({ 'content-type': 'image/png', 'content-disposition': "inline; filename*=UTF-8''x.png" });
  });

  it('take one byte range (RFC 9110 §14.2)', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ first: 0, last: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ first: 900, last: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ first: 900, last: 999 });
    expect(parseRange('bytes=500-5000', 1000)).toEqual({ first: 500, last: 999 });
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
    expect(parseRange(undefined, 1000)).toBeUndefined();
  });
});
