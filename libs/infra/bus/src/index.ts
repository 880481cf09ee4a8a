export { buckets, decodeKey, encodeKey, hashKey, MAX_KEY_CHARS, subjects } from './subjects';
export { authOptions, connectBus } from './connect';
export { connectivityGate } from './connectivity-gate';
export { ensureStream } from './streams';
export { casUpdate, isConflict, readVersioned } from './cas';
export { WatchedCache } from './watched-cache';
export type { CasCodec, Decision, Versioned } from './cas';
export type { Bus, BusOptions, NatsCredentials } from './connect';
export type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
export type { MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
export type { JsMsg } from '@nats-io/jetstream';
export { AccountRemovals, ACCOUNT_REMOVALS_STREAM, recentRemovals, removalSubject } from './account-removals';
export type { RecentRemovals, RemovalOutcome } from './account-removals';
export {
  edgeChannel,
  edgeMessage,
  kickOnEdge,
  presenceEvents,
  sessionEvents,
  KeyedTopic,
  Topic,
  type EdgeMessageParts,
  type SubscribeOptions,
} from './channels';
export { Follower, type FollowOptions } from './follow';
export { OwnedPartitions, partitionedNames, partitionOf, type OwnedPartitionsOptions, type PartitionWork } from './owned-partitions';
export { fairShare, planLeases, type LeaseView, type Plan, type PlanInput } from './lease-plan';
export { DurablePublisher, type DurablePublisherOptions } from './durable-publisher';
