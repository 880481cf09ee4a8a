// PepStore and CapsCache against a real nats-server with JetStream: the
// per-user bounds, concurrent publishes to one node, account removal, and one
// caps query per ver across routers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, type Bus } from '@cx/bus';
import { createLogger } from '@cx/log';
import { startNats } from '@cx/stack';
import { parseElement } from '@cx/xml-stream';
import type { Element } from '@cx/xmpp-core';
import { CapsCache, FULL, PepStore, publish, type StoredNode } from './index';

const log = createLogger({ service: 'pubsub-test', level: 'fatal' });
let stop: (() => Promise<void>) | undefined;
let dir = '';
let url = '';
const buses: Bus[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cx-pubsub-'));
  const nats = await startNats({ dataDir: dir });
  url = nats.url;
  stop = nats.stop;
});
afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await stop?.();
  rmSync(dir, { recursive: true, force: true });
});
async function bus(): Promise<Bus> {
  const b = await connectBus({ servers: url, name: 'pubsub-test', log });
  buses.push(b);
  return b;
}

const put = (store: PepStore, user: string, node: string, id: string, payload: string, options: Record<string, string> = {}) =>
  store.update(user, node, (cur: StoredNode | null) =>
    publish(cur, { id, payload, options: new Map(Object.entries(options).map(([k, v]) => [`pubsub#${k}`, [v]])), now: 1 }, store.limits.maxItems),
  );

describe('PepStore', () => {
  it('keeps nodes and an index; refuses past PEP_MAX_BYTES and PEP_MAX_NODES, and still takes a smaller write', async () => {
    const store = await PepStore.open(await bus(), { maxBytes: 4000, maxNodes: 2, maxItems: 10 });
    expect(await put(store, 'u1', 'a', '1', '<p/>')).not.toBe(FULL);
    expect(await put(store, 'u1', 'b', '1', '<p/>')).not.toBe(FULL);
    expect(await put(store, 'u1', 'c', '1', '<p/>')).toBe(FULL);
    expect(Object.keys(await store.index('u1')).sort()).toEqual(['a', 'b']);
    expect(await put(store, 'u1', 'a', '2', `<p>${'x'.repeat(5000)}</p>`)).toBe(FULL);
    expect((await store.node('u1', 'a'))?.items.map((i) => i.id)).toEqual(['1']);
    expect(await put(store, 'u1', 'a', '2', '<q/>')).not.toBe(FULL);
    // Under a lowered bound a user over it can still shrink a node, not grow it.
    const lowered = await PepStore.open(await bus(), { maxBytes: 100, maxNodes: 2, maxItems: 10 });
    expect(await put(lowered, 'u1', 'b', '1', '<longer-payload/>')).toBe(FULL);
    expect(await put(lowered, 'u1', 'b', '1', '<s/>')).not.toBe(FULL);
    const idx = await store.index('u1');
    expect(idx.a).toMatchObject({ a: 'presence', l: '2', e: true });
    expect((await store.usage('u1')).nodes).toBe(2);
  });

  it('concurrent publishes to one node (two routers) keep every item', async () => {
    const [s1, s2] = [await PepStore.open(await bus()), await PepStore.open(await bus())];
    await Promise.all(Array.from({ length: 20 }, (_, i) => put(i % 2 ? s1 : s2, 'u2', 'bundles', String(i), `<b n='${i}'/>`, { max_items: 'max' })));
    expect((await s1.node('u2', 'bundles'))?.items.map((i) => i.id).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
  });

  it("another router's cached index follows a change", async () => {
    const [s1, s2] = [await PepStore.open(await bus()), await PepStore.open(await bus())];
    await put(s1, 'u4', 'n1', '1', '<p/>');
    expect(Object.keys(await s2.index('u4'))).toEqual(['n1']);
    await put(s1, 'u4', 'n2', '1', '<p/>');
    for (let i = 0; i < 50 && Object.keys(await s2.index('u4')).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(Object.keys(await s2.index('u4')).sort()).toEqual(['n1', 'n2']);
  });

  it('removeUser deletes every node and the index; other users keep theirs', async () => {
    const store = await PepStore.open(await bus());
    await put(store, 'u3', 'x', '1', '<p/>');
    await put(store, 'u3', 'a.very/odd node', '1', '<p/>');
    await put(store, 'u3x', 'x', '1', '<p/>');
    await store.removeUser('u3');
    expect(await store.index('u3')).toEqual({});
    expect(await store.node('u3', 'x')).toBeNull();
    expect(await store.node('u3', 'a.very/odd node')).toBeNull();
    expect(await store.node('u3x', 'x')).not.toBeNull();
  });
});

describe('CapsCache', () => {
  const caps = { node: 'n', ver: 'QgayPKawpkPSDYmwT/WM94uAlu0=', hash: 'sha-1' };
  const answer = parseElement(`<query xmlns='http://jabber.org/protocol/disco#info'>
      <identity category='client' name='Exodus 0.9.1' type='pc'/>
      <feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>
      <feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/></query>`) as Element;

  it('one router of several asks about a new ver; an answer that hashes right is seen by all', async () => {
    const [c1, c2] = [await CapsCache.open(await bus()), await CapsCache.open(await bus())];
    const asked = await Promise.all([c1.shouldAsk(caps), c2.shouldAsk(caps), c1.shouldAsk(caps)]);
    expect(asked.filter(Boolean)).toHaveLength(1);
    expect(await c2.features(caps)).toBeUndefined();
    expect(await c1.answered({ ...caps, ver: 'wrong' }, answer)).toBe(false);
    expect(await c1.answered(caps, answer)).toBe(true);
    expect([...((await c2.await(caps, 1000)) ?? [])]).toContain('http://jabber.org/protocol/muc');
    expect(await c2.shouldAsk(caps)).toBe(false);
  });
});
