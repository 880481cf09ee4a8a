// Public API of @cx/pubsub: XEP-0060 nodes as PEP (XEP-0163) keeps them on
// JetStream KV, their configuration (XEP-0223 publish-options), and the
// cluster-wide XEP-0115 caps cache that filtered notifications need.
export * from './ns';
export {
  ACCESS_MODELS,
  applyFields,
  ConfigError,
  configForm,
  dataForm,
  DEFAULT_CONFIG,
  fieldValue,
  formFields,
  isPublishOptions,
  preconditionMismatch,
  SEND_LAST,
} from './config';
export type { AccessModel, NodeConfig, SendLast } from './config';
export { configure, keep, newItemId, newNode, notImplemented, publish, PubsubError, purge, replaceItems, retract, selectItems, subscription } from './node';
export type { Published, Replaced } from './node';
export { DEFAULT_PEP_LIMITS, FULL, nodeBytes, nodeToken, PEP_BUCKET, PepStore } from './store';
export type { NodeDecision, NodeMeta, PepLimits, StoredItem, StoredNode, UserIndex } from './store';
export { CAPS_BUCKET, CapsCache, capsOf, capsOfBytes, verificationString, verifies } from './caps';
export type { Caps } from './caps';
