import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Proxy65, type Proxy65Options, type StreamDirectory } from './proxy65';
import { streamHash } from './socks5';

let server: Server | undefined;
let proxy: Proxy65 | undefined;
const others: Array<{ server: Server; proxy: Proxy65 }> = [];
afterEach(() => {
  proxy?.close();
  server?.close();
  for (const o of others.splice(0)) {
    o.proxy.close();
    o.server.close();
  }
});

async function start(o: Partial<Proxy65Options> = {}): Promise<number> {
  proxy = new Proxy65({ maxStreams: 10, bytesPerSec: 0, pendingTimeoutMs: 5000, ...o });
  server = createServer((s) => proxy!.accept(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** A SOCKS5 client up to the CONNECT reply; resolves with the socket and the reply code. */
async function socks(port: number, hash: string): Promise<{ s: Socket; code: number }> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  s.write(Buffer.from([5, 1, 0]));
  s.write(Buffer.concat([Buffer.from([5, 1, 0, 3, hash.length]), Buffer.from(hash), Buffer.from([0, 0])]));
  let got = Buffer.alloc(0);
  while (got.length < 2 + 5 + hash.length + 2) {
    const [chunk] = (await Promise.race([once(s, 'data'), once(s, 'close').then(() => [Buffer.alloc(0)])])) as [Buffer];
    if (!chunk.length) break;
    got = Buffer.concat([got, chunk]);
  }
  return { s, code: got.length > 3 ? got[3] : -1 };
}

function read(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const on = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length >= n) {
        s.off('data', on);
        resolve(got);
      }
    };
    s.on('data', on);
  });
}

describe('XEP-0065 relay', () => {
  const hash = streamHash('sid1', 'a@x/1', 'b@x/2');

  it('joins the two connections of a hash on activation and relays both ways', async () => {
    const port = await start();
    const target = await socks(port, hash);
    const requester = await socks(port, hash);
    expect([target.code, requester.code]).toEqual([0, 0]);
    expect(proxy!.activate('f'.repeat(40))).toBe('not-found');
    expect(proxy!.activate(hash)).toBe('activated');
    requester.s.write('hello');
    expect((await read(target.s, 5)).toString()).toBe('hello');
    target.s.write('back');
    expect((await read(requester.s, 4)).toString()).toBe('back');
    expect(proxy!.streams).toBe(1);
    requester.s.end();
    await once(target.s, 'end');
  });

  it('activates only a hash with both sides, refuses a third connection and streams over the bound', async () => {
    const port = await start({ maxStreams: 1 });
    const one = await socks(port, hash);
    expect(proxy!.activate(hash)).toBe('one-side');
    await socks(port, hash);
    expect((await socks(port, hash)).code).toBe(2);
    expect((await socks(port, 'e'.repeat(40))).code).toBe(1);
    one.s.destroy();
  });

  it('bounds the bytes a second', async () => {
    const port = await start({ bytesPerSec: 20000 });
    const a = await socks(port, hash);
    const b = await socks(port, hash);
    proxy!.activate(hash);
    const t0 = Date.now();
    a.s.write(Buffer.alloc(40000, 1));
    await read(b.s, 40000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
  });

  it('splices a half that reached another proxy to the one holding the first half', async () => {
    // Two proxies behind one address (two edges behind a Service) sharing a directory (NATS KV in the edge).
    const held = new Map<string, number>();
    const dir = (port: () => number): StreamDirectory => ({
      async claim(hash) {
        const at = held.get(hash);
        if (at === undefined || at === port()) {
          held.set(hash, port());
          return null;
        }
        return { host: '127.0.0.1', port: at };
      },
      release: (hash) => void held.delete(hash),
    });
    let portA = 0;
    const a = new Proxy65({ maxStreams: 10, bytesPerSec: 0, pendingTimeoutMs: 5000, directory: dir(() => portA) });
    const serverA = createServer((s) => a.accept(s)).listen(0, '127.0.0.1');
    await once(serverA, 'listening');
    portA = (serverA.address() as { port: number }).port;
    others.push({ server: serverA, proxy: a });
    let portB = 0;
    proxy = new Proxy65({ maxStreams: 10, bytesPerSec: 0, pendingTimeoutMs: 5000, directory: dir(() => portB) });
    server = createServer((s) => proxy!.accept(s)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    portB = (server.address() as { port: number }).port;

    const target = await socks(portA, hash);
    const requester = await socks(portB, hash);
    expect([target.code, requester.code]).toEqual([0, 0]);
    expect(proxy.activate(hash)).toBe('not-found');
    expect(a.activate(hash)).toBe('activated');
    requester.s.write('via b');
    expect((await read(target.s, 5)).toString()).toBe('via b');
    target.s.write('back to b');
    expect((await read(requester.s, 9)).toString()).toBe('back to b');
    expect(held.has(hash)).toBe(false);
    expect(proxy.streams).toBe(1);
    requester.s.destroy();
    await once(target.s, 'close');
  });
});
