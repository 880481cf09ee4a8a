import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('lets a burst through without waiting', () => {
    const b = new TokenBucket(1000, 4000, 0);
    expect(b.take(1000, 0)).toBe(0);
    expect(b.take(3000, 0)).toBe(0);
  });

  it('asks to wait for the deficit at the rate once the burst is spent', () => {
    const b = new TokenBucket(1000, 4000, 0);
    expect(b.take(4000, 0)).toBe(0);
    expect(b.take(500, 0)).toBe(500); // 500 bytes short at 1000 B/s
  });

  it('refills with time, never above the burst', () => {
    const b = new TokenBucket(1000, 2000, 0);
    expect(b.take(2000, 0)).toBe(0);
    expect(b.take(1000, 1000)).toBe(0); // one second refilled 1000
    expect(b.take(2000, 100_000)).toBe(0); // a long pause refills only up to the burst
    expect(b.take(100, 100_000)).toBe(100);
  });

  it('carries a debt: a flood is held to the rate on average', () => {
    const b = new TokenBucket(10_000, 1000, 0);
    let t = 0;
    for (let i = 0; i < 100; i++) t += b.take(1000, t); // 100 kB
    expect(t).toBeGreaterThanOrEqual(9900); // ≈ (100 kB − burst) / 10 kB/s
    expect(t).toBeLessThanOrEqual(10_100);
  });

  it('does not read the clock while within the tokens', () => {
    const b = new TokenBucket(1000, 4000, 0);
    expect(b.take(3999)).toBe(0); // no `now` needed on the fast path
  });
});
