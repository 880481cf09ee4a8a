// Offline storage (XEP-0160, RFC 6121 §8.5.2.2) against a real nats-server
// with JetStream: order, delay stamps, the per-user limit, concurrent takes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectBus, type Bus } from '@cx/bus';
import { createLogger } from '@cx/log';
import { startNats } from '@cx/stack';
import { jetstreamManager } from '@nats-io/jetstream';
import { x, type Element } from '@cx/xmpp-core';

/** What a hand-over does: read every message, then delete them (here at once, as if the client had them all). */
async function take(s: OfflineStore, user: string) {
  const found = await s.peek(user);
  await s.remove(
    user,
    found.map((f) => f.seq),
  );
  return found.map((f) => f.message);
}
import { OFFLINE_STREAM, OfflineStore, offlineSubject } from './index';

const log = createLogger({ service: 'offline-test', level: 'fatal' });

/** A nats-server of its own in a temporary directory, and connections to it. */
function realNats() {
  const env = { url: '', buses: [] as Bus[] };
  let stop: (() => Promise<void>) | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cx-offline-'));
    const nats = await startNats({ dataDir: dir });
    env.url = nats.url;
    stop = nats.stop;
  });
  afterAll(async () => {
    await Promise.all(env.buses.map((b) => b.close()));
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    async bus(): Promise<Bus> {
      const b = await connectBus({ servers: env.url, name: 'offline-test', log });
      env.buses.push(b);
      return b;
    },
  };
}

const chat = (to: string, body: string, ...extra: Element[]): Element =>
  x('message', { to, from: 'romeo@localhost/orchard', type: 'chat', id: body }, x('body', {}, body), ...extra);

const bodies = (els: Element[]): string[] => els.map((e) => e.getChildText('body') ?? '');

describe('OfflineStore', () => {
  const nats = realNats();
  let bus: Bus;
  let store: OfflineStore;
  beforeAll(async () => {
    bus = await nats.bus();
    store = await OfflineStore.open(bus, { limitPerUser: 100 });
  });

  it('creates the stream with the per-subject discard-new limit', async () => {
    const jsm = await jetstreamManager(bus.nc);
    const { config } = await jsm.streams.info(OFFLINE_STREAM);
    expect(config).toMatchObject({
      subjects: ['xmpp.offline.>'],
      storage: 'file',
      discard: 'new',
      discard_new_per_subject: true,
      max_msgs_per_subject: 100,
      max_age: 30 * 24 * 3600 * 1e9,
      num_replicas: 1,
    });
  });

  it("creates the stream with the bus's replicas (a single server refuses 3)", async () => {
    const r3 = await connectBus({ servers: bus.nc.getServer(), name: 'offline-r3', log, replicas: 3 });
    try {
      const jsm = await jetstreamManager(r3.nc);
      await jsm.streams.delete(OFFLINE_STREAM);
      await expect(OfflineStore.open(r3, { limitPerUser: 100 })).rejects.toThrow(/replicas/i);
      store = await OfflineStore.open(bus, { limitPerUser: 100 });
    } finally {
      await r3.close();
    }
  });

  it('round-trips messages in order with their content and exactly one delay stamp', async () => {
    const user = 'juliet@localhost';
    const sent = [1, 2, 3, 4, 5].map((i) => chat(user, `m${i} <&> ü 😀`, x('thread', {}, 't1')));
    const before = sent[0]!.toString();
    const t0 = Date.now();
    for (const m of sent) expect(await store.store(user, m, 'localhost')).toBe('stored');
    expect(sent[0]!.toString()).toBe(before); // the caller's element is not changed
    expect(await store.count(user)).toBe(5);

    const got = await take(store, user);
    expect(bodies(got)).toEqual(bodies(sent));
    for (const [i, m] of got.entries()) {
      expect(m.attrs).toEqual(sent[i]!.attrs);
      expect(m.getChildText('thread')).toBe('t1');
      const delays = m.getChildren('delay', 'urn:xmpp:delay');
      expect(delays).toHaveLength(1);
      expect(delays[0]!.attrs.from).toBe('localhost');
      const stamp = delays[0]!.attrs.stamp!;
      expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Date.parse(stamp)).toBeGreaterThanOrEqual(t0 - 1000);
      expect(Date.parse(stamp)).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(await store.count(user)).toBe(0);
    expect(await take(store, user)).toEqual([]);
  });

  it('keeps an existing delay instead of adding another', async () => {
    const user = 'nurse@localhost';
    const delayed = chat(user, 'old', x('delay', { xmlns: 'urn:xmpp:delay', from: 'capulet.lit', stamp: '2002-09-10T23:08:25Z' }));
    await store.store(user, delayed, 'localhost');
    const [m] = await take(store, user);
    const delays = m!.getChildren('delay', 'urn:xmpp:delay');
    expect(delays.map((d) => d.attrs)).toEqual([{ xmlns: 'urn:xmpp:delay', from: 'capulet.lit', stamp: '2002-09-10T23:08:25Z' }]);
  });

  it('leaves other users alone and counts per user', async () => {
    const a = 'alice@localhost';
    const b = 'alice@localhost.evil'; // a different user whose JID extends a's
    const c = 'fußball@例え.jp';
    for (let i = 0; i < 3; i++) await store.store(a, chat(a, `a${i}`), 'localhost');
    for (let i = 0; i < 2; i++) await store.store(b, chat(b, `b${i}`), 'localhost');
    await store.store(c, chat(c, 'c0'), 'localhost');
    expect([await store.count(a), await store.count(b), await store.count(c), await store.count('nobody@localhost')]).toEqual([3, 2, 1, 0]);
    expect(bodies(await take(store, a))).toEqual(['a0', 'a1', 'a2']);
    expect([await store.count(a), await store.count(b), await store.count(c)]).toEqual([0, 2, 1]);
    expect(bodies(await take(store, c))).toEqual(['c0']);
    expect(bodies(await take(store, b))).toEqual(['b0', 'b1']);
  });

  it("peeks without removing, and removes only by sequence what is that user's", async () => {
    const [user, other] = ['peek@localhost', 'peek-other@localhost'];
    for (let i = 0; i < 3; i++) await store.store(user, chat(user, `p${i}`), 'localhost');
    await store.store(other, chat(other, 'o0'), 'localhost');
    const seen = await store.peek(user);
    expect(bodies(seen.map((s) => s.message))).toEqual(['p0', 'p1', 'p2']);
    expect(seen.map((s) => s.seq)).toEqual([...seen.map((s) => s.seq)].sort((a, b) => a - b));
    // A second peek (a crash before the client had them) sees them all again.
    expect(bodies((await store.peek(user)).map((s) => s.message))).toEqual(['p0', 'p1', 'p2']);
    const [otherSeq] = (await store.peek(other)).map((s) => s.seq);
    // The other user's sequence is not this user's to remove.
    expect(await store.remove(user, [seen[0]!.seq, seen[2]!.seq, otherSeq!])).toBe(2);
    expect(bodies((await store.peek(user)).map((s) => s.message))).toEqual(['p1']);
    expect(await store.count(other)).toBe(1);
    // Reported twice (a retried report): nothing more to do, not an error.
    expect(await store.remove(user, [seen[0]!.seq, seen[1]!.seq])).toBe(1);
    expect(await store.peek(user)).toEqual([]);
    await take(store, other);
  });

  it('totals the whole queue: messages and users with some', async () => {
    const before = await store.totals();
    const [a, b] = ['totals-a@localhost', 'totals-b@localhost'];
    for (const [u, n] of [
      [a, 2],
      [b, 1],
    ] as const)
      for (let i = 0; i < n; i++) await store.store(u, chat(u, `t${i}`), 'localhost');
    expect(await store.totals()).toEqual({ messages: before.messages + 3, users: before.users + 2 });
    await take(store, a);
    await take(store, b);
    expect(await store.totals()).toEqual(before);
  });

  it('deletes each message once when two routers remove the same hand-over at once, leaving no consumer', async () => {
    const other = await OfflineStore.open(await nats.bus(), { limitPerUser: 100 });
    const user = 'romeo@localhost';
    for (let i = 0; i < 40; i++) await store.store(user, chat(user, `r${i}`), 'localhost');
    const seqs = (await store.peek(user)).map((m) => m.seq);
    const [p, q] = await Promise.all([store.remove(user, seqs), other.remove(user, seqs)]);
    expect(p + q).toBe(40);
    expect(await store.count(user)).toBe(0);
    const jsm = await jetstreamManager(bus.nc);
    expect((await jsm.streams.info(OFFLINE_STREAM)).state.consumer_count).toBe(0);
  });

  it('puts every user on one subject token', () => {
    expect(offlineSubject('juliet@localhost')).toBe('xmpp.offline.juliet=40localhost');
    expect(offlineSubject('a.b>*@x y')).toMatch(/^xmpp\.offline\.[-_=a-zA-Z0-9]+$/);
    expect(() => offlineSubject('')).toThrow();
    // issue 9 #6: a 4 KB JID still makes a subject well under nats-server's 4096-byte protocol line.
    expect(offlineSubject(`${'é'.repeat(2048)}@localhost`)).toMatch(/^xmpp\.offline\.=h[0-9a-f]{64}$/);
  });
});

describe('OfflineStore limits', () => {
  const nats = realNats();

  it("answers 'full' at the limit and stores nothing, even for concurrent stores", async () => {
    const store = await OfflineStore.open(await nats.bus(), { limitPerUser: 3 });
    const user = 'juliet@localhost';
    for (let i = 0; i < 3; i++) expect(await store.store(user, chat(user, `m${i}`), 'localhost')).toBe('stored');
    expect(await store.store(user, chat(user, 'over'), 'localhost')).toBe('full');
    expect(await store.count(user)).toBe(3);
    // Another user still has room.
    expect(await store.store('nurse@localhost', chat('nurse@localhost', 'n'), 'localhost')).toBe('stored');
    expect(bodies(await take(store, user))).toEqual(['m0', 'm1', 'm2']);

    // Two routers storing at once cannot overshoot: the server enforces the limit.
    const second = await OfflineStore.open(await nats.bus(), { limitPerUser: 3 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : second).store(user, chat(user, `c${i}`), 'localhost')));
    expect(results.filter((r) => r === 'stored')).toHaveLength(3);
    expect(results.filter((r) => r === 'full')).toHaveLength(17);
    expect(await store.count(user)).toBe(3);
    expect(await take(store, user)).toHaveLength(3);
    expect(await store.store(user, chat(user, 'room again'), 'localhost')).toBe('stored');
  });

  it('binds to an existing stream and applies changed limits', async () => {
    const bus = await nats.bus();
    await Promise.all([OfflineStore.open(bus, { limitPerUser: 3 }), OfflineStore.open(bus, { limitPerUser: 3 })]);
    const store = await OfflineStore.open(bus, { limitPerUser: 5, maxAgeMs: 60_000 });
    const jsm = await jetstreamManager(bus.nc);
    const { config } = await jsm.streams.info(OFFLINE_STREAM);
    expect(config).toMatchObject({ max_msgs_per_subject: 5, max_age: 60_000 * 1e6, discard: 'new', discard_new_per_subject: true });
    const user = 'paris@localhost';
    for (let i = 0; i < 5; i++) expect(await store.store(user, chat(user, `m${i}`), 'localhost')).toBe('stored');
    expect(await store.store(user, chat(user, 'm5'), 'localhost')).toBe('full');
  });

  it('drops messages older than maxAgeMs', async () => {
    const store = await OfflineStore.open(await nats.bus(), { limitPerUser: 3, maxAgeMs: 300 });
    const user = 'tybalt@localhost';
    await store.store(user, chat(user, 'soon gone'), 'localhost');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await store.count(user)).toBe(0);
    expect(await take(store, user)).toEqual([]);
  });

  it('refuses nonsensical options', async () => {
    const bus = await nats.bus();
    await expect(OfflineStore.open(bus, { limitPerUser: 0 })).rejects.toThrow(/limitPerUser/);
    await expect(OfflineStore.open(bus, { limitPerUser: 2.5 })).rejects.toThrow(/limitPerUser/);
    await expect(OfflineStore.open(bus, { limitPerUser: 1, maxAgeMs: -1 })).rejects.toThrow(/maxAgeMs/);
  });
});

// issue 9 #9: a per-recipient byte bound besides the count, and a bound on the whole stream.
describe('OfflineStore byte bounds', () => {
  const nats = realNats();
  const big = (to: string, id: string, n: number) => chat(to, id, x('data', { xmlns: 'urn:example' }, 'z'.repeat(n)));

  it("answers 'full' past the user's bytes, gives them back when taken, and leaves other users alone", async () => {
    const store = await OfflineStore.open(await nats.bus(), { limitPerUser: 100, maxBytesPerUser: 10_000 });
    const user = 'mercutio@localhost';
    for (let i = 0; i < 4; i++) expect(await store.store(user, big(user, `b${i}`, 2000), 'localhost')).toBe('stored');
    expect(await store.store(user, big(user, 'over', 2000), 'localhost')).toBe('full');
    expect(await store.store(user, chat(user, 'small'), 'localhost')).toBe('stored');
    expect(await store.store('benvolio@localhost', big('benvolio@localhost', 'other', 2000), 'localhost')).toBe('stored');
    expect(bodies(await take(store, user))).toEqual(['b0', 'b1', 'b2', 'b3', 'small']);
    for (let i = 0; i < 4; i++) expect(await store.store(user, big(user, `again${i}`, 2000), 'localhost')).toBe('stored');
  });

  it('gives the bytes back when messages are removed after a peek', async () => {
    const store = await OfflineStore.open(await nats.bus(), { limitPerUser: 100, maxBytesPerUser: 10_000 });
    const user = 'tybalt@localhost';
    for (let i = 0; i < 4; i++) expect(await store.store(user, big(user, `d${i}`, 2000), 'localhost')).toBe('stored');
    expect(await store.store(user, big(user, 'over', 2000), 'localhost')).toBe('full');
    const seen = await store.peek(user);
    expect(await store.store(user, big(user, 'still-over', 2000), 'localhost')).toBe('full'); // a peek frees nothing
    await store.remove(
      user,
      seen.slice(0, 2).map((s) => s.seq),
    );
    for (let i = 0; i < 2; i++) expect(await store.store(user, big(user, `e${i}`, 2000), 'localhost')).toBe('stored');
  });

  it('two routers storing at once do not pass the bound', async () => {
    const [a, b] = await Promise.all([nats.bus(), nats.bus()]);
    const [s1, s2] = await Promise.all([
      OfflineStore.open(a, { limitPerUser: 100, maxBytesPerUser: 10_000 }),
      OfflineStore.open(b, { limitPerUser: 100, maxBytesPerUser: 10_000 }),
    ]);
    const user = 'rosaline@localhost';
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? s1 : s2).store(user, big(user, `c${i}`, 2000), 'localhost')));
    expect(results.filter((r) => r === 'stored')).toHaveLength(4);
    expect(await s1.count(user)).toBe(4);
  });

  it('refuses new messages when the whole stream is at its byte bound', async () => {
    const store = await OfflineStore.open(await nats.bus(), { limitPerUser: 100, maxStreamBytes: 64 * 1024 });
    let last = 'stored';
    for (let i = 0; i < 40 && last === 'stored'; i++) last = await store.store(`u${i}@localhost`, big(`u${i}@localhost`, `s${i}`, 4000), 'localhost');
    expect(last).toBe('full');
  });
});

describe('OfflineStore: nothing stored, answered from the byte totals', () => {
  const nats = realNats();
  const opts = { limitPerUser: 100, maxBytesPerUser: 10_000 };
  /** The stream's message-get of a store, counted (the request a peek makes). */
  const countReads = (s: OfflineStore) => vi.spyOn((s as unknown as { jsm: { streams: { getMessage: () => unknown } } }).jsm.streams, 'getMessage');
  const until = async (ok: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 20));
  };

  it('peeks a user with nothing stored without asking the stream', async () => {
    const store = await OfflineStore.open(await nats.bus(), opts);
    const reads = countReads(store);
    expect(await store.peek('nobody@localhost')).toEqual([]);
    expect(reads).not.toHaveBeenCalled();
  });

  it('sees its own store at once, before its mirror shows it', async () => {
    const store = await OfflineStore.open(await nats.bus(), opts);
    const user = 'juliet@localhost';
    // No wait between store and peek: the mirror may not have the reservation yet.
    expect(await store.store(user, chat(user, 'own'), 'localhost')).toBe('stored');
    expect(bodies((await store.peek(user)).map((m) => m.message))).toEqual(['own']);
  });

  it("sees another router's store once its mirror has it, and nothing again once all is removed", async () => {
    const [a, b] = await Promise.all([nats.bus(), nats.bus()]);
    const [here, there] = await Promise.all([OfflineStore.open(a, opts), OfflineStore.open(b, opts)]);
    const user = 'nurse@localhost';
    expect(await here.peek(user)).toEqual([]);
    expect(await there.store(user, chat(user, 'remote'), 'localhost')).toBe('stored');
    await until(async () => (await here.peek(user)).length > 0);
    const seen = await here.peek(user);
    expect(bodies(seen.map((m) => m.message))).toEqual(['remote']);
    await here.remove(
      user,
      seen.map((m) => m.seq),
    );
    const reads = countReads(here);
    await until(async () => {
      reads.mockClear();
      return (await here.peek(user)).length === 0 && reads.mock.calls.length === 0;
    });
    expect(reads).not.toHaveBeenCalled();
  });

  it('a store made before the router started is found (the mirror starts from the whole bucket)', async () => {
    const early = await OfflineStore.open(await nats.bus(), opts);
    const user = 'capulet@localhost';
    expect(await early.store(user, chat(user, 'before'), 'localhost')).toBe('stored');
    const late = await OfflineStore.open(await nats.bus(), opts);
    expect(bodies((await late.peek(user)).map((m) => m.message))).toEqual(['before']);
  });
});
