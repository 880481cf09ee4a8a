// NATS connectivity in Prometheus, from the connection's status events.
import { Counter, Gauge } from 'prom-client';

export const natsConnected = new Gauge({ name: 'xmpp_nats_connected', help: '1 while this process is connected to NATS, 0 while it is reconnecting' });
const disconnects = new Counter({ name: 'xmpp_nats_disconnects_total', help: 'Times this process lost its NATS connection' });
const reconnects = new Counter({ name: 'xmpp_nats_reconnects_total', help: 'Times this process got its NATS connection back' });
const errors = new Counter({
  name: 'xmpp_nats_errors_total',
  help: 'NATS connection trouble by kind: error (an -ERR from the server), staleConnection (pings unanswered), slowConsumer (a subscription fell behind), ldm (the server is entering lame duck mode)',
  labelNames: ['type'],
});

const ERROR_TYPES = new Set(['error', 'staleConnection', 'slowConsumer', 'ldm']);

/** Account one status event of the connection. */
export function countStatus(type: string): void {
  if (type === 'disconnect') {
    disconnects.inc();
    natsConnected.set(0);
  } else if (type === 'reconnect') {
    reconnects.inc();
    natsConnected.set(1);
  } else if (ERROR_TYPES.has(type)) errors.inc({ type });
}
