import { afterEach, describe, expect, it } from 'vitest';
import { FlowControl, type FlowWire } from './flow-control';

class Wire implements FlowWire {
  destroyed = false;
  writableLength = 0;
  paused = 0;
  resumed = 0;
  pause() {
    this.paused++;
  }
  resume() {
    this.resumed++;
  }
}

const made: FlowControl[] = [];
const flow = (bytesPerSecond: number, burstBytes: number, maxSendBuffer: number) => {
  const f = FlowControl.create({ bytesPerSecond, burstBytes, maxSendBuffer });
  if (f) made.push(f);
  return f;
};
afterEach(() => made.splice(0).forEach((f) => f.stop()));

describe('FlowControl', () => {
  it('is not made when every limit is off', () => {
    expect(flow(0, 0, 0)).toBeUndefined();
  });

  it('pauses reading over the rate, once, and resumes after the debt is paid', async () => {
    const f = flow(10_000, 1000, 0) as FlowControl;
    const w = new Wire();
    f.received(1000, w);
    expect(w.paused).toBe(0);
    f.received(500, w); // 500 B over at 10 kB/s: 50 ms
    f.received(500, w); // already paused: no second timer
    expect(w.paused).toBe(1);
    expect(f.paused).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(w.resumed).toBe(1);
    expect(f.paused).toBe(false);
  });

  it('keeps reading paused until what arrived during the pause is paid for too', async () => {
    const f = flow(10_000, 1000, 0) as FlowControl;
    const w = new Wire();
    f.received(1500, w); // 500 B over: 50 ms
    f.received(2000, w); // read before the pause took effect: 200 ms more
    await new Promise((r) => setTimeout(r, 120));
    expect(w.resumed).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.resumed).toBe(1);
  });

  it('reports an overflow of unread output once', () => {
    const f = flow(0, 0, 1024) as FlowControl;
    const w = new Wire();
    w.writableLength = 1024;
    expect(f.overflow(w)).toBe(false);
    w.writableLength = 1025;
    expect(f.overflow(w)).toBe(true);
    expect(f.overflow(w)).toBe(false);
  });
});
