import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox';

const item = (seq: number) => ({ seq, to: 'a@b/c', xml: Buffer.from(`<message id="${seq}"/>`), kind: 1 });

describe('Outbox', () => {
  it('removes what h acknowledges and remembers the last acknowledged sequence', () => {
    const o = new Outbox({ sent: 0, acked: 0, ackedSeq: 10 });
    for (const s of [11, 14, 20]) o.push(item(s));
    expect(o.ack(2)).toEqual({ ok: true, removed: 2 });
    expect(o.ackedSeq).toBe(14);
    expect(o.pending().map((u) => u.seq)).toEqual([20]);
    expect(o.ack(2)).toEqual({ ok: true, removed: 0 });
    expect(o.ack(4)).toEqual({ ok: false, sent: 3 });
  });

  it('keeps carried-over stanzas (seq 0) without moving the sequence', () => {
    const o = new Outbox({ sent: 5, acked: 5, ackedSeq: 30 });
    o.push(item(0));
    o.push(item(0));
    o.push(item(31));
    expect(o.carried()).toHaveLength(2);
    o.ack(6);
    expect(o.ackedSeq).toBe(30);
    expect(o.carried()).toHaveLength(1);
    o.ack(8);
    expect(o.ackedSeq).toBe(31);
    expect(o.size).toBe(0);
  });
});
