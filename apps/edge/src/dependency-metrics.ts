// Answers the edge gave a client because a service it depends on did not
// answer in time (or was known to be down), and answers that came too late and
// were undone. See docs/operations.md "When a dependency is down".
import type { Unanswered } from '@cx/grpc';
import { Counter } from 'prom-client';

const unanswered = new Counter({
  name: 'xmpp_edge_dependency_timeouts_total',
  help: 'Requests to auth or session that got no answer: past their deadline (deadline), refused at once while the service was unreachable (down), lost with a broken stream (broken), and answers to a bind or resume that came after the deadline and were undone (late)',
  labelNames: ['dependency', 'reason'],
});

export function countUnanswered(dependency: 'auth' | 'session'): (why: Unanswered) => void {
  return (why) => unanswered.inc({ dependency, reason: why });
}
