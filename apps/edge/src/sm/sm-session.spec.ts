import { describe, expect, it } from 'vitest';
import { CsiBuffer } from '../csi-buffer';
import { SmSession } from './sm-session';

describe('SmSession', () => {
  it('overflows when its unacknowledged stanzas exceed the byte bound, and not once they are acknowledged (issue 9 #9)', () => {
    const written: Array<Buffer | string> = [];
    const sm = new SmSession('id', 'a@x/r', { id: 'c1', write: (d) => written.push(d) }, new CsiBuffer(), 60, { sent: 0, ackedPos: 0, inCount: 0 }, 4096);
    sm.started = true;
    for (let i = 1; i <= 4; i++) sm.deliver({ pos: i, to: 'a@x/r', xml: Buffer.alloc(1000, 'x'), kind: 1 });
    expect(sm.overflowing).toBe(false);
    sm.deliver({ pos: 5, to: 'a@x/r', xml: Buffer.alloc(1000, 'x'), kind: 1 });
    expect(sm.overflowing).toBe(true);
    expect(sm.acknowledge(2)).toBe(true);
    expect(sm.overflowing).toBe(false);
  });
});
