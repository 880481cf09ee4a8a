import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey } from './subjects';

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
