import { connectivityState, status, type Client } from '@grpc/grpc-js';
import { describe, expect, it, vi } from 'vitest';
import { call, PeerUnreachable } from './calls';

function peer(state: connectivityState): Client {
  return { getChannel: () => ({ getConnectivityState: () => state, getTarget: () => 'dns:auth:50051' }) } as unknown as Client;
}

describe('call', () => {
  it('fails at once with UNAVAILABLE, without calling, while the peer is in TRANSIENT_FAILURE', async () => {
    const method = vi.fn();
    const err = await call(method, {}, 5000, peer(connectivityState.TRANSIENT_FAILURE)).catch((e: Error) => e);
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
