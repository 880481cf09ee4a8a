// Public API of @cx/component: the external component stream (XEP-0114).
export { handshakeDigest, handshakeMatches } from './handshake';
export {
  componentHeader,
  componentTransition,
  fromComponent,
  initialComponentState,
  NS_COMPONENT,
  type ComponentAction,
  type ComponentContext,
  type ComponentEvent,
  type ComponentState,
  type ComponentStateName,
  type ComponentTransition,
} from './machine';
export { parseComponents } from './secrets';
