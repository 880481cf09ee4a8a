// Against a real nats-server: a reader that waits for its own write's revision sees every earlier write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startNats } from '@cx/stack';
import { connectBus, type Bus } from '@cx/bus';
import { sessionv1 } from '@cx/proto';
import { SessionDirectory, updateUser, type SessionEntry } from './directory';

const dir = mkdtempSync(join(tmpdir(), 'directory-'));
const log = pino({ level: 'silent' });
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'directory-spec', log });
}, 30_000);
afterAll(async () => {
  await bus.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (resource: string): SessionEntry => sessionv1.SessionEntry.fromPartial({ resource, connectionId: resource, available: true });

describe('SessionDirectory.caughtUp', () => {
  it('resolves once the mirror holds the write of that revision and every one before it', async () => {
    const d = await SessionDirectory.open(bus, log);
    let a = 0;
    let b = 0;
    await updateUser(
      d.kv,
      'a@x',
      () => ({ next: { sessions: [entry('ra')] }, result: undefined }),
      undefined,
      (r) => (a = r),
    );
    await updateUser(
      d.kv,
      'b@x',
      () => ({ next: { sessions: [entry('rb')] }, result: undefined }),
      undefined,
      (r) => (b = r),
    );
    expect(b).toBeGreaterThan(a);
    expect(await d.caughtUp(b)).toBe(true);
    expect(d.cached('a@x')?.sessions[0]?.resource).toBe('ra');
    expect(d.cached('b@x')?.sessions[0]?.resource).toBe('rb');
    expect(await d.caughtUp(b + 1000, 50)).toBe(false); // never written: bounded wait
    d.stop();
  });
});
