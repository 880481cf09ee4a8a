// The Exchange stream: many SASL exchanges multiplexed on one long-lived gRPC
// stream per edge, each with its mechanism state held here until it ends.
// The edge passes the connection's channel bindings (SCRAM-PLUS); failures
// per account feed the back-off in auth-failures.ts.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { StreamWork, type OpenStreams } from '@cx/grpc';
import { authv1 } from '@cx/proto';
import { findMechanism, type CredentialSource, type SaslContext, type SaslStep, type ServerExchange } from '@cx/sasl';
import { boundedLocal } from './usernames';
import type { Logger } from '@cx/log';
import { watchedSource, type AccountFailures, type WatchedSource } from './auth-failures';

/** What a failure counts toward, for the edge (per stream, per address) and the per-account back-off. */
const KINDS = { credentials: authv1.SaslFailureKind.SASL_FAILURE_KIND_CREDENTIALS, refused: authv1.SaslFailureKind.SASL_FAILURE_KIND_REFUSED } as const;

export interface ExchangeDeps {
  domain: string;
  offered: (secure: boolean) => string[];
  source: CredentialSource;
  /** The source for one exchange, when it depends on the connection (the LDAP SCRAM cache learns only over TLS). */
  sourceFor?: (start: authv1.SaslStart) => CredentialSource;
  log: Logger;
  streams: OpenStreams;
  onResult?: (mechanism: string, outcome: string) => void;
  /** After a successful login (the prepared username). */
  onSuccess?: (username: string) => void;
  /** Per-account back-off; absent: none. */
  failures?: AccountFailures;
  /** NATS is reachable; while it is not, a login could not finish (no binding), so it fails at once. */
  busUp?: () => boolean;
}

/** The mechanism's view of the connection: its channel bindings, and whether -PLUS was advertised on it. */
function saslContext(s: authv1.SaslStart, deps: ExchangeDeps): SaslContext {
  const channelBindings = s.channelBindings.map((b) => ({ type: b.type, data: Buffer.from(b.data) }));
  const plusAdvertised = channelBindings.length > 0 && deps.offered(s.secure).some((m) => m.endsWith('-PLUS'));
  return { domain: deps.domain, channelBindings, plusAdvertised };
}

interface Live {
  ex: ServerExchange;
  mechanism: string;
  account?: WatchedSource;
}

/** Feed the outcome to the per-account back-off (only a failed password proof counts). */
function record(deps: ExchangeDeps, cur: Live | undefined, step: SaslStep): void {
  const user = cur?.account?.username;
  if (!deps.failures || user === undefined) return;
  if (step.kind === 'success') deps.failures.succeeded(user);
  else if (step.kind === 'failure' && step.reason === 'credentials') deps.failures.failed(user);
}

function failureOf(step: Extract<SaslStep, { kind: 'failure' }>): authv1.SaslFailure {
  const kind = step.reason ? KINDS[step.reason] : authv1.SaslFailureKind.SASL_FAILURE_KIND_OTHER;
  const username = step.reason === 'credentials' ? (boundedLocal(step.username ?? '') ?? '') : '';
  return { condition: step.condition, text: step.text ?? '', kind, username };
}

type Stream = ServerDuplexStream<authv1.SaslRequest, authv1.SaslResponse>;

export function handleExchangeStream(call: Stream, deps: ExchangeDeps): void {
  const live = new Map<number, Live>();
  const work = new StreamWork(deps.streams, () => call.end());

  const reply = (exchangeId: number, mechanism: string, step: SaslStep): void => {
    if (step.kind === 'challenge') return void call.write({ exchangeId, result: { $case: 'challenge', value: step.data } });
    record(deps, live.get(exchangeId), step);
    live.delete(exchangeId);
    if (step.kind === 'failure') {
      deps.onResult?.(mechanism, step.condition);
      deps.log.info({ mechanism, condition: step.condition, reason: step.reason }, 'authentication failed');
      return void call.write({ exchangeId, result: { $case: 'failure', value: failureOf(step) } });
    }
    const username = boundedLocal(step.username);
    if (!username) return reply(exchangeId, mechanism, { kind: 'failure', condition: 'not-authorized' });
    if (step.authzid && step.authzid !== `${username}@${deps.domain}` && step.authzid !== username) {
      return reply(exchangeId, mechanism, { kind: 'failure', condition: 'invalid-authzid' });
    }
    deps.onResult?.(mechanism, 'success');
    deps.onSuccess?.(username);
    deps.log.info({ mechanism, username }, 'authenticated');
    call.write({ exchangeId, result: { $case: 'success', value: { username, additionalData: step.data } } });
  };

  const run = (id: number, mechanism: string, p: Promise<SaslStep>): void => {
    work.run(p).then(
      (step) => reply(id, mechanism, step),
      (err) => {
        deps.log.error({ err, mechanism }, 'SASL step failed');
        reply(id, mechanism, { kind: 'failure', condition: 'temporary-auth-failure' });
      },
    );
  };

  call.on('data', (req: authv1.SaslRequest) => {
    const id = req.exchangeId;
    const step = req.step;
    if (!step) return;
    if (step.$case === 'abort') return void live.delete(id);
    if (step.$case === 'start') {
      const s = step.value;
      if (deps.busUp?.() === false)
        return reply(id, s.mechanism, { kind: 'failure', condition: 'temporary-auth-failure', text: 'the server is partly unavailable; try again later' });
      const mech = findMechanism(s.mechanism);
      if (!mech || !deps.offered(s.secure).includes(s.mechanism)) return reply(id, s.mechanism, { kind: 'failure', condition: 'invalid-mechanism' });
      const source = deps.sourceFor?.(s) ?? deps.source;
      const account = deps.failures?.enabled ? watchedSource(source, deps.failures) : undefined;
      const ex = mech.start(saslContext(s, deps), account?.source ?? source);
      live.set(id, { ex, mechanism: s.mechanism, account });
      return run(id, s.mechanism, ex.step(s.initialResponse === undefined ? null : Buffer.from(s.initialResponse)));
    }
    const cur = live.get(id);
    if (!cur) return reply(id, '', { kind: 'failure', condition: 'malformed-request', text: 'no such exchange' });
    run(id, cur.mechanism, cur.ex.step(Buffer.from(step.value)));
  });
  call.on('end', () => {
    work.closed();
    call.end();
  });
  call.on('error', () => {
    work.closed();
    live.clear();
  });
}
