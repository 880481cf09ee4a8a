export { RawClient, STREAM_HEADER } from './raw-client';
export type { Received } from './raw-client';
export { authenticate, login, register, uniqueName } from './login';
export { authenticateScram, clientChannelBinding } from './channel-binding';
export type { LoginOptions, Mechanism } from './login';
export { TEST_PASSWORD, TestSessions } from './sessions';
export type { Account } from './sessions';
