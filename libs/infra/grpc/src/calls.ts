// Promise adapters for unary calls, both sides: servers write handlers as
// async functions (a thrown error is infrastructure trouble: UNAVAILABLE), and
// clients await calls that wait for a restarting peer up to a deadline.
import { status, type Metadata, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from '@cx/log';
import { waitingMetadata } from './client';
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

export function call<Req, Res>(method: UnaryMethod<Req, Res>, req: Req, timeoutMs = 10_000): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(req, withTrace(waitingMetadata()), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}
