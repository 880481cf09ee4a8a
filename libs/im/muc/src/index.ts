export { affiliationOf, bareOf, configure, DEFAULT_CONFIG, join, kept, leave, maySetSubject, occupantByJid, occupantByNick, roleFor } from './room';
export type { Affiliation, JoinOutcome, JoinRequest, Occupant, Role, Room, RoomConfig } from './room';
export { applyConfig, configForm, ROOMCONFIG } from './config-form';
export { DEFAULT_MUC_LIMITS, MUC_BUCKET, MUC_PARTITIONED, RoomStore, TOO_BIG } from './store';
export type { MucLimits, RoomCachePolicy } from './store';
export { isAffiliation, kick, setAffiliations, withAffiliation } from './admin';
export type { AdminOutcome } from './admin';
export { historyFor, remember } from './history';
export type { HistoryEntry, HistoryLimits, HistoryRequest } from './history';
