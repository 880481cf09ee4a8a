// issue 9 #9: the block list's item bound.
import { describe, expect, it } from 'vitest';
import { maxBlockListBytes, overBound } from './blocklist-bound';

describe('block list bound', () => {
  it('refuses growth past the bound, never shrinking', () => {
    expect(overBound(['a', 'b'], ['a', 'b', 'c'], 2)).toBe(true);
    expect(overBound(['a'], ['a', 'b'], 2)).toBe(false);
    expect(overBound(['a', 'b', 'c'], ['a', 'b'], 1)).toBe(false);
  });
  it('gives the KV value bound room for the item bound, never above 1 MiB', () => {
    expect(maxBlockListBytes(10)).toBeGreaterThan(10 * 3071);
    expect(maxBlockListBytes(100_000)).toBe(1024 * 1024);
  });
});
