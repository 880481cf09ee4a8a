// Ends the sessions of edges that died: each edge refreshes its entry in the
// "edges" bucket (which has a TTL); sessions whose edge has no entry are
// removed and announced as ended (reason "edge-lost"). A stream-managed
// session (XEP-0198) is detached instead and kept until its resumption
// deadline, so a client can resume it on another edge; detached sessions past
// their deadline end (reason "sm-timeout"). Any number of session replicas may
// sweep at once; the revision-checked updates make it idempotent.
//
// No edge can refresh its entry while NATS is down, so after this replica
// gets its connection back (or starts) it judges no edge for one TTL and a
// sweep interval: every live edge has written its entry again by then. (The
// fault run's NATS restart ended every session without stream management
// before this: their edges were alive, only their entries had lapsed.)
import { buckets, type Bus, type KV } from '@cx/bus';
import type { Logger } from '@cx/log';
import type { SessionDirectory } from '@cx/session-directory';
import { unbind } from './session-service';
import { detach } from './sm-ops';

export async function startEdgeSweeper(
  bus: Bus,
  kv: KV,
  directory: SessionDirectory,
  o: { intervalMs: number; ttlMs: number; resumeTimeoutMs: number },
  log: Logger,
): Promise<() => void> {
  const edges = await bus.bucket(buckets.edges, { ttl: o.ttlMs });
  let judgeFrom = Date.now() + o.ttlMs + o.intervalMs;
  bus.onConnectivity((up) => void (up && (judgeFrom = Date.now() + o.ttlMs + o.intervalMs)));
  const sweep = async () => {
    const judging = Date.now() >= judgeFrom && bus.connected;
    const alive = new Set<string>();
    for await (const k of await edges.keys()) alive.add(k);
    for (const [bare, u] of directory.all()) {
      for (const s of u.sessions) {
        const full = `${bare}/${s.resource}`;
        if (s.detachedUntilMs > 0 && s.detachedUntilMs < Date.now()) {
          log.info({ jid: full }, 'detached session not resumed in time');
          await unbind(full, s.connectionId, 'sm-timeout', { bus, kv, directory });
          continue;
        }
        if (!judging || alive.has(s.edgeId) || s.detachedUntilMs > 0) continue;
        // Read the edge key directly before acting: keys() may lag a fresh edge.
        if (await edges.get(s.edgeId).then((e) => e?.operation === 'PUT')) continue;
        if (s.smId) {
          log.info({ jid: full, edge: s.edgeId }, 'session of a lost edge detached, waiting for a resumption');
          await detach({ fullJid: full, connectionId: s.connectionId, untilMs: Date.now() + o.resumeTimeoutMs }, { bus, kv, directory });
          continue;
        }
        log.info({ jid: full, edge: s.edgeId }, 'ending session of a lost edge');
        await unbind(full, s.connectionId, 'edge-lost', { bus, kv, directory });
      }
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep()
      .catch((err) => log.warn({ err }, 'edge sweep failed'))
      .finally(() => (running = false));
  }, o.intervalMs);
  return () => clearInterval(timer);
}
