// SASL exchanges relayed to the auth service over a few long-lived Exchange
// streams, multiplexed by exchange id. A broken stream fails its exchanges with
// temporary-auth-failure (RFC 6120 §6.5.12).
import type { SaslResult } from '@cx/c2s';
import { DuplexMux, waitingMetadata } from '@cx/grpc';
import type { Logger } from '@cx/log';
import { authv1 } from '@cx/proto';

const REASONS = new Map([
  [authv1.SaslFailureKind.SASL_FAILURE_KIND_CREDENTIALS, 'credentials' as const],
  [authv1.SaslFailureKind.SASL_FAILURE_KIND_REFUSED, 'refused' as const],
]);

function toResult(r: NonNullable<authv1.SaslResponse['result']>): SaslResult {
  if (r.$case === 'challenge') return { kind: 'challenge', data: Buffer.from(r.value) };
  if (r.$case === 'success') return { kind: 'success', username: r.value.username, data: r.value.additionalData ? Buffer.from(r.value.additionalData) : undefined };
  const reason = REASONS.get(r.value.kind);
  const failure: SaslResult = { kind: 'failure', condition: r.value.condition, text: r.value.text || undefined };
  return reason ? { ...failure, reason, username: r.value.username } : failure;
}

export class SaslLink {
  private readonly mux: DuplexMux<authv1.SaslRequest, authv1.SaslResponse>;

  constructor(client: authv1.AuthServiceClient, size: number, log: Logger) {
    this.mux = new DuplexMux('auth.Exchange', () => client.exchange(waitingMetadata()), (res) => res.exchangeId, size, log);
  }

  start(start: authv1.SaslStart, cb: (r: SaslResult) => void): number {
    const id = this.mux.start({
      onResponse: (res) => {
        if (!res.result) return false;
        cb(toResult(res.result));
        return res.result.$case !== 'challenge';
      },
      onBroken: () => cb({ kind: 'failure', condition: 'temporary-auth-failure' }),
    });
    this.mux.write(id, { exchangeId: id, step: { $case: 'start', value: start } });
    return id;
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
