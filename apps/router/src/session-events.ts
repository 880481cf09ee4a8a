// Sessions that end while available (socket dropped, edge killed) must be
// announced as unavailable to contacts (RFC 6121 §4.5.2). The session service
// publishes SessionEnded; exactly one router replica handles each event
// (a NATS queue group).
import { sessionEvents, type Bus, type MsgHdrs } from '@cx/bus';
import type { Logger } from '@cx/log';
import type { eventsv1 } from '@cx/proto';
import { continueTrace, SpanKind, traceparentFrom } from '@cx/tracing';

export const ROUTER_QUEUE = 'xmpp-router';

export function onSessionEnded(bus: Bus, handle: (ev: eventsv1.SessionEnded) => Promise<void> | void, log: Logger): () => void {
  const each = (ev: eventsv1.SessionEnded, headers?: MsgHdrs) => {
    const tp = traceparentFrom(headers);
    Promise.resolve(tp ? continueTrace(tp, 'router session-ended', SpanKind.CONSUMER, { 'xmpp.reason': ev.reason }, () => handle(ev)) : handle(ev)).catch((e) =>
      log.error({ err: e, jid: ev.fullJid }, 'handling an ended session failed'),
    );
  };
  return sessionEvents.ended.subscribe(bus.nc, each, { queue: ROUTER_QUEUE, onError: (err) => log.error({ err }, 'session events subscription failed') });
}
