// Trace context on NATS messages: a `traceparent` header, set only when the
// publisher runs in a sampled span (events such as PresenceChanged, SessionEnded).
import { headers, type MsgHdrs, type PublishOptions } from '@nats-io/transport-node';
import { activeTraceparent } from './spans';
import { state } from './state';

/** Publish options carrying the active trace, or undefined (off, or not traced). */
export function tracePublishOptions(): PublishOptions | undefined {
  const tp = activeTraceparent();
  if (!tp) return undefined;
  const h = headers();
  h.set('traceparent', tp);
  return { headers: h };
}

/** The traceparent a received message carries ('' when none, or off). */
export function traceparentFrom(h: MsgHdrs | undefined): string {
  return state.on && h ? h.get('traceparent') : '';
}
