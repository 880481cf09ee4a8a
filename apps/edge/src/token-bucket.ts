// A token bucket of bytes (ejabberd's `shaper` with `maxrate`): `rate` bytes a
// second refill it up to `burst`. The fast path is an addition and a compare;
// the clock is read only when what was taken since the last refill exceeds
// what the bucket held then.
export class TokenBucket {
  private tokens: number;
  private used = 0;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Take n bytes; the milliseconds to wait before taking more (0: go on). */
  take(n: number, now?: number): number {
    this.used += n;
    if (this.used <= this.tokens) return 0;
    return this.refill(n, now ?? Date.now());
  }

  private refill(n: number, now: number): number {
    // Earlier takes since the last refill count as taken then (the clock was
    // not read), this one as taken now: never above the rate over time.
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens - (this.used - n) + (elapsed * this.rate) / 1000) - n;
    this.used = 0;
    this.last = now;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}
