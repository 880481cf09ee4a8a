import { EventEmitter } from 'node:events';
import { connectivityState } from '@grpc/grpc-js';
import type { SaslResult } from '@cx/c2s';
import type { authv1 } from '@cx/proto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SaslLink } from './sasl-link';

class FakeStream extends EventEmitter {
  written: authv1.SaslRequest[] = [];
  write(r: authv1.SaslRequest): boolean {
    this.written.push(r);
    return true;
  }
  end(): void {
    this.emit('end');
  }
}

const log = { warn: vi.fn(), info: vi.fn(), error: vi.fn(), debug: vi.fn() } as never;

function setup(state = connectivityState.READY) {
  const stream = new FakeStream();
  const client = {
    exchange: () => stream,
    getChannel: () => ({ getConnectivityState: () => state, watchConnectivityState: () => undefined }),
  } as unknown as authv1.AuthServiceClient;
  const results: SaslResult[] = [];
  const link = new SaslLink(client, { size: 1, timeoutMs: 1000, log });
  // Unreachable for a whole deadline already (a service that just went down is waited for up to the deadline).
  link.unreachable();
  vi.advanceTimersByTime(1000);
  const id = link.start({ mechanism: 'PLAIN', domain: 'localhost', secure: true, clientAddress: '', channelBindings: [] }, (r) => results.push(r));
  return { stream, results, id };
}

describe('SaslLink deadlines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fails with temporary-auth-failure after timeoutMs, aborts the exchange and discards a late success', () => {
    const { stream, results, id } = setup();
    vi.advanceTimersByTime(1000);
    expect(results).toEqual([{ kind: 'failure', condition: 'temporary-auth-failure', text: expect.stringMatching(/unavailable/), reason: 'unavailable' }]);
    expect(stream.written.map((r) => r.step?.$case)).toEqual(['start', 'abort']);
    stream.emit('data', { exchangeId: id, result: { $case: 'success', value: { username: 'juliet' } } });
    expect(results).toHaveLength(1);
  });

  it('fails at once once the auth service has been unreachable for a deadline', async () => {
    const { stream, results } = setup(connectivityState.TRANSIENT_FAILURE);
    await vi.advanceTimersToNextTimerAsync();
    expect(results).toEqual([expect.objectContaining({ kind: 'failure', condition: 'temporary-auth-failure' })]);
    expect(stream.written).toHaveLength(0);
  });
});
