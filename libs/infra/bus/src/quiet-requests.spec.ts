// The request patch keeps nats.js's behaviour: replies resolve, no responders
// and timeouts still reject.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats } from '@cx/stack';
import { quietRequests } from './quiet-requests';

const dir = mkdtempSync(join(tmpdir(), 'cx-quiet-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('quietRequests', () => {
  it('applies, and requests behave as before', async () => {
    expect(quietRequests()).toBe(true);
    nc.subscribe('echo', { callback: (_e, m) => void m.respond(m.data) });
    nc.subscribe('silent', { callback: () => undefined });
    await nc.flush();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => nc.request('echo', String(i), { timeout: 2000 })));
    expect(replies.map((r) => r.string())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    await expect(nc.request('nobody.here', 'x', { timeout: 2000 })).rejects.toThrow();
    await expect(nc.request('silent', 'x', { timeout: 200 })).rejects.toThrow(/timeout/i);
  });
});
