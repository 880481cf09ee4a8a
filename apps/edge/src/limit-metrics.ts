// The edge's count of streams closed or attempts refused by a limit (docs/operations.md).
import { Counter } from 'prom-client';

export const limitsHit = new Counter({ name: 'xmpp_edge_limits_total', help: 'Connections closed or refused by a limit', labelNames: ['limit'] });
