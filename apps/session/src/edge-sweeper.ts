// Ends the sessions of edges that died: each edge refreshes its entry in the
// "edges" bucket (which has a TTL); sessions whose edge has no entry are
// removed and announced as ended (reason "edge-lost"). Any number of session
// replicas may sweep at once; the revision-checked updates make it idempotent.
import { buckets, type Bus, type KV } from '@cx/bus';
import type { Logger } from '@cx/log';
import type { SessionDirectory } from '@cx/session-directory';
import { unbind } from './session-service';

export async function startEdgeSweeper(bus: Bus, kv: KV, directory: SessionDirectory, o: { intervalMs: number; ttlMs: number }, log: Logger): Promise<() => void> {
  const edges = await bus.bucket(buckets.edges, { ttl: o.ttlMs });
  const sweep = async () => {
    const alive = new Set<string>();
    for await (const k of await edges.keys()) alive.add(k);
    for (const [bare, u] of directory.all()) {
      for (const s of u.sessions) {
        if (alive.has(s.edgeId)) continue;
        // Read the edge key directly before acting: keys() may lag a fresh edge.
        if (await edges.get(s.edgeId).then((e) => e?.operation === 'PUT')) continue;
        log.info({ jid: `${bare}/${s.resource}`, edge: s.edgeId }, 'ending session of a lost edge');
        await unbind(`${bare}/${s.resource}`, s.connectionId, 'edge-lost', { bus, kv, directory });
      }
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep().catch((err) => log.warn({ err }, 'edge sweep failed')).finally(() => (running = false));
  }, o.intervalMs);
  return () => clearInterval(timer);
}
