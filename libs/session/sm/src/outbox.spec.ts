import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox';

const item = (pos: number) => ({ pos, to: 'a@b/c', xml: Buffer.from(`<message id="${pos}"/>`), kind: 1 });

describe('Outbox', () => {
  it('removes what h acknowledges and remembers the last acknowledged position', () => {
    const o = new Outbox({ sent: 0, acked: 0, ackedPos: 10 });
    for (const s of [11, 14, 20]) o.push(item(s));
    expect(o.ack(2)).toEqual({ ok: true, removed: 2, offline: [] });
    expect(o.ackedPos).toBe(14);
    expect(o.pending().map((u) => u.pos)).toEqual([20]);
    expect(o.ack(2)).toEqual({ ok: true, removed: 0, offline: [] });
    expect(o.ack(4)).toEqual({ ok: false, sent: 3 });
  });

  it('keeps carried-over stanzas (seq 0) without moving the position', () => {
    const o = new Outbox({ sent: 5, acked: 5, ackedPos: 30 });
    o.push(item(0));
    o.push(item(0));
    o.push(item(31));
    expect(o.carried()).toHaveLength(2);
    o.ack(6);
    expect(o.ackedPos).toBe(30);
    expect(o.carried()).toHaveLength(1);
    o.ack(8);
    expect(o.ackedPos).toBe(31);
    expect(o.size).toBe(0);
  });

  it('names the stored offline messages an ack covers (they may leave xmpp_offline now)', () => {
    const o = new Outbox({ sent: 0, acked: 0, ackedPos: 0 });
    o.push({ ...item(1), offlineSeq: 70 });
    o.push(item(2));
    o.push({ ...item(0), offlineSeq: 71 });
    o.push({ ...item(3), offlineSeq: 72 });
    expect(o.ack(3)).toEqual({ ok: true, removed: 3, offline: [70, 71] });
    expect(o.ack(4)).toEqual({ ok: true, removed: 1, offline: [72] });
  });

  it('counts the bytes of what is unacknowledged (issue 9 #9: the queue is bounded in bytes)', () => {
    const o = new Outbox({ sent: 0, acked: 0, ackedPos: 0 });
    const big = { pos: 1, to: 'a@b/c', xml: Buffer.alloc(1000), kind: 1 };
    for (let i = 0; i < 3; i++) o.push({ ...big, pos: i + 1 });
    expect(o.bytes).toBe(3000);
    o.ack(2);
    expect(o.bytes).toBe(1000);
    o.ack(3);
    expect(o.bytes).toBe(0);
  });
});
