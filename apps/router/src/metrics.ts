// The router's Prometheus metrics: stanzas routed by kind, how long each took
// from arriving in the router to being routed, and the offline queue.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram } from 'prom-client';
import { routerv1 } from '@cx/proto';

const routed = new Counter({
  name: 'xmpp_router_stanzas_routed_total',
  help: 'Stanzas from client sessions routed, by kind (message, presence, iq)',
  labelNames: ['kind'],
});

const { StanzaKind } = routerv1;
const kinds: Record<number, string> = {
  [StanzaKind.STANZA_KIND_MESSAGE]: 'message',
  [StanzaKind.STANZA_KIND_PRESENCE]: 'presence',
  [StanzaKind.STANZA_KIND_IQ]: 'iq',
};
const byKind = new Map(Object.entries(kinds).map(([k, name]) => [Number(k), routed.labels(name)]));
const otherKind = routed.labels('other');

const latency = new Histogram({
  name: 'xmpp_router_stanza_seconds',
  help: 'Time from a stanza arriving at the router (in a batch from an edge) to its being routed: waiting behind the stanzas before it on its stream, session lookups, offline storage, server modules; its deliveries are published to NATS at the end of that event-loop turn',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** A stanza of kind `kind`, received at `receivedAt` (performance.now()), is routed. */
export function countRouted(kind: number, receivedAt: number): void {
  (byKind.get(kind) ?? otherKind).inc();
  latency.observe((performance.now() - receivedAt) / 1000);
}

type Totals = { messages: number; users: number };
let offlineTotals: (() => Promise<Totals>) | undefined;
let lastTotals: Promise<Totals | undefined> | undefined;

/** One stream info request per scrape (shared by both gauges), given up on after a second (NATS down: the last values stay). */
async function sampleOffline(): Promise<Totals | undefined> {
  if (!offlineTotals) return undefined;
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref());
  return Promise.race([offlineTotals().catch(() => undefined), timeout]);
}

function offlineGauge(name: string, help: string, pick: (t: Totals) => number): Gauge {
  return new Gauge({
    name,
    help,
    async collect() {
      lastTotals ??= sampleOffline().finally(() => setImmediate(() => (lastTotals = undefined)));
      const t = await lastTotals;
      if (t) this.set(pick(t));
    },
  });
}

offlineGauge(
  'xmpp_offline_messages',
  'Offline messages stored (JetStream stream xmpp_offline), read when scraped; every router replica reports the same queue',
  (t) => t.messages,
);
offlineGauge('xmpp_offline_users', 'Users with offline messages stored, read when scraped; every router replica reports the same queue', (t) => t.users);

/** Where the offline gauges read the queue's totals. */
export function measureOfflineQueue(totals: () => Promise<Totals>): void {
  offlineTotals = totals;
}

const storeRejections = new Counter({
  name: 'xmpp_router_store_rejections_total',
  help: 'Writes refused because they would exceed a per-user storage bound, by store (roster, subscription-request, private, vcard, blocklist, offline, pep, upload-size and upload-quota: slots refused)',
  labelNames: ['store'],
});

/** A write to `store` was refused (or, for subscription requests, dropped) at its bound. */
export function countStoreRejection(store: string): void {
  storeRejections.inc({ store });
}

const removals = new Counter({
  name: 'xmpp_router_account_removals_total',
  help: 'Account removals handled (every removeUser hook run), by result: removed, not-removed (announced but the account stayed), failed (a hook failed; retried)',
  labelNames: ['result'],
});

export function countRemoval(result: 'removed' | 'not-removed' | 'failed'): void {
  removals.labels(result).inc();
}

const resent = new Counter({
  name: 'xmpp_router_resent_batches_total',
  help: 'Batches an edge sent again after its Route stream broke before their confirmation: dropped (handled by this router already) or routed',
  labelNames: ['outcome'],
});
const resentDropped = resent.labels('dropped');
const resentRouted = resent.labels('routed');

export function countResent(dropped: boolean): void {
  (dropped ? resentDropped : resentRouted).inc();
}

const lost = new Counter({
  name: 'xmpp_router_lost_deliveries_total',
  help: 'Deliveries to an edge nobody reads (gone), routed again as undeliverable (RFC 6121: another resource, offline, or an error)',
});

export function countLost(n: number): void {
  lost.inc(n);
}

const mamArchived = new Counter({
  name: 'xmpp_router_mam_archived_total',
  help: "Messages archived (XEP-0313), by side: sent (the sender's archive) or received (the recipient's)",
  labelNames: ['side'],
});

export function countMamArchived(side: 'sent' | 'received'): void {
  mamArchived.inc({ side });
}

const mamQuery = new Histogram({
  name: 'xmpp_router_mam_query_seconds',
  help: 'Time to read one page of a message archive (XEP-0313 query)',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
});

export function observeMamQuery(seconds: number): void {
  mamQuery.observe(seconds);
}

let archiveTotals: (() => Promise<{ messages: number; archives: number }>) | undefined;

for (const [name, help, pick] of [
  [
    'xmpp_mam_messages',
    'Entries in the message archives (JetStream stream xmpp_mam; one message each, a burst to one archive shares one), read when scraped; every router replica reports the same',
    'messages',
  ],
  ['xmpp_mam_archives', 'Users with a non-empty message archive, read when scraped; every router replica reports the same', 'archives'],
] as const) {
  new Gauge({
    name,
    help,
    async collect() {
      if (!archiveTotals) return;
      const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref());
      const t = await Promise.race([archiveTotals().catch(() => undefined), timeout]);
      if (t) this.set(t[pick]);
    },
  });
}

/** Where the archive gauges read their totals. */
export function measureArchive(totals: () => Promise<{ messages: number; archives: number }>): void {
  archiveTotals = totals;
}

const extdisco = new Counter({
  name: 'xmpp_router_extdisco_total',
  help: 'XEP-0215 requests answered, by request (services, credentials) and whether TURN credentials were handed out',
  labelNames: ['request', 'credentials'],
});

/** An external-services request answered (router module extdisco). */
export function countExtdisco(request: 'services' | 'credentials', credentials: boolean): void {
  extdisco.inc({ request, credentials: String(credentials) });
}
