// The edge's liveness entry in the "edges" bucket (which has a TTL). Each beat
// is a revision-checked update of the entry the previous beat wrote: when it
// fails, the entry lapsed (the edge stalled or was cut off from NATS for longer
// than EDGE_TTL_MS), so the session service may have ended or detached this
// edge's sessions while their sockets stayed open. The entry is written again
// and onLapse runs (session-audit.ts finds and settles those sessions).
import { Counter } from 'prom-client';
import type { KV } from '@cx/bus';
import type { Logger } from '@cx/log';

const lapses = new Counter({
  name: 'xmpp_edge_heartbeat_lapses_total',
  help: "Heartbeats that found the edge's liveness entry lapsed (its sessions may have been swept)",
});

export interface HeartbeatOptions {
  edgeId: string;
  intervalMs: number;
  payload(): Uint8Array;
  onLapse(): void;
}

/** Writes the entry now, then every intervalMs; returns the stop function. */
export async function startHeartbeat(kv: KV, o: HeartbeatOptions, log: Logger): Promise<() => void> {
  let revision = 0;
  let busy = false;
  const put = async () => (revision = await kv.put(o.edgeId, o.payload()));
  const beat = async () => {
    try {
      revision = await kv.update(o.edgeId, o.payload(), revision);
    } catch (err) {
      // Either NATS is unreachable (the put fails too, the next beat tries again) or the entry is gone.
      await put();
      lapses.inc();
      log.warn({ err: (err as Error).message }, "the liveness entry had lapsed: checking this edge's sessions");
      o.onLapse();
    }
  };
  await put().catch((err: Error) => log.warn({ err: err.message }, 'heartbeat failed'));
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    beat()
      .catch((err: Error) => log.warn({ err: err.message }, 'heartbeat failed'))
      .finally(() => (busy = false));
  }, o.intervalMs);
  return () => clearInterval(timer);
}
