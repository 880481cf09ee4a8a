// The Deliverer against a real nats-server: a core batch to an edge subject
// nobody reads ends in onLost (after its retries), one to a live edge does
// not; stream-managed batches are stored even when published while
// nats-server is down, and durable() waits for them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, edgeChannel, type Bus } from '@cx/bus';
import { createLogger } from '@cx/log';
import type { edgev1 } from '@cx/proto';
import { SmStore, smSubject } from '@cx/sm';
import { startNats } from '@cx/stack';
import { Deliverer } from './deliverer';
import { StanzaKind } from '@cx/stanza';

const MESSAGE = StanzaKind.STANZA_KIND_MESSAGE;

const dir = mkdtempSync(join(tmpdir(), 'cx-deliverer-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;
let store: SmStore;
const xml = (n: number) => Buffer.from(`<message id="${n}"/>`);

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'deliverer-test', log: createLogger({ service: 'deliverer-test', level: 'fatal' }) });
  store = await SmStore.open(bus, 60_000);
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Deliverer', () => {
  it('hands core deliveries to an edge nobody reads to onLost', { timeout: 15_000 }, async () => {
    const d = new Deliverer(bus.nc);
    const lost: { edge: string; ids: string[] }[] = [];
    d.onLost = (edge, deliveries) => lost.push({ edge, ids: deliveries.map((x) => x.xml.toString()) });
    const t0 = Date.now();
    d.deliver('dead', 'c1', 'a@b/c', xml(1), MESSAGE);
    d.deliver('dead', 'c1', 'a@b/c', xml(2), MESSAGE);
    while (lost.length === 0 && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 50));
    expect(lost).toEqual([{ edge: 'dead', ids: ['<message id="1"/>', '<message id="2"/>'] }]);
    expect(Date.now() - t0).toBeGreaterThan(2500); // retried for ~3 s first
    expect(Date.now() - t0).toBeLessThan(6000);
  });

  it('does not call onLost for an edge that reads its subject, nor for one that subscribes during the retries', { timeout: 15_000 }, async () => {
    const d = new Deliverer(bus.nc);
    const lost: string[] = [];
    d.onLost = (edge) => lost.push(edge);
    const got: string[] = [];
    const take = (m: edgev1.EdgeMessage) => void got.push(...m.deliveries.map((x) => x.xml.toString()));
    const stopLive = edgeChannel.subscribe(bus.nc, 'live', take, { onError: () => undefined });
    d.deliver('live', 'c1', 'a@b/c', xml(1), MESSAGE);
    d.deliver('late', 'c1', 'a@b/c', xml(2), MESSAGE);
    await new Promise((r) => setTimeout(r, 500));
    const stopLate = edgeChannel.subscribe(bus.nc, 'late', take, { onError: () => undefined });
    await new Promise((r) => setTimeout(r, 4500));
    stopLive();
    stopLate();
    expect(lost).toEqual([]);
    // Delivered batches are forgotten once the turn's PING is answered, not after a timeout.
    expect((d as unknown as { core: { size: number } }).core.size).toBe(0);
    expect(got.sort()).toEqual(['<message id="1"/>', '<message id="2"/>']);
  });

  it('stores stream-managed deliveries and in-acks published while nats-server is down; durable() waits for them', { timeout: 30_000 }, async () => {
    const d = new Deliverer(bus.nc);
    const before = await store.lastSeq('sm1');
    d.deliver('sm1', 'c1', 'a@b/c', xml(1), MESSAGE, true);
    await d.durable();
    nats.child.kill('SIGKILL');
    await new Promise((r) => nats.child.once('exit', r));
    d.deliver('sm1', 'c1', 'a@b/c', xml(2), MESSAGE, true);
    d.inAck('sm1', 'c1', 7);
    let stored = false;
    const durable = d.durable().then(() => (stored = true));
    await new Promise((r) => setTimeout(r, 1000));
    expect(stored).toBe(false);
    nats = await startNats({ dataDir: dir, port: nats.port });
    await Promise.race([durable, new Promise((r) => setTimeout(r, 15_000))]);
    expect(stored).toBe(true);
    const msgs: edgev1.EdgeMessage[] = [];
    await store.read('sm1', before, ({ msg }) => void msgs.push(msg));
    expect(msgs.flatMap((m) => m.deliveries.map((x) => x.xml.toString()))).toEqual(['<message id="1"/>', '<message id="2"/>']);
    expect(msgs.flatMap((m) => m.inAcks)).toEqual([{ connectionId: 'c1', h: 7 }]);
    expect(smSubject('sm1')).toBe('xmpp.sm.sm1');
  });
});
