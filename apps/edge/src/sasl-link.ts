// SASL exchanges relayed to the auth service over a few long-lived Exchange
// streams, multiplexed by exchange id. An exchange the auth service cannot
// answer fails with temporary-auth-failure (RFC 6120 §6.5.12: "authentication
// failed because of a temporary error condition within the receiving entity";
// the client may try again later): when its stream breaks, when the service is
// known to be unreachable (at once), or when no answer came within timeoutMs.
// A timed-out exchange is aborted (the abort follows the start on the same
// stream, so the auth service drops it when it gets both) and a late answer,
// success included, is discarded: the client has already been told.
import type { SaslResult } from '@cx/c2s';
import { DuplexMux, unreachableFor, waitingMetadata } from '@cx/grpc';
import type { Logger } from '@cx/log';
import { authv1 } from '@cx/proto';
import { countUnanswered } from './dependency-metrics';

const REASONS = new Map([
  [authv1.SaslFailureKind.SASL_FAILURE_KIND_CREDENTIALS, 'credentials' as const],
  [authv1.SaslFailureKind.SASL_FAILURE_KIND_REFUSED, 'refused' as const],
]);

export const AUTH_UNAVAILABLE = 'the authentication service is unavailable; try again later';

// Counted as a refusal, not a failed attempt: retries during an outage do not end the stream with not-authorized.
const unavailable: SaslResult = { kind: 'failure', condition: 'temporary-auth-failure', text: AUTH_UNAVAILABLE, reason: 'unavailable' };

function toResult(r: NonNullable<authv1.SaslResponse['result']>): SaslResult {
  if (r.$case === 'challenge') return { kind: 'challenge', data: Buffer.from(r.value) };
  if (r.$case === 'success')
    return { kind: 'success', username: r.value.username, data: r.value.additionalData ? Buffer.from(r.value.additionalData) : undefined };
  const reason = REASONS.get(r.value.kind);
  const failure: SaslResult = { kind: 'failure', condition: r.value.condition, text: r.value.text || undefined };
  return reason ? { ...failure, reason, username: r.value.username } : failure;
}

export interface SaslLinkOptions {
  /** Long-lived Exchange streams. */
  size: number;
  /** Deadline of each answer from the auth service (0: none). */
  timeoutMs: number;
  log: Logger;
}

export class SaslLink {
  private readonly mux: DuplexMux<authv1.SaslRequest, authv1.SaslResponse>;
  private readonly down: () => boolean;

  constructor(client: authv1.AuthServiceClient, o: SaslLinkOptions) {
    this.down = () => unreachableFor(client) >= o.timeoutMs;
    this.mux = new DuplexMux({
      name: 'auth.Exchange',
      connect: () => client.exchange(waitingMetadata()),
      idOf: (res) => res.exchangeId,
      size: o.size,
      timeoutMs: o.timeoutMs,
      log: o.log,
      down: this.down,
      onUnanswered: countUnanswered('auth'),
    });
  }

  /** cb gets each answer; each one the client waits for has its own deadline. */
  start(start: authv1.SaslStart, cb: (r: SaslResult) => void): number {
    const id = this.mux.start({
      onResponse: (res) => {
        if (!res.result) return false;
        cb(toResult(res.result));
        return res.result.$case !== 'challenge';
      },
      onBroken: () => cb(unavailable),
      onTimeout: () => {
        this.abort(id);
        cb(unavailable);
      },
    });
    this.mux.write(id, { exchangeId: id, step: { $case: 'start', value: start } });
    return id;
  }

  /** Whether new exchanges fail at once (the service has been unreachable for a deadline). */
  unreachable(): boolean {
    return this.down();
  }

  step(id: number, data: Buffer): void {
    this.mux.write(id, { exchangeId: id, step: { $case: 'response', value: data } });
  }

  abort(id: number): void {
    this.mux.write(id, { exchangeId: id, step: { $case: 'abort', value: true } });
    this.mux.end(id);
  }

  close(): void {
    this.mux.close();
  }
}
