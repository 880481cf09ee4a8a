// Output: one socket write per turn, one per element on framed wires, and
// stored offline messages reported once the socket took them.
import { describe, expect, it } from 'vitest';
import { Output } from './output';
import type { Wire } from './wire';

function wire(framed = false) {
  const writes: Array<{ data: string; done?: (err?: Error | null) => void }> = [];
  const w = {
    destroyed: false,
    writableEnded: false,
    framed,
    write: (data: string | Buffer, done?: (err?: Error | null) => void) => void writes.push({ data: data.toString(), done }),
  } as unknown as Wire & { destroyed: boolean };
  return { w, writes };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('Output', () => {
  it('joins what one turn wrote into one socket write', async () => {
    const { w, writes } = wire();
    const out = new Output({ socket: () => w, offlineWritten: () => undefined, overflow: () => undefined });
    out.write('<a/>');
    out.write(Buffer.from('<b/>'));
    expect(writes).toEqual([]);
    await turn();
    expect(writes.map((x) => x.data)).toEqual(['<a/><b/>']);
  });

  it('writes one element per write on a framed wire (WebSocket)', async () => {
    const { w, writes } = wire(true);
    const out = new Output({ socket: () => w, offlineWritten: () => undefined, overflow: () => undefined });
    out.write('<a/>');
    out.write('<b/>');
    await turn();
    expect(writes.map((x) => x.data)).toEqual(['<a/>', '<b/>']);
  });

  it('reports stored offline messages once the socket took them, not on an error', async () => {
    const { w, writes } = wire();
    const reported: number[][] = [];
    const out = new Output({ socket: () => w, offlineWritten: (s) => void reported.push(s), overflow: () => undefined });
    expect(out.writeOffline(Buffer.from('<message id="1"/>'), 4)).toBe(true);
    expect(out.writeOffline(Buffer.from('<message id="2"/>'), 5)).toBe(true);
    await turn();
    expect(reported).toEqual([]);
    writes[0].done?.(new Error('EPIPE'));
    expect(reported).toEqual([]);
    writes[0].done?.(null);
    expect(reported).toEqual([[4, 5]]);
  });

  it('takes nothing once the socket is gone (an offline message stays stored)', async () => {
    const { w, writes } = wire();
    const out = new Output({ socket: () => w, offlineWritten: () => undefined, overflow: () => undefined });
    w.destroyed = true;
    out.write('<a/>');
    expect(out.writeOffline(Buffer.from('<message/>'), 1)).toBe(false);
    await turn();
    expect(writes).toEqual([]);
  });

  it('tells when the client leaves too much unread', async () => {
    const { w } = wire();
    let overflows = 0;
    const flow = { overflow: () => true } as unknown as ConstructorParameters<typeof Output>[0]['flow'];
    const out = new Output({ socket: () => w, flow, offlineWritten: () => undefined, overflow: () => void overflows++ });
    out.write('<a/>');
    await turn();
    expect(overflows).toBe(1);
  });
});
