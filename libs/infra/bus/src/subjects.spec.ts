import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, hashKey, MAX_KEY_CHARS } from './subjects';

describe('KV key encoding', () => {
  it('keeps simple names readable', () => {
    expect(encodeKey('juliet')).toBe('juliet');
    expect(encodeKey('juliet@example.com')).toBe('juliet=40example=2Ecom');
  });
  it('round-trips Unicode and separators, producing only legal key characters', () => {
    for (const s of ['fußball@例え.jp', 'a.b/c=d', 'π@example.com', '😀']) {
      const k = encodeKey(s);
      expect(k).toMatch(/^[-_=a-zA-Z0-9]+$/);
      expect(decodeKey(k)).toBe(s);
    }
  });
});

// issue 9 #6: nats-server drops a connection whose protocol line exceeds 4096 bytes.
describe('bounded keys', () => {
  const legal = /^[-_=a-zA-Z0-9]+$/;
  it('hashes a 4 KB input into one short legal token', () => {
    for (const s of ['a'.repeat(4096), 'é'.repeat(2048), `urn:x:${'n'.repeat(4090)}`, `${'ü'.repeat(1500)}@localhost`]) {
      const k = encodeKey(s);
      expect(k.length).toBeLessThanOrEqual(MAX_KEY_CHARS);
      expect(k).toMatch(legal);
      expect(k).toBe(hashKey(s));
    }
    expect(encodeKey('a'.repeat(4096))).not.toBe(encodeKey(`${'a'.repeat(4095)}b`));
  });
  it('keeps the old, reversible key for any RFC 7622 local part (at most 1023 bytes)', () => {
    for (const s of ['x'.repeat(1023), 'é'.repeat(511), `${'ü'.repeat(511)}@localhost`, '😀'.repeat(255)]) {
      const k = encodeKey(s);
      expect(k.length).toBeLessThanOrEqual(MAX_KEY_CHARS);
      expect(k.startsWith('=h')).toBe(false);
      expect(decodeKey(k)).toBe(s);
    }
  });
  it('a hashed key never equals an encoded one, and decodes to itself', () => {
    const h = hashKey('urn:example');
    expect(h).toMatch(/^=h[0-9a-f]{64}$/);
    expect(decodeKey(h)).toBe(h);
    expect(encodeKey(h)).not.toBe(h);
  });
});
