export { RawClient, STREAM_HEADER } from './raw-client';
export type { Received } from './raw-client';
export { authenticate, login, register, uniqueName } from './login';
export type { LoginOptions, Mechanism } from './login';
