// The two nats.js patches against a real nats-server. coalesceWrites: applied
// to a connection, commands from one turn go out in one socket write, and
// requests and publishes still work. quietRequests: replies resolve, no
// responders and timeouts still reject.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNats } from '@cx/stack';
import { coalesceWrites } from './coalesce-writes';
import { quietRequests } from './quiet-requests';

const dir = mkdtempSync(join(tmpdir(), 'cx-nats-patches-'));
let nats: Awaited<ReturnType<typeof startNats>>;
// One connection per patch: coalesceWrites changes its connection, quietRequests the class for all.
let nc: NatsConnection;
let nc2: NatsConnection;

beforeAll(async () => {
  nats = await startNats({ dataDir: dir });
  nc = await connect({ servers: nats.url });
  nc2 = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nc2?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('coalesceWrites', () => {
  it('leaves an object of another shape alone', () => {
    expect(coalesceWrites({} as NatsConnection)).toBe(false);
  });

  it('joins one turn of commands into one socket write, and messages still flow', async () => {
    expect(coalesceWrites(nc)).toBe(true);
    const got: string[] = [];
    const sub = nc.subscribe('t.>', { callback: (_e, m) => void got.push(m.string()) });
    nc.subscribe('echo', { callback: (_e, m) => void m.respond(m.data) });
    await nc.flush();
    const transport = (nc as unknown as { protocol: { transport: { send(d: Uint8Array): void } } }).protocol.transport;
    const send = transport.send.bind(transport);
    let writes = 0;
    transport.send = (d) => {
      writes++;
      send(d);
    };
    // Fifty separate callbacks of one event-loop turn, like fifty gRPC messages
    // read at once: unpatched, each would flush in its own microtask.
    await new Promise<void>((done) => {
      for (let i = 0; i < 50; i++) setImmediate(() => nc.publish(`t.${i}`, String(i)));
      setImmediate(() => setImmediate(done));
    });
    expect(writes).toBe(1);
    const reply = await nc.request('echo', 'ping', { timeout: 2000 });
    expect(reply.string()).toBe('ping');
    await nc.flush();
    expect(got).toHaveLength(50);
    sub.unsubscribe();
  });
});

describe('quietRequests', () => {
  it('applies, and requests behave as before', async () => {
    expect(quietRequests()).toBe(true);
    nc2.subscribe('echo', { callback: (_e, m) => void m.respond(m.data) });
    nc2.subscribe('silent', { callback: () => undefined });
    await nc2.flush();
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => nc2.request('echo', String(i), { timeout: 2000 })));
    expect(replies.map((r) => r.string())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    await expect(nc2.request('nobody.here', 'x', { timeout: 2000 })).rejects.toThrow();
    await expect(nc2.request('silent', 'x', { timeout: 200 })).rejects.toThrow(/timeout/i);
  });
});
