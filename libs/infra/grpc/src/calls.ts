// Promise adapters for unary calls, both sides: servers write handlers as
// async functions (a thrown error is infrastructure trouble: UNAVAILABLE), and
// clients await calls that wait for a restarting peer up to a deadline, or
// fail at once once the peer has been unreachable for that long.
import { status, type Client, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '@cx/log';
import { unreachableFor, waitingMetadata } from './client';
import { serveTraced, withTrace } from './trace-calls';
import { countServerError } from './metrics';

export function unary<Req, Res>(log: Logger, fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>): void => {
    serveTraced(call, fn).then(
      (res) => cb(null, res),
      (err: Error) => {
        log.error({ err }, 'call failed');
        countServerError(call.getPath());
        cb({ code: status.UNAVAILABLE, details: err.message });
      },
    );
  };
}

type UnaryMethod<Req, Res> = (req: Req, md: Metadata, opts: { deadline: number }, cb: (err: Error | null, res: Res) => void) => unknown;

/** The error of a call refused because its peer is unreachable (code UNAVAILABLE, as gRPC's own). */
export class PeerUnreachable extends Error {
  override name = 'PeerUnreachable';
  readonly code = status.UNAVAILABLE;
}

/**
 * A unary call that waits for the peer up to timeoutMs. With `peer` (the
 * method's client), it fails at once once that peer has been unreachable for
 * timeoutMs (a call would only wait for its deadline): a caller that holds
 * others up (the router's Route stream) then answers with an error of type
 * wait at once. A peer restarting within timeoutMs is waited for.
 */
export function call<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, timeoutMs = 10_000, peer?: Client): Promise<Res> {
  if (peer && unreachableFor(peer) >= timeoutMs) return Promise.reject(new PeerUnreachable(`${peer.getChannel().getTarget()} is unreachable`));
  return new Promise((resolve, reject) =>
    method(req, withTrace(waitingMetadata()), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}
