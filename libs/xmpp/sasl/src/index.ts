// Public API of @cx/sasl: server-side SASL for XMPP (RFC 6120 §6) with SCRAM-SHA-1/-SHA-256
// (RFC 5802, RFC 7677; -PLUS channel binding per RFC 5929 and RFC 9266), DIGEST-MD5 (RFC 2831), PLAIN (RFC 4616) and SASLprep (RFC 4013).
export type {
  Capability,
  ChannelBinding,
  FailureReason,
  CredentialSource,
  SaslCondition,
  SaslContext,
  SaslStep,
  ScramCredentials,
  ScramHash,
  ServerExchange,
  ServerMechanism,
} from './types';
export { mechanisms, offeredMechanisms, findMechanism } from './registry';
/** For credential sources that end an exchange with a condition of their own (e.g. a back-off). */
export { SaslFailure } from './exchange';
export { checkScramPassword, deriveScram, deriveScramAsync } from './scram-crypto';
export { digestHa1 } from './digest-md5-crypto';
export { saslPrep } from './saslprep';
export { ScramClient, type ScramClientOptions } from './scram-client';
export { digestMd5ClientResponse, verifyDigestMd5Rspauth, type DigestMd5ClientOptions } from './digest-md5-client';
export {
  endPointHash,
  tlsServerEndPoint,
  TLS_EXPORTER,
  TLS_EXPORTER_LABEL,
  TLS_EXPORTER_LENGTH,
  TLS_SERVER_END_POINT,
  TLS_UNIQUE,
  type EndPointHash,
} from './channel-binding';
