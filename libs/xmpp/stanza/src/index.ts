export { StanzaKind, stanzaKind } from './kind';
export { elementFromBytes, routedStanza, type EnvelopeFields } from './envelope';
