export { NS } from './ns';
export { child, Element, elements, firstElement, text, x } from './xml';
export type { Attrs, Child } from './xml';
export { errorReply, iqResult, isStanzaErrorCondition, StanzaError, stanzaErrorTypes, StreamError } from './errors';
export type { StanzaErrorCondition, StanzaErrorType, StreamErrorCondition } from './errors';
export * from './jid';
