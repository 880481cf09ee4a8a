// The account-removal stream against a real nats-server: an announced removal
// is pending until a consumer acknowledges it, a retry comes back, a withdrawn
// one is gone, and any username (even one far longer than a NATS subject may
// be) gets a subject of fixed size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats } from '@cx/stack';
import { pino } from 'pino';
import { connectBus, type Bus } from './connect';
import { AccountRemovals, recentRemovals, removalSubject } from './account-removals';

const dir = mkdtempSync(join(tmpdir(), 'cx-removals-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'removals-spec', log: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('AccountRemovals', () => {
  it('keeps a removal pending until it is handled; a retry is delivered again; withdrawn is gone', async () => {
    const r = await AccountRemovals.open(bus);
    expect(await r.pending('alice')).toBe(false);
    const seq = await r.announce({ username: 'bob', keepConnectionId: '', atMs: 0 });
    await r.withdraw(seq);
    expect(await r.pending('bob')).toBe(false);
    await r.announce({ username: 'alice', keepConnectionId: 'c1', atMs: 1 });
    expect(await r.pending('alice')).toBe(true);
    expect(await r.settled('alice', 100)).toBe(false);
    const seen: Array<[string, string, number]> = [];
    const stop = await r.consume(
      'spec',
      async (ev, attempt) => {
        seen.push([ev.username, ev.keepConnectionId, attempt]);
        return attempt < 2 ? { retryInMs: 50 } : 'done';
      },
      () => undefined,
    );
    expect(await r.settled('alice', 5000)).toBe(true);
    expect(seen).toEqual([
      ['alice', 'c1', 1],
      ['alice', 'c1', 2],
    ]);
    await stop();
  });

  it('names every username with a short subject', () => {
    expect(removalSubject('x'.repeat(5000))).toMatch(/^xmpp\.account\.removed\.[0-9a-f]{64}$/);
    expect(removalSubject('a')).not.toBe(removalSubject('b'));
  });

  it('tells every watcher which accounts were removed lately, and forgets them after the window', async () => {
    const r = await AccountRemovals.open(bus);
    const a = recentRemovals(bus, 60_000);
    const short = recentRemovals(bus, 1);
    await bus.nc.flush();
    expect(a.has('carol')).toBe(false);
    await r.announce({ username: 'carol', keepConnectionId: '', atMs: 2 });
    await bus.nc.flush();
    for (let i = 0; i < 50 && !a.has('carol'); i++) await new Promise((res) => setTimeout(res, 10));
    expect(a.has('carol')).toBe(true);
    expect(a.has('dave')).toBe(false);
    await new Promise((res) => setTimeout(res, 5));
    expect(short.has('carol')).toBe(false);
    a.stop();
    short.stop();
  });
});
