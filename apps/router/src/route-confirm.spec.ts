import { describe, expect, it } from 'vitest';
import { Confirmer, RecentBatches } from './route-confirm';

const turn = () => new Promise((r) => setImmediate(r));

describe('Confirmer', () => {
  it('confirms the batches of one turn with one durable() and one ack, in order even when an earlier durable() is slow', async () => {
    const sent: number[] = [];
    const releases: Array<() => void> = [];
    const c = new Confirmer({ durable: () => new Promise<void>((r) => releases.push(r)), send: (seq) => sent.push(seq) });
    c.handled(1);
    c.handled(2);
    await turn();
    c.handled(3);
    await turn();
    expect(releases).toHaveLength(2);
    releases[1]();
    await turn();
    expect(sent).toEqual([]); // waits for the first
    releases[0]();
    await c.settled();
    expect(sent).toEqual([2, 3]);
  });
});

describe('RecentBatches', () => {
  it('remembers the last batches, forgetting the oldest beyond its size', () => {
    const r = new RecentBatches(2);
    r.add('s', 1);
    r.add('s', 2);
    r.add('s', 3);
    expect([r.has('s', 1), r.has('s', 2), r.has('s', 3), r.has('t', 3)]).toEqual([false, true, true, false]);
  });
});
