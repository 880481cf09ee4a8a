// The edge's side of a SASL exchange (RFC 6120 §6): the per-address bound on
// failed attempts before anything goes to the auth service, the request with
// what only the connection knows (its address, TLS channel bindings), and the
// per-stream bounds the machine enforces, counted for the metrics.
import { TLSSocket } from 'node:tls';
import type { C2sState, SaslResult } from '@cx/c2s';
import { channelBindings } from './channel-binding';
import type { IpLimits } from './ip-limits';
import { limitsHit } from './limit-metrics';
import type { SaslLink } from './sasl-link';
import type { Wire } from './wire';

export interface SaslStartOptions {
  sasl: SaslLink;
  limits?: IpLimits;
  mechanism: string;
  initial: Buffer | null;
  domain: string;
  secure: boolean;
  /** The client's address. */
  remote: string;
  socket: Wire;
  /** Each result, to be fed to the machine. */
  result(r: SaslResult): void;
}

/** Starts the exchange and returns its id, or 0 if the address must wait (the failure went to `result`). */
export function startSasl(o: SaslStartOptions): number {
  const wait = o.limits?.authBlockedFor(o.remote) ?? 0;
  if (wait > 0) {
    limitsHit.inc({ limit: 'auth-failures-per-ip' });
    o.result({
      kind: 'failure',
      condition: 'temporary-auth-failure',
      text: `too many failed attempts from your address; try again in ${Math.ceil(wait / 1000)} s`,
    });
    return 0;
  }
  const request = {
    mechanism: o.mechanism,
    initialResponse: o.initial ?? undefined,
    domain: o.domain,
    secure: o.secure,
    clientAddress: o.remote,
    channelBindings: o.socket instanceof TLSSocket ? channelBindings(o.socket) : [],
  };
  return o.sasl.start(request, (result) => {
    // Only failed password proofs count per address, and a user who then succeeds takes back his own.
    if (result.kind === 'failure' && result.reason === 'credentials') o.limits?.authFailed(o.remote, result.username ?? '');
    else if (result.kind === 'success') o.limits?.authSucceeded(o.remote, result.username);
    o.result(result);
  });
}

/** Counts a stream closed for its SASL attempts (RFC 6120 §6.4.5): too many failures, or too many refused choices. */
export function countSaslLimit(prev: C2sState, next: C2sState): void {
  if (next.name !== 'closed' || prev.name === 'closed') return;
  // The machine's own counters say which bound closed the stream.
  if ((next.authRefusals ?? 0) > (prev.authRefusals ?? 0)) limitsHit.inc({ limit: 'auth-refusals-per-stream' });
  else if (next.authFailures > prev.authFailures) limitsHit.inc({ limit: 'auth-failures-per-stream' });
}
