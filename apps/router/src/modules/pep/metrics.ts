// The PEP module's Prometheus metrics (bytes refused at the per-user bound
// count in xmpp_router_store_rejections_total{store="pep"}).
import { Counter } from 'prom-client';

const requests = new Counter({
  name: 'xmpp_router_pep_requests_total',
  help: 'PEP (XEP-0163) requests handled, by action (publish, items, retract, configure, delete, purge, subscribe, ...) and result (ok, error)',
  labelNames: ['action', 'result'],
});

const notifications = new Counter({
  name: 'xmpp_router_pep_notifications_total',
  help: 'PEP event messages sent to sessions (notifications, last published items)',
});

const capsQueries = new Counter({
  name: 'xmpp_router_caps_queries_total',
  help: 'XEP-0115 caps disco#info queries to clients, by outcome (asked, recorded, unverified)',
  labelNames: ['outcome'],
});

/** The actions counted by name (a label from a client's element name would be unbounded). */
const ACTIONS = new Set(
  ['publish', 'items', 'retract', 'create', 'subscribe', 'unsubscribe', 'subscriptions', 'affiliations', 'options', 'default']
    .flatMap((a) => [a, `owner-${a}`])
    .concat(['configure', 'delete', 'purge'].map((a) => `owner-${a}`)),
);

export function countRequest(action: string, ok: boolean): void {
  requests.inc({ action: ACTIONS.has(action) ? action : 'other', result: ok ? 'ok' : 'error' });
}

export function countNotifications(n: number): void {
  if (n) notifications.inc(n);
}

export function countCapsQuery(outcome: 'asked' | 'recorded' | 'unverified'): void {
  capsQueries.inc({ outcome });
}
