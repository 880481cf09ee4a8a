// The stream-management store against a real nats-server: reading an edge's
// subject finishes even when what it expected to read was purged meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, type Bus } from '@cx/bus';
import { createLogger } from '@cx/log';
import { startNats } from '@cx/stack';
import { SmStore } from './store';

const dir = mkdtempSync(join(tmpdir(), 'cx-smstore-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;
let store: SmStore;

const delivery = (n: number) => ({ deliveries: [{ connectionId: 'c1', to: 'a@b/c', xml: Buffer.from(`<message id="${n}"/>`), kind: 1, traceparent: '' }], kicks: [], inAcks: [] });

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'sm-store-test', log: createLogger({ service: 'sm-store-test', level: 'fatal' }) });
  store = await SmStore.open(bus, 60_000);
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function publish(edge: string, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) store.publish(edge, delivery(n));
  await bus.nc.flush();
}

describe('SmStore.read', () => {
  it('reads every message after a sequence, then stops', async () => {
    await publish('e1', 1, 3);
    const seen: number[] = [];
    const newest = await store.read('e1', 0, ({ seq }) => void seen.push(seq));
    expect(seen).toHaveLength(3);
    expect(newest).toBe(seen[2]);
    expect(await store.read('e1', newest, () => undefined)).toBe(newest);
  });

  it('finishes when the newest message it expected was purged before it got there', async () => {
    await publish('e2', 1, 3);
    const real = await store.lastSeq('e2');
    // As if more messages had been stored and then purged by the edge while this read started.
    const stale = Object.create(store) as SmStore;
    stale.lastSeq = async () => real + 10;
    const seen: number[] = [];
    const t0 = Date.now();
    await stale.read('e2', 0, ({ seq }) => void seen.push(seq));
    expect(seen).toHaveLength(3);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('purges an edge subject below a sequence', async () => {
    await publish('e3', 1, 4);
    const last = await store.lastSeq('e3');
    await store.purgeBelow('e3', last);
    const seen: number[] = [];
    await store.read('e3', 0, ({ seq }) => void seen.push(seq));
    expect(seen).toEqual([last]);
  });
});
