import { describe, expect, it } from 'vitest';
import { newlyAcked, parseH, WRAP, wrapped } from './counter';

describe('XEP-0198 counters', () => {
  it('parses h as an unsigned 32-bit integer', () => {
    expect(parseH('0')).toBe(0);
    expect(parseH('4294967295')).toBe(WRAP - 1);
    expect(parseH('4294967296')).toBeUndefined();
    expect(parseH('-1')).toBeUndefined();
    expect(parseH('1.5')).toBeUndefined();
    expect(parseH(undefined)).toBeUndefined();
  });

  it('counts newly acknowledged stanzas', () => {
    expect(newlyAcked(3, 0, 5)).toBe(3);
    expect(newlyAcked(5, 3, 5)).toBe(2);
    expect(newlyAcked(3, 3, 5)).toBe(0);
    expect(newlyAcked(6, 3, 5)).toBeUndefined();
  });

  it('takes an h behind the last acknowledgement as acknowledging nothing new', () => {
    expect(newlyAcked(2, 3, 5)).toBe(0);
    expect(newlyAcked(WRAP - 1, 1, 5)).toBe(0); // just behind, across the wrap
  });

  it('wraps around at 2^32 (§4: the counter returns to zero)', () => {
    const acked = WRAP - 2;
    const sent = WRAP + 3;
    expect(wrapped(sent)).toBe(3);
    expect(newlyAcked(1, acked, sent)).toBe(3); // WRAP-2 → WRAP+1 is 3 stanzas
    expect(newlyAcked(3, acked, sent)).toBe(5);
    expect(newlyAcked(4, acked, sent)).toBeUndefined();
  });
});
