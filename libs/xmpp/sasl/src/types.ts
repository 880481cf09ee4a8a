// Shared SASL types. Conditions: RFC 6120 §6.5; exchange model: RFC 4422 §3.
// Mechanisms: SCRAM (RFC 5802, RFC 7677), DIGEST-MD5 (RFC 2831), PLAIN (RFC 4616).

/** Defined SASL failure conditions (RFC 6120 §6.5). */
export type SaslCondition =
  | 'aborted'
  | 'account-disabled'
  | 'credentials-expired'
  | 'encryption-required'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'mechanism-too-weak'
  | 'not-authorized'
  | 'temporary-auth-failure';

export type ScramHash = 'SHA-1' | 'SHA-256';

/** What an account backend can supply; a mechanism is offered only when all it requires is supplied. */
export type Capability = 'scram:SHA-1' | 'scram:SHA-256' | 'digest-md5:ha1' | 'password:test';

export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/**
 * The backend side, implemented by the auth service. username is as the client sent it
 * (after SCRAM =2C/=3D unescaping, SASLprep not required); the implementation normalises it.
 * Throwing means infrastructure trouble (maps to temporary-auth-failure).
 * Returning null means unknown user.
 */
export interface CredentialSource {
  getScram(username: string, hash: ScramHash): Promise<ScramCredentials | null>;
  getDigestHa1(username: string, realm: string): Promise<Buffer | null>;
  testPassword(username: string, password: string): Promise<boolean>;
}

/**
 * Why an exchange failed, for the limits: 'credentials' = a password (or its proof) was checked and
 * was wrong, or the account is unknown; 'refused' = the client chose what this connection cannot
 * serve (a channel-binding type it lacks, "y" where -PLUS was offered) and nothing was checked, so
 * it may try another mechanism; absent = anything else (malformed, wrong binding data…).
 */
export type FailureReason = 'credentials' | 'refused';

export type SaslStep =
  | { kind: 'challenge'; data: Buffer }
  /** data = additional data with success (SCRAM server-final v=...) */
  | { kind: 'success'; username: string; authzid?: string; data?: Buffer }
  /** username: with reason 'credentials', the user the failed proof was for (as the client sent it). */
  | { kind: 'failure'; condition: SaslCondition; text?: string; reason?: FailureReason; username?: string };

/** A channel binding the connection offers (RFC 5056): its type and this connection's data. */
export interface ChannelBinding {
  /** 'tls-exporter' (RFC 9266) or 'tls-server-end-point' (RFC 5929 §4). */
  type: string;
  data: Buffer;
}

/** realm for DIGEST-MD5 is the domain; digest-uri must be xmpp/<domain> */
export interface SaslContext {
  domain: string;
  /** The bindings the client's TLS connection offers; empty or absent without TLS. */
  channelBindings?: readonly ChannelBinding[];
  /** -PLUS mechanisms were advertised on this connection (RFC 5802 §6 downgrade detection). */
  plusAdvertised?: boolean;
}

export interface ServerExchange {
  /**
   * first call: the initial response (null when the client sent none, empty Buffer for '=');
   * later calls: each client response
   */
  step(data: Buffer | null): Promise<SaslStep>;
}

export interface ServerMechanism {
  readonly name: string;
  readonly requires: readonly Capability[];
  /** A -PLUS mechanism: usable only on a connection that offers a channel binding. */
  readonly channelBinding?: boolean;
  start(ctx: SaslContext, source: CredentialSource): ServerExchange;
}
