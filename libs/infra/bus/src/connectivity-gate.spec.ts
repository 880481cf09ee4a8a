import { describe, expect, it } from 'vitest';
import { connectivityGate } from './connectivity-gate';

function fakeBus() {
  const fns: Array<(up: boolean) => void> = [];
  return { onConnectivity: (fn: (up: boolean) => void) => void fns.push(fn), set: (up: boolean) => fns.forEach((f) => f(up)) };
}

describe('connectivityGate', () => {
  it('is open while connected, closes at a disconnect, opens a while after the reconnect', async () => {
    const bus = fakeBus();
    const gate = connectivityGate(bus, 50);
    expect(gate()).toBeUndefined();
    bus.set(false);
    const waiting = gate();
    expect(waiting).toBeInstanceOf(Promise);
    let opened = false;
    void waiting!.then(() => (opened = true));
    bus.set(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(opened).toBe(false);
    bus.set(false); // lost again before settling: still closed, same wait
    bus.set(true);
    expect(gate()).toBe(waiting);
    await waiting;
    expect(opened).toBe(true);
    expect(gate()).toBeUndefined();
  });
});
