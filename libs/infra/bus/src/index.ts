export { buckets, decodeKey, encodeKey, hashKey, MAX_KEY_CHARS, subjects } from './subjects';
export { authOptions, connectBus } from './connect';
export { connectivityGate } from './connectivity-gate';
export { casUpdate, readVersioned } from './cas';
export { WatchedCache } from './watched-cache';
export type { CasCodec, Decision, Versioned } from './cas';
export type { Bus, BusOptions, NatsCredentials } from './connect';
export type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
export type { NatsConnection, Subscription } from '@nats-io/transport-node';
