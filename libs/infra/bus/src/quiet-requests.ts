// nats.js (nats-core 3.x) settles every successful request and then cancels
// it, and cancelling rejects the (already resolved) promise with a new
// RequestError: an Error, with its stack trace, thrown away for every KV
// operation. In a login profile that was 5% of the session service's CPU.
// This replaces the success path of RequestOne.resolver with the same steps
// minus the discarded error; failures and timeouts take the original path.
// Applied once, and only when the class has the shape it was written for.
import { RequestOne } from '@nats-io/nats-core/internal';

interface Patched {
  timer?: { cancel(): void };
  deferred: { resolve(v: unknown): void };
  mux: { cancel(r: unknown): void };
}

let applied = false;

export function quietRequests(): boolean {
  if (applied) return true;
  const proto = RequestOne?.prototype as unknown as { resolver?: (err: Error | null, msg: unknown) => void; cancel?: unknown };
  if (typeof proto?.resolver !== 'function' || typeof proto.cancel !== 'function') return false;
  const original = proto.resolver;
  proto.resolver = function (this: Patched, err: Error | null, msg: unknown) {
    if (err || !this.deferred || !this.mux) return original.call(this, err, msg);
    this.timer?.cancel();
    this.deferred.resolve(msg);
    this.mux.cancel(this);
  };
  applied = true;
  return true;
}
