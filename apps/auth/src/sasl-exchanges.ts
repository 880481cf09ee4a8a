// The Exchange stream: many SASL exchanges multiplexed on one long-lived gRPC
// stream per edge, each with its mechanism state held here until it ends.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { StreamWork, type OpenStreams } from '@cx/grpc';
import { authv1 } from '@cx/proto';
import { findMechanism, type CredentialSource, type SaslStep, type ServerExchange } from '@cx/sasl';
import { prepareLocal } from '@cx/xmpp-core';
import type { Logger } from '@cx/log';

export interface ExchangeDeps {
  domain: string;
  offered: (secure: boolean) => string[];
  source: CredentialSource;
  log: Logger;
  streams: OpenStreams;
  onResult?: (mechanism: string, outcome: string) => void;
}

type Stream = ServerDuplexStream<authv1.SaslRequest, authv1.SaslResponse>;

export function handleExchangeStream(call: Stream, deps: ExchangeDeps): void {
  const live = new Map<number, { ex: ServerExchange; mechanism: string }>();
  const work = new StreamWork(deps.streams, () => call.end());

  const reply = (exchangeId: number, mechanism: string, step: SaslStep): void => {
    if (step.kind === 'challenge') return void call.write({ exchangeId, result: { $case: 'challenge', value: step.data } });
    live.delete(exchangeId);
    if (step.kind === 'failure') {
      deps.onResult?.(mechanism, step.condition);
      deps.log.info({ mechanism, condition: step.condition }, 'authentication failed');
      return void call.write({ exchangeId, result: { $case: 'failure', value: { condition: step.condition, text: step.text ?? '' } } });
    }
    const username = prepareLocal(step.username);
    if (!username) return reply(exchangeId, mechanism, { kind: 'failure', condition: 'not-authorized' });
    if (step.authzid && step.authzid !== `${username}@${deps.domain}` && step.authzid !== username) {
      return reply(exchangeId, mechanism, { kind: 'failure', condition: 'invalid-authzid' });
    }
    deps.onResult?.(mechanism, 'success');
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
      const mech = findMechanism(s.mechanism);
      if (!mech || !deps.offered(s.secure).includes(s.mechanism)) return reply(id, s.mechanism, { kind: 'failure', condition: 'invalid-mechanism' });
      const ex = mech.start({ domain: deps.domain }, deps.source);
      live.set(id, { ex, mechanism: s.mechanism });
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
