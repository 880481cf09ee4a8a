// The edges' reports of stored offline messages that reached their client
// (edgev1.OfflineHandled on xmpp.offline-handled, apps/edge/src/offline-reports.ts):
// one router of the queue group deletes them from xmpp_offline, gives back
// their bytes and answers; no answer (a failure, or no router) makes the
// edge ask again. Deleting twice is harmless (already gone counts as done).
import { subjects, type NatsConnection } from '@cx/bus';
import type { Logger } from '@cx/log';
import { edgev1 } from '@cx/proto';

export interface HandledDeps {
  nc: NatsConnection;
  remove(bare: string, seqs: readonly number[]): Promise<unknown>;
  /** After the delete: the router's claims on them end. */
  handled(bare: string, seqs: readonly number[]): void;
  log: Logger;
}

export function followOfflineHandled(d: HandledDeps): () => void {
  const sub = d.nc.subscribe(subjects.offlineHandled, {
    queue: 'router',
    callback: (err, msg) => {
      if (err) return d.log.error({ err }, 'offline report subscription failed');
      let r: edgev1.OfflineHandled;
      try {
        r = edgev1.OfflineHandled.decode(msg.data);
      } catch {
        return void msg.respond(); // undecodable: asking again would not help
      }
      if (!r.bareJid || r.seqs.length === 0) return void msg.respond();
      d.remove(r.bareJid, r.seqs).then(
        () => {
          d.handled(r.bareJid, r.seqs);
          msg.respond();
        },
        (e: Error) => d.log.warn({ err: e.message, jid: r.bareJid, count: r.seqs.length }, 'deleting delivered offline messages failed; the edge asks again'),
      );
    },
  });
  return () => sub.unsubscribe();
}
