// XMPP addresses (JIDs) per RFC 7622, with the PRECIS profiles of RFC 8265
// (UsernameCaseMapped for localparts, OpaqueString for resourceparts) and
// IDNA2008 / UTS #46 domainparts.

export { Jid } from './jid';
export { InvalidJidError } from './errors';
export type { JidPart } from './errors';
export { parseJid, tryParseJid, jid } from './parse';
export { prepareLocal } from './prepare-local';
export { prepareDomain } from './prepare-domain';
export { prepareResource } from './prepare-resource';
