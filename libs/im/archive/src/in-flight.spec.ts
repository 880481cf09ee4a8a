import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight';

const later = () => {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const p = new Promise<void>((a, b) => ((resolve = a), (reject = b)));
  return { p, resolve, reject };
};

describe('InFlight', () => {
  it('resolves a waiter once everything begun before it is done, in any order, failures included', async () => {
    const f = new InFlight();
    await f.settled();
    const [a, b] = [later(), later()];
    f.track(a.p);
    f.track(b.p);
    let first = false;
    void f.settled().then(() => (first = true));
    const c = later();
    f.track(c.p);
    let second = false;
    void f.settled().then(() => (second = true));
    b.resolve();
    await Promise.resolve();
    expect(first).toBe(false);
    a.reject(new Error('x'));
    await new Promise((r) => setImmediate(r));
    expect([first, second]).toEqual([true, false]);
    c.resolve();
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(true);
  });
});
