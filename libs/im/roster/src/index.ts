export * from './subscription';
export { RosterStore, ROSTER_BUCKET } from './roster-store';
export type { Roster } from './roster-store';
export { changesSince, itemElement, NS_ROSTER, parseRosterSet, pushQuery, rosterQuery } from './roster-xml';
export type { RosterSet } from './roster-xml';
export { boundedRequest, DEFAULT_ROSTER_LIMITS, rosterExcess, truncateUtf8 } from './roster-bounds';
export type { RosterExcess, RosterLimits } from './roster-bounds';
