export { createMachine } from './machine';
export type { C2sMachine } from './machine';
export { defaultModules } from './modules';
export { decodeSaslPayload, encodeSaslPayload, saslFailure } from './modules/sasl';
export { NS_SM, smFailed } from './modules/sm';
export { streamHeader } from './stream';
export type { AccountOp, C2sAction, C2sContext, C2sEvent, C2sModule, C2sState, C2sStateName, SaslResult, Transition } from './types';
