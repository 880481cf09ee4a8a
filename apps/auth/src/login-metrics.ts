// Logins in Prometheus: each finished SASL exchange by mechanism and result
// ('success' or the RFC 6120 §6.5 failure condition). A mechanism name the
// client made up is counted as 'other', so clients cannot grow the label set.
import { Counter } from 'prom-client';
import { findMechanism } from '@cx/sasl';

const logins = new Counter({
  name: 'xmpp_auth_logins_total',
  help: 'Finished SASL exchanges by mechanism and result (success, or the failure condition such as not-authorized, temporary-auth-failure)',
  labelNames: ['mechanism', 'result'],
});

const children = new Map<string, Counter.Internal>();

export function countLogin(mechanism: string, result: string): void {
  const mech = findMechanism(mechanism) ? mechanism : 'other';
  const key = `${mech} ${result}`;
  let c = children.get(key);
  if (!c) children.set(key, (c = logins.labels({ mechanism: mech, result })));
  c.inc();
}
