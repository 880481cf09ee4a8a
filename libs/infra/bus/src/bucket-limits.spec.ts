// issue 9 #9: a bucket's value bound reaches JetStream, also for a bucket that
// existed before the bound was configured, and the server then refuses a
// larger value (so one user cannot write past it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@cx/log';
import { startNats } from '@cx/stack';
import { connectBus, type Bus } from './connect';
import { encodeKey } from './subjects';

const log = createLogger({ service: 'bucket-limits-test', level: 'fatal' });
const dir = mkdtempSync(join(tmpdir(), 'cx-bucket-limits-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'bucket-limits-test', log });
});

afterAll(async () => {
  await bus?.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bucket limits', () => {
  it('bound an existing bucket, and the server refuses a larger value', async () => {
    const before = await bus.bucket('bl_existing');
    await before.put('a', new Uint8Array(8000));
    const kv = await bus.bucket('bl_existing', { maxValueSize: 4096 });
    expect((await kv.status()).maxValueSize).toBe(4096);
    await expect(kv.put('a', new Uint8Array(5000))).rejects.toThrow(/maximum|size/i);
    await kv.put('a', new Uint8Array(1000));
    expect((await kv.get('a'))?.value.length).toBe(1000);
  });
});

// issue 9 #6: nats-server closes a connection whose protocol line passes 4096
// bytes; a key made from a 4 KB client value must not take the service's
// connection down.
describe('keys from 4 KB values on a real server', () => {
  it('are stored and read back over the same connection, which is never dropped', async () => {
    const statuses: string[] = [];
    void (async () => {
      for await (const s of bus.nc.status()) statuses.push(s.type);
    })();
    const kv = await bus.bucket('bl_keys');
    for (const s of [`urn:${'n'.repeat(4096)}`, `${'é'.repeat(2048)}@localhost`, `${'ü'.repeat(511)}@localhost`]) {
      await kv.put(encodeKey(s), new TextEncoder().encode(s));
      expect(new TextDecoder().decode((await kv.get(encodeKey(s)))?.value)).toBe(s);
    }
    await bus.nc.flush();
    expect(statuses).not.toContain('disconnect');
    expect(bus.connected).toBe(true);
  });
});
