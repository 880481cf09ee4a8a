export { isSubscription, StanzaKind, stanzaKind } from './kind';
export { elementFromBytes, routedStanza, type EnvelopeFields } from './envelope';
