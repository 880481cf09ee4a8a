// The router's presence updates to the session service (SetPresence: initial
// and unavailable presence, directed presence, roster interest, carbons) over
// a few long-lived Sessions streams, multiplexed by request id, instead of a
// unary call each: every login with presence made one, and a unary call costs
// an HTTP/2 stream, headers and a status at both ends (issue 11). The same
// deadline as before (timeoutMs), and a service known unreachable for that
// long fails at once, as call() with its peer did. The trace rides in the
// request (traceparent), as on the other streams.
import { DuplexMux, unreachableFor, waitingMetadata } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { sessionv1 } from '@cx/proto';
import { activeTraceparent } from '@cx/tracing';

export class PresenceLink {
  private readonly mux: DuplexMux<sessionv1.SessionsRequest, sessionv1.SessionsResponse>;

  constructor(client: sessionv1.SessionServiceClient, o: { size: number; timeoutMs: number; log: Logger }) {
    this.mux = new DuplexMux({
      name: 'session.Sessions (presence)',
      connect: () => client.sessions(waitingMetadata()),
      idOf: (res) => res.requestId,
      size: o.size,
      timeoutMs: o.timeoutMs,
      log: o.log,
      down: () => unreachableFor(client) >= o.timeoutMs,
    });
  }

  setPresence(req: sessionv1.SetPresenceRequest): Promise<sessionv1.SetPresenceResponse> {
    return new Promise((resolve, reject) => {
      const id = this.mux.start({
        onResponse: (res) => {
          const r = res.result;
          if (r?.$case === 'setPresence') resolve(r.value);
          else reject(new Error(r?.$case === 'error' ? r.value : `unexpected answer ${r?.$case ?? 'none'}`));
          return true;
        },
        onBroken: () => reject(new Error('the session service is unavailable')),
        onTimeout: () => reject(new Error('the session service did not answer in time')),
      });
      this.mux.write(id, { requestId: id, op: { $case: 'setPresence', value: { ...req, traceparent: activeTraceparent() || undefined } } });
    });
  }

  close(): void {
    this.mux.close();
  }
}
