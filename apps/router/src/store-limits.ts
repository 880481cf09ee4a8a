// The per-user storage bounds of the router's configuration, as each store takes them (issue 9 #9).
import type { RosterLimits } from '@cx/roster';
import type { RouterConfig } from './config';

export function rosterLimits(c: RouterConfig): RosterLimits {
  return {
    maxItems: c.ROSTER_MAX_ITEMS,
    maxBytes: c.ROSTER_MAX_BYTES,
    maxPending: c.SUBSCRIPTION_MAX_PENDING,
    maxStatusBytes: c.SUBSCRIPTION_STATUS_MAX_BYTES,
  };
}
