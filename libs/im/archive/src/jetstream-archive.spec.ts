// The JetStream archive against a real nats-server: ids in order, paging
// forwards and backwards with first/last/complete, with and time filters,
// unknown ids, two writers on one archive (the chain never forks), quota, purge.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, type Bus } from '@cx/bus';
import { createLogger } from '@cx/log';
import { startNats } from '@cx/stack';
import { jetstreamManager } from '@nats-io/jetstream';
import { archiveSubject, JetStreamArchive, MAM_STREAM, type ArchivePage } from './index';

const log = createLogger({ service: 'archive-test', level: 'fatal' });
const opts = { maxPerUser: 1000, retentionMs: 0, maxMessageBytes: 65536 };
/** Append with a fresh id, as the router does; resolves with the id. */
async function add(arch: JetStreamArchive, user: string, entry: { with: string; xml: string }): Promise<string> {
  const id = arch.nextId();
  await arch.append(user, { id, ...entry });
  return id;
}
const msg = (n: number) => `<message type='chat'><body>${n}</body></message>`;
const bodies = (p: ArchivePage | 'item-not-found'): number[] => {
  if (p === 'item-not-found') throw new Error('item-not-found');
  return p.items.map((i) => Number(/<body>(\d+)</.exec(i.xml)?.[1]));
};

describe('JetStreamArchive', () => {
  let dir = '';
  let stop: (() => Promise<void>) | undefined;
  const buses: Bus[] = [];
  let a: JetStreamArchive;
  let b: JetStreamArchive;
  const ids: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cx-archive-'));
    const nats = await startNats({ dataDir: dir });
    stop = nats.stop;
    for (let i = 0; i < 2; i++) buses.push(await connectBus({ servers: nats.url, name: 'archive-test', log }));
    a = await JetStreamArchive.open(buses[0], opts);
    b = await JetStreamArchive.open(buses[1], opts);
    // Two "routers" appending to one archive at once, interleaved with another user's messages.
    for (let n = 1; n <= 30; n += 2) {
      const [x, y] = await Promise.all([
        add(a, 'u@localhost', { with: n % 4 === 1 ? 'p@localhost/r' : 'q@localhost', xml: msg(n) }),
        add(b, 'u@localhost', { with: n % 4 === 1 ? 'q@localhost/r' : 'p@localhost', xml: msg(n + 1) }),
        add(a, 'other@localhost', { with: 'u@localhost', xml: msg(1000 + n) }),
      ]);
      ids.push(x, y);
    }
  });
  afterAll(async () => {
    await Promise.all(buses.map((x) => x.close()));
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives unique ids and pages forwards to the end', async () => {
    expect(new Set(ids).size).toBe(30);
    const p1 = await a.query('u@localhost', { max: 10 });
    expect(p1 !== 'item-not-found' && p1.complete).toBe(false);
    const all: number[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await b.query('u@localhost', { max: 7, after });
      if (p === 'item-not-found') throw new Error('lost');
      all.push(...bodies(p));
      if (p.complete) break;
      after = p.items[p.items.length - 1].id;
    }
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
  });

  it('pages backwards from the last page through the chain, the same messages in the same order', async () => {
    const fwd = bodies(await a.query('u@localhost', { max: 50 }));
    const back: number[][] = [];
    let before = '';
    for (;;) {
      const p = await a.query('u@localhost', { max: 7, before });
      if (p === 'item-not-found') throw new Error('lost');
      back.unshift(bodies(p));
      if (p.complete) break;
      before = p.items[0].id;
    }
    expect(back.flat()).toEqual(fwd);
    const last = await a.query('u@localhost', { max: 3, before: '' });
    expect(bodies(last)).toEqual(fwd.slice(-3));
    expect(last !== 'item-not-found' && last.complete).toBe(false);
  });

  it('filters by with (bare: every resource; full: that one) and answers item-not-found for ids not in the archive', async () => {
    const p = await a.query('u@localhost', { max: 50, with: 'p@localhost' });
    const pr = await a.query('u@localhost', { max: 50, with: 'p@localhost/r' });
    const q = await a.query('u@localhost', { max: 50, with: 'q@localhost', before: '' });
    expect(bodies(p)).toHaveLength(15);
    expect(bodies(pr).length).toBeGreaterThan(0);
    expect(bodies(pr).length).toBeLessThan(15);
    expect(bodies(q)).toHaveLength(15);
    const theirs = await a.query('other@localhost', { max: 1 });
    const foreign = theirs !== 'item-not-found' ? theirs.items[0].id : '';
    expect(await a.query('u@localhost', { max: 5, after: foreign })).toBe('item-not-found');
    expect(await a.query('u@localhost', { max: 5, before: '999999' })).toBe('item-not-found');
    expect(await a.query('u@localhost', { max: 5, before: 'zzzzz-0123abcd1' })).toBe('item-not-found');
    expect(await a.query('u@localhost', { max: 5, before: '0-0123abcd1' })).toBe('item-not-found');
    expect(await a.query('u@localhost', { max: 5, after: 'x' })).toBe('item-not-found');
  });

  it('pages a with-filter backwards by the skip table, past more peers than it lists', async () => {
    for (let i = 1; i <= 60; i++) {
      const peer = i === 3 || i === 50 ? 'rare@localhost/x' : `p${i % 20}@localhost`;
      await add(i % 2 ? a : b, 'w@localhost', { with: peer, xml: msg(i) });
    }
    expect(bodies(await a.query('w@localhost', { max: 50, with: 'rare@localhost', before: '' }))).toEqual([3, 50]);
    expect(bodies(await b.query('w@localhost', { max: 50, with: 'rare@localhost/x' }))).toEqual([3, 50]);
    const back: number[] = [];
    let before = '';
    for (;;) {
      const p = await a.query('w@localhost', { max: 1, with: 'p5@localhost', before });
      if (p === 'item-not-found') throw new Error('lost');
      back.unshift(...bodies(p));
      if (p.complete) break;
      before = p.items[0].id;
    }
    expect(back).toEqual([5, 25, 45]);
    const fwd: number[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await b.query('w@localhost', { max: 2, with: 'p5@localhost', after });
      if (p === 'item-not-found') throw new Error('lost');
      fwd.push(...bodies(p));
      if (p.complete) break;
      after = p.items[p.items.length - 1].id;
    }
    expect(fwd).toEqual([5, 25, 45]);
    expect(bodies(await a.query('w@localhost', { max: 50, with: 'nobody@localhost', before: '' }))).toEqual([]);
  });

  it('stores a burst to one archive in a few entries and pages it like single ones', async () => {
    const ids = await Promise.all(Array.from({ length: 150 }, (_, i) => add(i % 3 ? a : b, 'burst@localhost', { with: `p${i % 4}@localhost`, xml: msg(i) })));
    expect(new Set(ids).size).toBe(150);
    const jsm = await jetstreamManager(buses[0].nc);
    const subject = archiveSubject('burst@localhost');
    const entries = (await jsm.streams.info(MAM_STREAM, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
    expect(entries).toBeLessThan(150);
    const fwd: number[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await a.query('burst@localhost', { max: 7, after });
      if (p === 'item-not-found') throw new Error('lost');
      fwd.push(...bodies(p));
      if (p.complete) break;
      after = p.items[p.items.length - 1].id;
    }
    expect([...fwd].sort((x, y) => x - y)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    const back: number[] = [];
    let before = '';
    for (;;) {
      const p = await b.query('burst@localhost', { max: 9, before });
      if (p === 'item-not-found') throw new Error('lost');
      back.unshift(...bodies(p));
      if (p.complete) break;
      before = p.items[0].id;
    }
    expect(back).toEqual(fwd);
    const withP2 = await a.query('burst@localhost', { max: 50, with: 'p2@localhost', before: '' });
    expect(bodies(withP2)).toEqual(fwd.filter((n) => n % 4 === 2).slice(-38));
    const withP2f = await a.query('burst@localhost', { max: 5, with: 'p2@localhost' });
    expect(bodies(withP2f)).toEqual(fwd.filter((n) => n % 4 === 2).slice(0, 5));
  });

  it("finds an id given by a replica that was idle while others appended (its floor follows the stream's last sequence)", async () => {
    const idle = await JetStreamArchive.open(buses[1], opts);
    for (let i = 0; i < 300; i++) await add(a, 'z@localhost', { with: 'p@localhost', xml: msg(i) });
    await new Promise((r) => setTimeout(r, 1200));
    const id = await add(idle, 'z@localhost', { with: 'p@localhost', xml: msg(300) });
    const before = await a.query('z@localhost', { max: 1, before: id });
    expect(bodies(before)).toEqual([299]);
  });

  it('filters by time: start pages from there, end stops there', async () => {
    const now = Date.now();
    expect(bodies(await a.query('u@localhost', { max: 50, start: now + 60_000 }))).toEqual([]);
    expect(bodies(await a.query('u@localhost', { max: 50, end: now - 3_600_000 }))).toEqual([]);
    expect(bodies(await a.query('u@localhost', { max: 50, start: now - 3_600_000 }))).toHaveLength(30);
  });

  it('replaces a retracted message by its tombstone in every page, keeping its id and the paging', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await add(i % 2 ? a : b, 'room@conference.localhost', { with: `room@conference.localhost/n${i}`, xml: msg(i) }));
    const tomb = () => '<message><retracted/></message>';
    expect(await b.retract('room@conference.localhost', ids[2], tomb)).toMatchObject({ id: ids[2], xml: msg(3) });
    expect(await a.retract('room@conference.localhost', 'zz-0123abcd1', tomb)).toBe('item-not-found');
    const all = await a.query('room@conference.localhost', { max: 50 });
    if (all === 'item-not-found') throw new Error('lost');
    expect(all.items.map((m) => m.id)).toEqual(ids);
    expect(all.items[2].xml).toBe('<message><retracted/></message>');
    expect(bodies({ ...all, items: all.items.filter((_, i) => i !== 2) })).toEqual([1, 2, 4, 5]);
    const page = await b.query('room@conference.localhost', { max: 2, after: ids[1] });
    if (page === 'item-not-found') throw new Error('lost');
    expect(page.items.map((m) => m.xml)).toEqual(['<message><retracted/></message>', msg(4)]);
    await a.purge('room@conference.localhost');
    await add(a, 'room@conference.localhost', { with: 'room@conference.localhost/n', xml: msg(9) });
    expect(bodies(await b.query('room@conference.localhost', { max: 50 }))).toEqual([9]);
  });

  it('purges one archive and starts it again', async () => {
    await a.purge('other@localhost');
    expect(bodies(await b.query('other@localhost', { max: 50 }))).toEqual([]);
    await add(b, 'other@localhost', { with: 'u@localhost', xml: msg(7) });
    expect(bodies(await a.query('other@localhost', { max: 50, before: '' }))).toEqual([7]);
    expect(bodies(await a.query('u@localhost', { max: 50 }))).toHaveLength(30);
  });
});
