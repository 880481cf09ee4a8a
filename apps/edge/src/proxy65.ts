// The XEP-0065 SOCKS5 proxy's listener (docs/architecture.md, "Calls and
// proxies"): the edge owns client sockets, so it holds the two connections
// of a stream and relays them (@cx/calls Proxy65). The router's proxy65
// module, which answers proxy.<domain>, asks the edges over NATS where the
// proxy listens (one edge answers, queue group) and to activate a stream
// (every edge is asked; the one holding both connections answers).
import { createServer, type Server } from 'node:net';
import { buckets, subjects, type Bus, type KV } from '@cx/bus';
import { Proxy65, type StreamDirectory } from '@cx/calls';
import type { Logger } from '@cx/log';
import { Counter, Gauge, register } from 'prom-client';

const relayed = new Counter({ name: 'xmpp_proxy65_bytes_total', help: 'Bytes relayed by the SOCKS5 bytestreams proxy' });
const activations = new Counter({ name: 'xmpp_proxy65_activations_total', help: 'Streams activated on this edge' });
const refused = new Counter({
  name: 'xmpp_proxy65_refused_total',
  help: 'SOCKS5 connections refused: streams (PROXY65_MAX_STREAMS reached), third (a stream has its two parties), protocol (not SOCKS5 as XEP-0065 uses it)',
  labelNames: ['why'],
});

export interface Proxy65Settings {
  PROXY65_PORT: number;
  PROXY65_HOST: string;
  PROXY65_PUBLIC_HOST: string;
  PROXY65_MAX_STREAMS: number;
  PROXY65_BYTES_PER_SEC: number;
  PROXY65_PENDING_TIMEOUT_S: number;
  PROXY65_INTERNAL_HOST: string;
  XMPP_DOMAIN: string;
}

/** How the other edges reach this one's proxy: PROXY65_INTERNAL_HOST, else the bound address, loopback for a wildcard. */
export function internalHost(c: Proxy65Settings): string {
  if (c.PROXY65_INTERNAL_HOST) return c.PROXY65_INTERNAL_HOST;
  return ['0.0.0.0', '::', ''].includes(c.PROXY65_HOST) ? '127.0.0.1' : c.PROXY65_HOST;
}

/**
 * The directory in NATS KV: the first half's edge creates the key (an atomic
 * create, so two edges never both hold a stream's first half); a second half
 * elsewhere reads where to splice. Keys expire with the pending timeout.
 */
function kvDirectory(kv: KV, self: string, log: Logger): StreamDirectory {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const at = (v: string) => {
    const i = v.lastIndexOf(':');
    return { host: v.slice(0, i), port: Number(v.slice(i + 1)) };
  };
  return {
    async claim(hash) {
      for (let tries = 0; tries < 3; tries++) {
        try {
          await kv.create(hash, enc.encode(self));
          return null;
        } catch {
          const e = await kv.get(hash);
          if (!e || e.operation !== 'PUT') continue; // released meanwhile: try again
          const v = dec.decode(e.value);
          return v === self ? null : at(v);
        }
      }
      return null;
    },
    release(hash) {
      kv.delete(hash).catch((err: Error) => log.warn({ err }, 'proxy65: releasing a stream key failed'));
    },
  };
}

/** Where clients are told to connect: PROXY65_PUBLIC_HOST, else the bound address unless it is a wildcard, else the domain. */
export function advertisedHost(c: Proxy65Settings): string {
  if (c.PROXY65_PUBLIC_HOST) return c.PROXY65_PUBLIC_HOST;
  return ['0.0.0.0', '::', ''].includes(c.PROXY65_HOST) ? c.XMPP_DOMAIN : c.PROXY65_HOST;
}

/** Listen (PROXY65_PORT 0: off) and answer the routers; resolves with how to stop. */
export async function startProxy65(c: Proxy65Settings, bus: Bus, log: Logger): Promise<{ port: number; stop(): Promise<void> } | null> {
  if (!c.PROXY65_PORT) return null;
  const port = c.PROXY65_PORT;
  const kv = await bus.bucket(buckets.proxy65, { ttl: c.PROXY65_PENDING_TIMEOUT_S * 1000 + 5000, maxValueSize: 300 });
  const proxy = new Proxy65({
    directory: kvDirectory(kv, `${internalHost(c)}:${port}`, log),
    maxStreams: c.PROXY65_MAX_STREAMS,
    bytesPerSec: c.PROXY65_BYTES_PER_SEC,
    pendingTimeoutMs: c.PROXY65_PENDING_TIMEOUT_S * 1000,
    events: {
      refused: (why) => refused.inc({ why }),
      activated: () => activations.inc(),
      relayed: (n) => relayed.inc(n),
    },
  });
  const server: Server = createServer((socket) => proxy.accept(socket));
  const bound = await new Promise<Error | null>((resolve) => {
    server.once('error', resolve);
    server.listen(port, c.PROXY65_HOST, () => resolve(null));
  });
  if (bound) {
    // Several edges on one host (another holds the port): the routers ask the edges that listen; this one serves clients as before.
    log.error({ err: bound, port }, 'proxy65: cannot listen; this edge relays no SOCKS5 streams (set PROXY65_PORT per edge, 0: off)');
    return null;
  }
  new Gauge({
    name: 'xmpp_proxy65_streams',
    help: 'SOCKS5 bytestreams (XEP-0065) pending or relaying on this edge',
    collect() {
      this.set(proxy.streams);
    },
  });
  server.on('error', (err) => log.error({ err }, 'proxy65 listener failed'));
  const enc = new TextEncoder();
  const where = bus.nc.subscribe(subjects.proxy65Where, {
    queue: 'proxy65',
    callback: (_e, m) => {
      m.respond(enc.encode(JSON.stringify({ host: advertisedHost(c), port })));
    },
  });
  const activate = bus.nc.subscribe(subjects.proxy65Activate, {
    callback: (_e, m) => {
      let hash = '';
      try {
        hash = String((JSON.parse(new TextDecoder().decode(m.data)) as { hash?: unknown }).hash ?? '');
      } catch {
        return;
      }
      if (proxy.holds(hash)) return void m.respond(enc.encode(JSON.stringify({ result: proxy.activate(hash) })));
      // Not here. When no edge holds it (no key in the directory), every edge may say so at once;
      // when another does, only that one answers.
      if (!/^[0-9a-f]{40}$/.test(hash)) return void m.respond(enc.encode(JSON.stringify({ result: 'not-found' })));
      kv.get(hash)
        .then((e) => {
          if (!e || e.operation !== 'PUT') m.respond(enc.encode(JSON.stringify({ result: 'not-found' })));
        })
        .catch(() => undefined);
    },
  });
  log.info({ port, host: c.PROXY65_HOST, advertised: advertisedHost(c) }, 'proxy65 listening (XEP-0065)');
  return {
    port,
    async stop() {
      where.unsubscribe();
      activate.unsubscribe();
      server.close();
      proxy.close();
      register.removeSingleMetric('xmpp_proxy65_streams');
    },
  };
}
