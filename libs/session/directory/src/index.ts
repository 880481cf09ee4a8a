export { encodeSessions, findSession, SessionDirectory, updateUser } from './directory';
export type { SessionEntry, UserSessions, Versioned } from './directory';
