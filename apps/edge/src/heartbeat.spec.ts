// The edge's heartbeat against a real nats-server: a beat that finds the
// liveness entry lapsed (expired by the bucket's TTL while the edge was
// stalled, or removed) says so, writes it again, and goes on quietly after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buckets, connectBus, type Bus, type KV } from '@cx/bus';
import { createLogger } from '@cx/log';
import { startNats } from '@cx/stack';
import { startHeartbeat } from './heartbeat';

const dir = mkdtempSync(join(tmpdir(), 'cx-heartbeat-'));
const log = createLogger({ service: 'heartbeat-test', level: 'fatal' });
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;
let kv: KV;

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'heartbeat-test', log });
  kv = await bus.bucket(buckets.edges, { ttl: 1000 });
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startHeartbeat', () => {
  it('tells of a lapse once when the entry expired or was removed between beats, not while it is refreshed', async () => {
    let lapses = 0;
    const payload = () => new Uint8Array([1]);
    const stop = await startHeartbeat(kv, { edgeId: 'edge-hb', intervalMs: 200, payload, onLapse: () => lapses++ }, log);
    await sleep(700);
    expect(lapses).toBe(0);
    // A sweeper saw no entry (here: it is gone, as after the TTL while the edge was stopped).
    await kv.delete('edge-hb');
    await sleep(500);
    expect(lapses).toBe(1);
    expect((await kv.get('edge-hb'))?.operation).toBe('PUT');
    await sleep(500);
    expect(lapses).toBe(1);
    stop();
    // Stalled past the TTL: the entry expires, and the first beat after finds out.
    let late = 0;
    const stop2 = await startHeartbeat(kv, { edgeId: 'edge-hb2', intervalMs: 2500, payload, onLapse: () => late++ }, log);
    await sleep(2800);
    expect(late).toBe(1);
    stop2();
  }, 15_000);
});
