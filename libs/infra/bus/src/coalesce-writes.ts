// nats.js (nats-core 3.x) writes to its socket in a microtask after the first
// command queued in a turn. A service answering gRPC messages one by one (the
// session service: a KV write per bind and unbind) then makes one write
// syscall per request: in a login profile, 30% of the session service's CPU
// was those writes. Scheduling the flush with setImmediate instead joins
// everything queued while the event loop handles one batch of I/O into one
// write, at the cost of a wait until the end of that batch (microseconds).
//
// This patches one method of the connection's protocol handler, and only
// when it has the shape of the version this was written for (the package is
// pinned); otherwise the connection is left as it is.
import type { NatsConnection } from '@nats-io/transport-node';

interface Outbound {
  fill(buf: Uint8Array, ...payloads: Uint8Array[]): void;
  size(): number;
}

interface Protocol {
  outbound: Outbound;
  pendingLimit: number;
  flushPending(): void;
  sendCommand(cmd: string | Uint8Array, ...payloads: Uint8Array[]): void;
}

const encoder = new TextEncoder();

export function coalesceWrites(nc: NatsConnection): boolean {
  const p = (nc as unknown as { protocol?: Partial<Protocol> }).protocol;
  if (
    !p ||
    typeof p.sendCommand !== 'function' ||
    typeof p.flushPending !== 'function' ||
    typeof p.outbound?.fill !== 'function' ||
    typeof p.pendingLimit !== 'number'
  )
    return false;
  const proto = p as Protocol;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    proto.flushPending();
  };
  proto.sendCommand = (cmd, ...payloads) => {
    proto.outbound.fill(typeof cmd === 'string' ? encoder.encode(cmd) : cmd, ...payloads);
    if (proto.outbound.size() >= proto.pendingLimit) proto.flushPending();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return true;
}
