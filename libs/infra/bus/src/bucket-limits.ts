// Size bounds of a KV bucket's stream (issue 9 #9): the largest value
// (max_msg_size) and the bucket's total (max_bytes). The KV client sets them
// only when it creates a bucket; this brings an existing bucket to them too,
// so a bound set in configuration also holds for data written before.
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface BucketLimits {
  maxValueSize?: number;
  max_bytes?: number;
}

export async function applyBucketLimits(nc: NatsConnection, bucket: string, limits: BucketLimits): Promise<void> {
  if (limits.maxValueSize === undefined && limits.max_bytes === undefined) return;
  const jsm = await jetstreamManager(nc);
  const stream = `KV_${bucket}`;
  const { config } = await jsm.streams.info(stream);
  const want: { max_msg_size?: number; max_bytes?: number } = {};
  if (limits.maxValueSize !== undefined && config.max_msg_size !== limits.maxValueSize) want.max_msg_size = limits.maxValueSize;
  if (limits.max_bytes !== undefined && config.max_bytes !== limits.max_bytes) want.max_bytes = limits.max_bytes;
  if (Object.keys(want).length) await jsm.streams.update(stream, want);
}
