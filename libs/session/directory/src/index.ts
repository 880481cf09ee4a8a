export { findSession, SessionDirectory, updateUser } from './directory';
export type { SessionEntry, UserSessions } from './directory';
