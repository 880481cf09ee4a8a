export * from './subscription';
export { RosterStore, ROSTER_BUCKET } from './roster-store';
export type { Roster } from './roster-store';
export { changesSince, itemElement, NS_ROSTER, parseRosterSet, pushQuery, rosterQuery } from './roster-xml';
export type { RosterSet } from './roster-xml';
