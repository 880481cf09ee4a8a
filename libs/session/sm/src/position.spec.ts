import { describe, expect, it } from 'vitest';
import { StanzaKind } from '@cx/stanza';
import type { edgev1, sessionv1 } from '@cx/proto';
import { endOf, position, readAfter, seqOf, unackedFilter } from './position';

const state = (outSeq: number, skipped: number[] = []): sessionv1.SmState =>
  ({ fullJid: 'a@b/c', edgeId: 'e', connectionId: 'c1', outAcked: 1, outSeq, inHandled: 0, updatedAtMs: 0, carried: [], skipped }) as sessionv1.SmState;
const d = (connectionId: string) => ({ connectionId, to: 'a@b/c', xml: Buffer.alloc(0), kind: StanzaKind.STANZA_KIND_MESSAGE }) as edgev1.Delivery;

describe('positions in the stream', () => {
  it('orders deliveries of one batch after one another', () => {
    expect(position(7, 2)).toBeGreaterThan(position(7, 1));
    expect(position(8, 0)).toBeGreaterThan(endOf(7));
    expect(seqOf(position(7, 3))).toBe(7);
  });

  it('a delivery in the same batch as the last acknowledged one is still unacknowledged', () => {
    // Regression: two messages to one session in one router batch share a stream sequence.
    const f = unackedFilter(state(position(7, 0)));
    expect(f(7, 0, d('c1'))).toBe(false);
    expect(f(7, 1, d('c1'))).toBe(true);
    expect(f(7, 1, d('other'))).toBe(false);
    expect(readAfter(state(position(7, 0)))).toBe(6);
  });

  it('skips what CSI dropped, and the whole batch at enable time', () => {
    const f = unackedFilter(state(endOf(5), [position(6, 1)]));
    expect(f(5, 3, d('c1'))).toBe(false);
    expect(f(6, 0, d('c1'))).toBe(true);
    expect(f(6, 1, d('c1'))).toBe(false);
  });
});
