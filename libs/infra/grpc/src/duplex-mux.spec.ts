import { EventEmitter } from 'node:events';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DuplexMux, type Conversation, type DuplexMuxOptions, type Unanswered } from './duplex-mux';

interface Req {
  id: number;
  body: string;
}
interface Res {
  id: number;
  body: string;
}

class FakeStream extends EventEmitter {
  written: Req[] = [];
  write(r: Req): boolean {
    this.written.push(r);
    return true;
  }
  end(): void {
    this.emit('end');
  }
  answer(id: number, body = 'ok'): void {
    this.emit('data', { id, body });
  }
}

const log = { warn: vi.fn(), info: vi.fn(), error: vi.fn(), debug: vi.fn() } as never;

function setup(o: Partial<DuplexMuxOptions<Req, Res>> = {}) {
  const streams: FakeStream[] = [];
  const why: Unanswered[] = [];
  const mux = new DuplexMux<Req, Res>({
    name: 'test',
    size: 1,
    log,
    timeoutMs: 1000,
    connect: () => {
      const s = new FakeStream();
      streams.push(s);
      return s as unknown as ClientDuplexStream<Req, Res>;
    },
    idOf: (r) => r.id,
    onUnanswered: (w) => why.push(w),
    ...o,
  });
  return { mux, streams, why };
}

function conversation(late = false) {
  const seen: string[] = [];
  const c: Conversation<Res> = {
    onResponse: (r) => (seen.push(`answer ${r.body}`), r.body !== 'more'),
    onBroken: () => seen.push('broken'),
    onTimeout: () => seen.push('timeout'),
  };
  if (late) c.onLate = (r) => seen.push(r ? `late ${r.body}` : 'late none');
  return { c, seen };
}

describe('DuplexMux deadlines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('answers within the deadline end the conversation and cancel its timer', () => {
    const { mux, streams } = setup();
    const { c, seen } = conversation();
    const id = mux.start(c);
    mux.write(id, { id, body: 'q' });
    streams[0].answer(id);
    vi.advanceTimersByTime(5000);
    expect(seen).toEqual(['answer ok']);
    expect(mux.size).toBe(0);
  });

  it('tells the caller when no answer came within timeoutMs', () => {
    const { mux, why } = setup();
    const { c, seen } = conversation();
    const id = mux.start(c);
    mux.write(id, { id, body: 'q' });
    vi.advanceTimersByTime(999);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['timeout']);
    expect(why).toEqual(['deadline']);
    expect(mux.size).toBe(0);
  });

  it('drops an answer after the deadline when the conversation has no onLate', () => {
    const { mux, streams } = setup();
    const { c, seen } = conversation();
    const id = mux.start(c);
    mux.write(id, { id, body: 'q' });
    vi.advanceTimersByTime(1000);
    streams[0].answer(id);
    expect(seen).toEqual(['timeout']);
  });

  it('gives a late answer to onLate, once', () => {
    const { mux, streams, why } = setup();
    const { c, seen } = conversation(true);
    const id = mux.start(c);
    mux.write(id, { id, body: 'q' });
    vi.advanceTimersByTime(1000);
    streams[0].answer(id, 'done');
    streams[0].answer(id, 'again');
    expect(seen).toEqual(['timeout', 'late done']);
    expect(why).toEqual(['deadline', 'late']);
    expect(mux.size).toBe(0);
  });

  it('stops waiting for a late answer after lateMs, and when the stream breaks', () => {
    const { mux, streams } = setup({ lateMs: 3000 });
    const a = conversation(true);
    const b = conversation(true);
    const ida = mux.start(a.c);
    mux.write(ida, { id: ida, body: 'q' });
    vi.advanceTimersByTime(1000);
    const idb = mux.start(b.c);
    mux.write(idb, { id: idb, body: 'q' });
    vi.advanceTimersByTime(1000);
    streams[0].emit('error', new Error('gone'));
    expect(a.seen).toEqual(['timeout', 'late none']);
    expect(b.seen).toEqual(['timeout', 'late none']);
    const { mux: m2, streams: s2 } = setup({ lateMs: 3000 });
    const d = conversation(true);
    const idd = m2.start(d.c);
    m2.write(idd, { id: idd, body: 'q' });
    vi.advanceTimersByTime(4000);
    expect(d.seen).toEqual(['timeout', 'late none']);
    s2[0].answer(idd);
    expect(d.seen).toEqual(['timeout', 'late none']);
  });

  it('lets onTimeout write a last message (an abort) before the conversation ends', () => {
    const { mux, streams } = setup();
    let id = 0;
    id = mux.start({
      onResponse: () => true,
      onBroken: () => undefined,
      onTimeout: () => {
        mux.write(id, { id, body: 'abort' });
        mux.end(id);
      },
    });
    mux.write(id, { id, body: 'start' });
    vi.advanceTimersByTime(1000);
    expect(streams[0].written.map((r) => r.body)).toEqual(['start', 'abort']);
    expect(mux.size).toBe(0);
  });

  it('runs the deadline from each write to the next answer, not over the time between (a client thinking)', () => {
    const { mux, streams } = setup();
    const { c, seen } = conversation();
    const id = mux.start(c);
    mux.write(id, { id, body: 'q' });
    vi.advanceTimersByTime(900);
    streams[0].answer(id, 'more');
    vi.advanceTimersByTime(10_000);
    expect(seen).toEqual(['answer more']);
    mux.write(id, { id, body: 'q2' });
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual(['answer more', 'timeout']);
  });

  it('fails at once, without opening a stream, while the peer is known to be down', async () => {
    let down = true;
    const { mux, streams, why } = setup({ down: () => down });
    const { c, seen } = conversation();
    const id = mux.start(c);
    mux.write(id, { id, body: 'q' });
    expect(seen).toEqual([]); // told on the next tick, after the caller has its id
    await vi.advanceTimersToNextTimerAsync();
    expect(seen).toEqual(['broken']);
    expect(why).toEqual(['down']);
    expect(streams).toHaveLength(0);
    down = false;
    const ok = conversation();
    const id2 = mux.start(ok.c);
    mux.write(id2, { id: id2, body: 'q' });
    streams[0].answer(id2);
    expect(ok.seen).toEqual(['answer ok']);
  });

  it('fails open conversations at once when their stream breaks', () => {
    const { mux, streams, why } = setup();
    const { c, seen } = conversation();
    const id = mux.start(c);
    mux.write(id, { id, body: 'q' });
    streams[0].emit('error', new Error('reset'));
    expect(seen).toEqual(['broken']);
    expect(why).toEqual(['broken']);
    vi.advanceTimersByTime(5000);
    expect(seen).toEqual(['broken']);
  });
});
