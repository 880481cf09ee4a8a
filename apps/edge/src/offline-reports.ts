// Stored offline messages (XEP-0160) leave the stream xmpp_offline only once
// they reached the client: written to its socket (no stream management) or
// acknowledged by its <a h/> (XEP-0198). The edge sees that moment and tells
// a router (queue group on xmpp.offline-handled), which deletes them and
// gives back their bytes. Reports are batched per user for a moment, and a
// report no router answered is sent again, with pauses, for about a minute;
// one that is still lost after that costs a duplicate at the user's next
// login (the message stays stored), never a loss.
import { subjects, type NatsConnection } from '@cx/bus';
import type { Logger } from '@cx/log';
import { edgev1 } from '@cx/proto';

const BATCH_MS = 20;
const ANSWER_MS = 5000;
/** Pauses between attempts: about a minute in all, a router restart fits. */
const RETRY_MS = [250, 500, 1000, 2000, 4000, 8000, 15000, 30000];

export class OfflineReports {
  private batch = new Map<string, number[]>();
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  /** These stored messages of `bareJid` reached the client. */
  handled(bareJid: string, seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const list = this.batch.get(bareJid);
    if (list) list.push(...seqs);
    else this.batch.set(bareJid, [...seqs]);
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const batch = this.batch;
    this.batch = new Map();
    for (const [bareJid, seqs] of batch) this.track(this.send(edgev1.OfflineHandled.encode({ bareJid, seqs }).finish(), bareJid, seqs.length));
  }

  private async send(data: Uint8Array, bareJid: string, count: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.nc.request(subjects.offlineHandled, data, { timeout: ANSWER_MS });
        return;
      } catch (err) {
        if (attempt >= RETRY_MS.length || this.stopped) {
          this.log.warn(
            { err: (err as Error).message, jid: bareJid, count },
            'no router took the report of delivered offline messages; they stay stored and come again at the next login',
          );
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_MS[attempt]));
      }
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Shutdown: send what is batched and wait (briefly) for the answers. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.flush();
    this.stopped = true;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, ANSWER_MS).unref())]);
  }
}

/** The bare JID of a full JID. */
export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}
