// The account backend as an interface: the auth service works with any store
// that declares what it can do (Prosody's SASL profiles, ejabberd's
// store_type). The mechanisms offered follow from `capabilities`.
import type { Capability, CredentialSource } from '@cx/sasl';

export type AccountResult =
  | { ok: true }
  | { ok: false; condition: 'conflict' | 'item-not-found' | 'not-allowed' | 'not-acceptable' | 'internal-server-error'; text?: string };

/** About the client connection a password arrives on. */
export interface LoginContext {
  /** The client's stream is encrypted (TLS). */
  secure: boolean;
}

export interface AccountStore extends CredentialSource {
  readonly name: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** Registration, password change and removal are possible. */
  readonly writable: boolean;
  /** PLAIN: whether the password is the user's (ctx says how it arrived). */
  testPassword(username: string, password: string, ctx?: LoginContext): Promise<boolean>;
  exists(username: string): Promise<boolean>;
  create(username: string, password: string): Promise<AccountResult>;
  setPassword(username: string, password: string): Promise<AccountResult>;
  remove(username: string): Promise<AccountResult>;
  /** Called after each successful login of `username` (prepared), for housekeeping such as dropping credentials of a mechanism turned off. */
  loggedIn?(username: string): Promise<void>;
  list(): Promise<string[]>;
}
