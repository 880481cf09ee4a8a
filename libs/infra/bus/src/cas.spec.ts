// Against a real nats-server: concurrent read-modify-write never loses an update.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startNats } from '@cx/stack';
import { casUpdate, readVersioned } from './cas';
import { connectBus, type Bus } from './connect';

const codec = { decode: (b: Uint8Array) => Number(new TextDecoder().decode(b)), encode: (n: number) => new TextEncoder().encode(String(n)) };
const dir = mkdtempSync(join(tmpdir(), 'cas-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let buses: Bus[];

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  const log = pino({ level: 'silent' });
  buses = await Promise.all([connectBus({ servers: nats.url, name: 'a', log }), connectBus({ servers: nats.url, name: 'b', log })]);
}, 30_000);
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('casUpdate', () => {
  it('counts every one of many concurrent increments from two connections', async () => {
    const [ka, kb] = await Promise.all(buses.map((b) => b.bucket('cas_test')));
    const inc = (n: number | null) => ({ next: (n ?? 0) + 1, result: undefined });
    await Promise.all(Array.from({ length: 40 }, (_, i) => casUpdate(i % 2 ? ka : kb, 'counter', codec, inc)));
    expect((await readVersioned(ka, 'counter', codec)).value).toBe(40);
  }, 30_000);

  it('deletes with null, leaves alone with undefined, and checks a stale guess against a fresh read', async () => {
    const kv = await buses[0].bucket('cas_test');
    await casUpdate(kv, 'k', codec, () => ({ next: 5, result: undefined }));
    expect(await casUpdate(kv, 'k', codec, (n) => ({ next: undefined, result: n }), { value: null, revision: 0 })).toBe(5);
    await casUpdate(kv, 'k', codec, () => ({ next: null, result: undefined }));
    expect((await readVersioned(kv, 'k', codec)).value).toBeNull();
  });

  it('tells the revision of a value it wrote', async () => {
    const kv = await buses[0].bucket('cas_test');
    const seen: number[] = [];
    await casUpdate(
      kv,
      'w',
      codec,
      () => ({ next: 1, result: undefined }),
      undefined,
      (r) => seen.push(r),
    );
    await casUpdate(
      kv,
      'w',
      codec,
      (n) => ({ next: (n ?? 0) + 1, result: undefined }),
      undefined,
      (r) => seen.push(r),
    );
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe((await readVersioned(kv, 'w', codec)).revision);
    expect(seen[1]).toBeGreaterThan(seen[0]);
  });
});
