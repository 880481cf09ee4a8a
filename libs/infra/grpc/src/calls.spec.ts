import { connectivityState, status, type Client } from '@grpc/grpc-js';
import { describe, expect, it, vi } from 'vitest';
import { call, PeerUnreachable } from './calls';
import { unreachableFor } from './client';

function peer(state: connectivityState): Client {
  return {
    getChannel: () => ({ getConnectivityState: () => state, watchConnectivityState: () => undefined, getTarget: () => 'dns:auth:50051' }),
  } as unknown as Client;
}

describe('call', () => {
  it('fails at once with UNAVAILABLE, without calling, once the peer has been unreachable for the deadline', async () => {
    vi.useFakeTimers();
    const method = vi.fn();
    const down = peer(connectivityState.TRANSIENT_FAILURE);
    expect(unreachableFor(down)).toBe(1);
    vi.advanceTimersByTime(5000);
    const err = await call(method, {}, 5000, down).catch((e: Error) => e);
    vi.useRealTimers();
    expect(err).toBeInstanceOf(PeerUnreachable);
    expect((err as PeerUnreachable).code).toBe(status.UNAVAILABLE);
    expect(method).not.toHaveBeenCalled();
  });

  it('calls with a deadline otherwise', async () => {
    const method = vi.fn((_req: unknown, _md: unknown, opts: { deadline: number }, cb: (err: Error | null, res: number) => void) => cb(null, opts.deadline));
    const before = Date.now();
    const deadline = await call(method, {}, 5000, peer(connectivityState.CONNECTING));
    expect(deadline).toBeGreaterThanOrEqual(before + 5000);
  });
});
