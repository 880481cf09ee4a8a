import { describe, expect, it } from 'vitest';
import { x } from '@cx/xmpp-core';
import { CLAIM_MS, OfflineHandover } from './offline-handover';

const stored = (seqs: number[]) => seqs.map((seq) => ({ seq, message: x('message', { id: `m${seq}` }) }));

function setup(initial: number[]) {
  let seqs = initial;
  let now = 1000;
  const h = new OfflineHandover({ peek: async () => stored(seqs), now: () => now });
  return { h, set: (s: number[]) => (seqs = s), advance: (ms: number) => (now += ms) };
}
const ids = (ms: Array<{ seq: number }>) => ms.map((m) => m.seq);

describe('OfflineHandover', () => {
  it('gives a second live session only what the first has not got', async () => {
    const { h, set } = setup([1, 2, 3]);
    const [a, b] = await Promise.all([h.handOver('u@x', 'c1', ['c1', 'c2']), h.handOver('u@x', 'c2', ['c1', 'c2'])]);
    expect(ids(a)).toEqual([1, 2, 3]);
    expect(ids(b)).toEqual([]);
    set([1, 2, 3, 4]);
    expect(ids(await h.handOver('u@x', 'c2', ['c1', 'c2']))).toEqual([4]);
  });

  it('hands them over again when the session that had them is gone, or the claim is old', async () => {
    const { h, advance } = setup([1, 2]);
    await h.handOver('u@x', 'c1', ['c1']);
    // c1's edge died; the user logs in again as c2 (c1 no longer among the sessions).
    expect(ids(await h.handOver('u@x', 'c2', ['c2']))).toEqual([1, 2]);
    expect(ids(await h.handOver('u@x', 'c3', ['c2', 'c3']))).toEqual([]);
    advance(CLAIM_MS + 1);
    expect(ids(await h.handOver('u@x', 'c3', ['c2', 'c3']))).toEqual([1, 2]);
  });

  it('a second initial presence of the same session does not get them again, and reported ones end their claims', async () => {
    const { h, set } = setup([1, 2]);
    await h.handOver('u@x', 'c1', ['c1', 'c2']);
    expect(ids(await h.handOver('u@x', 'c1', ['c1', 'c2']))).toEqual([]);
    h.handled('u@x', [1]);
    set([2]);
    expect(ids(await h.handOver('u@x', 'c2', ['c1', 'c2']))).toEqual([]);
    h.handled('u@x', [2]);
    h.sweep();
  });
});
