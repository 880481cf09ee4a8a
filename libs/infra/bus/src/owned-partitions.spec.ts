// Against a real nats-server: each partition is handled by one replica at a
// time, in stream order; a replica that hands back (SIGTERM) or goes silent
// (its connection dies, as with SIGKILL) is replaced, and every stored
// message is handled, in order, with none lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startNats } from '@cx/stack';
import { connectBus, type Bus } from './connect';
import { OwnedPartitions } from './owned-partitions';

const dir = mkdtempSync(join(tmpdir(), 'partitions-'));
const log = pino({ level: 'silent' });
let nats: Awaited<ReturnType<typeof startNats>>;
const opened: Bus[] = [];

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
}, 30_000);
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close().catch(() => undefined)));
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

/** One replica: what it handled per partition, in order. */
async function replica(name: string, id: string, keyed = false, partitions = 4) {
  const bus = await connectBus({ servers: nats.url, name: id, log });
  opened.push(bus);
  const handled: Array<{ p: number; n: number; by: string }> = [];
  const owner = await OwnedPartitions.start({
    bus,
    name,
    partitions,
    leaseMs: 600,
    id,
    maxAgeMs: 3600_000,
    maxBytes: 64 * 1024 * 1024,
    log,
    // Keyed: messages of one key (n mod 3) in order, keys side by side; unkeyed: one at a time.
    take: (p, m) => {
      const n = Number(new TextDecoder().decode(m.data));
      return {
        key: keyed ? String(n % 3) : '',
        run: async () => {
          await sleep(Math.random() * 4);
          handled.push({ p, n, by: id });
        },
      };
    },
  });
  return { bus, owner, handled };
}

const owned = (r: { owner: OwnedPartitions }, partitions = 4) => Array.from({ length: partitions }, (_, p) => p).filter((p) => r.owner.owns(p));

describe('OwnedPartitions', () => {
  it('shares the partitions between live replicas, and a handed-back partition goes on in order where it stopped', async () => {
    const a = await replica('t1', 'a');
    await until(() => owned(a).length === 4);
    const b = await replica('t1', 'b');
    await until(() => owned(a).length === 2 && owned(b).length === 2);
    for (let n = 1; n <= 200; n++) a.owner.publish(n % 4, new TextEncoder().encode(String(n)));
    await until(() => a.handled.length + b.handled.length === 200);
    // a stops (SIGTERM): b takes everything at once and goes on.
    await a.owner.stop();
    await until(() => owned(b).length === 4, 3000);
    for (let n = 201; n <= 300; n++) b.owner.publish(n % 4, new TextEncoder().encode(String(n)));
    await until(() => a.handled.length + b.handled.length === 300);
    const all = [...a.handled, ...b.handled];
    for (let p = 0; p < 4; p++) {
      const seen = all.filter((h) => h.p === p).map((h) => h.n);
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect(new Set(seen).size).toBe(75);
    }
    await b.owner.stop();
  }, 30_000);

  it('a replica that goes silent loses its partitions after leaseMs, and nothing stored meanwhile is lost (keys side by side)', async () => {
    const a = await replica('t2', 'a', true);
    await until(() => owned(a).length === 4);
    const b = await replica('t2', 'b', true);
    await until(() => owned(a).length === 2 && owned(b).length === 2);
    for (let n = 1; n <= 100; n++) b.owner.publish(n % 4, new TextEncoder().encode(String(n)));
    await until(() => a.handled.length + b.handled.length === 100);
    // a's connection dies: no renewal, no handing back (as after SIGKILL); b publishes meanwhile.
    await a.bus.close();
    const killedAt = Date.now();
    for (let n = 101; n <= 200; n++) b.owner.publish(n % 4, new TextEncoder().encode(String(n)));
    await until(() => owned(b).length === 4, 5000);
    await until(() => new Set(b.handled.filter((h) => h.n > 100).map((h) => h.n)).size === 100, 5000);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    const after = b.handled.filter((h) => h.n > 100);
    expect(after.length).toBe(100); // each once
    for (let p = 0; p < 4; p++)
      for (let k = 0; k < 3; k++) {
        const seen = after.filter((h) => h.p === p && h.n % 3 === k).map((h) => h.n);
        expect(seen).toEqual([...seen].sort((x, y) => x - y));
      }
    // Before the silence, every message was handled by someone (a few maybe twice).
    expect(new Set([...a.handled, ...b.handled].filter((h) => h.n <= 100).map((h) => h.n)).size).toBe(100);
    await b.owner.stop();
  }, 30_000);
});
