export { buckets, decodeKey, encodeKey, subjects } from './subjects';
export { connectBus } from './connect';
export type { Bus, BusOptions } from './connect';
export type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
export type { NatsConnection, Subscription } from '@nats-io/transport-node';
