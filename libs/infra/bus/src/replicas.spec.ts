// NATS_REPLICAS reaches JetStream: buckets are created with the bus's
// replicas. A single nats-server can hold only R1, so asking it for R3 must
// be refused by the server (which proves the number got there).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@cx/log';
import { startNats } from '@cx/stack';
import { connectBus, type Bus } from './connect';

const log = createLogger({ service: 'replicas-test', level: 'fatal' });
const dir = mkdtempSync(join(tmpdir(), 'cx-replicas-'));
let nats: Awaited<ReturnType<typeof startNats>>;
const buses: Bus[] = [];

async function bus(replicas?: number): Promise<Bus> {
  const b = await connectBus({ servers: nats.url, name: 'replicas-test', log, replicas });
  buses.push(b);
  return b;
}

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
});

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bucket replicas', () => {
  it('default to 1', async () => {
    const b = await bus();
    expect(b.replicas).toBe(1);
    const kv = await b.bucket('r_default');
    expect((await kv.status()).replicas).toBe(1);
  });

  it('are the ones the bus was given, and a single server refuses 3', async () => {
    const b = await bus(3);
    expect(b.replicas).toBe(3);
    await expect(b.bucket('r_three')).rejects.toThrow(/replicas/i);
  });

  it('can still be set per bucket', async () => {
    const kv = await (await bus(3)).bucket('r_override', { replicas: 1 });
    expect((await kv.status()).replicas).toBe(1);
  });
});
