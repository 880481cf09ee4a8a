import { EventEmitter } from 'node:events';
import { connectivityState } from '@grpc/grpc-js';
import type { sessionv1 } from '@cx/proto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionLink, SessionUnavailable } from './session-link';

class FakeStream extends EventEmitter {
  written: sessionv1.SessionsRequest[] = [];
  write(r: sessionv1.SessionsRequest): boolean {
    this.written.push(r);
    return true;
  }
  end(): void {
    this.emit('end');
  }
  answer(res: sessionv1.SessionsResponse): void {
    this.emit('data', res);
  }
}

const log = { warn: vi.fn(), info: vi.fn(), error: vi.fn(), debug: vi.fn() } as never;

function setup() {
  const stream = new FakeStream();
  let state = connectivityState.READY;
  const client = {
    sessions: () => stream,
    getChannel: () => ({ getConnectivityState: () => state, watchConnectivityState: () => undefined }),
  } as unknown as sessionv1.SessionServiceClient;
  const link = new SessionLink(client, { size: 1, timeoutMs: 1000, resumeHoldMs: 300_000, log });
  return { link, stream, setState: (s: connectivityState) => (state = s) };
}

const bindReq = { username: 'juliet', domain: 'localhost', resource: 'balcony', edgeId: 'e1', connectionId: 'c1' };
const bound = (requestId: number): sessionv1.SessionsResponse => ({
  requestId,
  result: { $case: 'bind', value: { result: { $case: 'fullJid', value: 'juliet@localhost/balcony' } } },
});

describe('SessionLink deadlines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('rejects a bind with SessionUnavailable after timeoutMs', async () => {
    const { link } = setup();
    const p = link.bind(bindReq);
    const caught = p.catch((e: Error) => e);
    vi.advanceTimersByTime(1000);
    expect(await caught).toBeInstanceOf(SessionUnavailable);
  });

  it('waits for a service that just became unreachable (up to the deadline), and rejects at once once it has been for a deadline', async () => {
    const { link, stream, setState } = setup();
    setState(connectivityState.TRANSIENT_FAILURE);
    const first = link.bind(bindReq).catch((e: Error) => e);
    expect(stream.written).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(await first).toBeInstanceOf(SessionUnavailable);
    stream.written.length = 0;
    const caught = link.bind(bindReq).catch((e: Error) => e);
    await vi.advanceTimersToNextTimerAsync();
    expect(await caught).toBeInstanceOf(SessionUnavailable);
    expect(stream.written).toHaveLength(0);
  });

  it('unbinds a bind that succeeded after its deadline, and refuses a new bind of that connection until then', async () => {
    const { link, stream } = setup();
    const caught = link.bind(bindReq).catch((e: Error) => e);
    vi.advanceTimersByTime(1000);
    await caught;
    await expect(link.bind(bindReq)).rejects.toThrow(/not settled/);
    stream.answer(bound(stream.written[0].requestId));
    const unbind = stream.written[1];
    expect(unbind.op).toEqual({ $case: 'unbind', value: { fullJid: 'juliet@localhost/balcony', connectionId: 'c1', reason: 'bind-timeout' } });
    await expect(link.bind(bindReq)).rejects.toThrow(/not settled/);
    stream.answer({ requestId: unbind.requestId, result: { $case: 'unbind', value: { removed: true } } });
    await vi.advanceTimersByTimeAsync(0);
    const again = link.bind(bindReq);
    stream.answer(bound(stream.written[2].requestId));
    expect((await again).result).toEqual({ $case: 'fullJid', value: 'juliet@localhost/balcony' });
  });

  it('lets the connection bind again when the late bind failed or never came', async () => {
    const { link, stream } = setup();
    const caught = link.bind(bindReq).catch((e: Error) => e);
    vi.advanceTimersByTime(1000);
    await caught;
    stream.emit('error', new Error('reset'));
    const again = link.bind(bindReq);
    const s = stream; // the link opened a new stream on the same fake
    s.answer(bound(s.written[1].requestId));
    expect((await again).result?.$case).toBe('fullJid');
  });

  it('tries an unbind again while the service is unavailable, until it is back', async () => {
    const { link, stream, setState } = setup();
    setState(connectivityState.TRANSIENT_FAILURE);
    link.bind({ ...bindReq, connectionId: 'c0' }).catch(() => undefined); // notices the failure
    await vi.advanceTimersByTimeAsync(1000);
    stream.written.length = 0;
    const p = link.unbind({ fullJid: 'juliet@localhost/balcony', connectionId: 'c1', reason: 'closed' });
    await vi.advanceTimersByTimeAsync(3500);
    expect(stream.written).toHaveLength(0);
    setState(connectivityState.READY);
    await vi.advanceTimersByTimeAsync(1000);
    expect(stream.written[0].op?.$case).toBe('unbind');
    stream.answer({ requestId: stream.written[0].requestId, result: { $case: 'unbind', value: { removed: true } } });
    expect(await p).toBe(true);
  });

  it('detaches again a resume that moved the session after its deadline, so it stays resumable', async () => {
    const { link, stream } = setup();
    const req = { smId: 'sm1', fullJid: 'juliet@localhost/balcony', edgeId: 'e1', connectionId: 'c2' };
    const caught = link.resume(req).catch((e: Error) => e);
    vi.advanceTimersByTime(1000);
    expect(await caught).toBeInstanceOf(SessionUnavailable);
    const now = Date.now();
    stream.answer({
      requestId: stream.written[0].requestId,
      result: { $case: 'resume', value: { result: { $case: 'previous', value: {} as sessionv1.SessionEntry } } },
    });
    const op = stream.written[1].op;
    expect(op?.$case).toBe('detach');
    if (op?.$case !== 'detach') return;
    expect(op.value).toMatchObject({ fullJid: req.fullJid, connectionId: 'c2' });
    expect(op.value.untilMs).toBeGreaterThanOrEqual(now + 300_000);
  });
});
