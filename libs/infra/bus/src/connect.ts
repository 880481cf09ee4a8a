// Connect to NATS (with JetStream KV), reconnecting forever, and report
// connectivity so gRPC health (readiness) can follow it.
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { coalesceWrites } from './coalesce-writes';
import { quietRequests } from './quiet-requests';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { Logger } from '@cx/log';
import { countStatus, natsConnected } from './metrics';
import { applyBucketLimits } from './bucket-limits';

export interface Bus {
  readonly nc: NatsConnection;
  readonly kvm: Kvm;
  /** Replicas of the buckets and streams this process creates (NATS_REPLICAS). */
  readonly replicas: number;
  /** Open (creating if needed) a KV bucket; maxValueSize and max_bytes are applied to an existing bucket too. */
  bucket(name: string, opts?: Partial<KvOptions>): Promise<KV>;
  /** Called with true/false whenever connectivity changes. */
  onConnectivity(fn: (connected: boolean) => void): void;
  /** Connected now (false from a disconnect until the reconnect). */
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface BusOptions {
  servers: string;
  name: string;
  log: Logger;
  /** How long to keep retrying the first connection (ms). */
  connectTimeoutMs?: number;
  /** Replicas for buckets and streams created through this bus (default 1). */
  replicas?: number;
  /** How to log in (nats.conf authorization); none: anonymous. */
  credentials?: NatsCredentials;
}

/** A user and password, a token, or a credentials file (NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_CREDS). */
export interface NatsCredentials {
  user?: string;
  password?: string;
  token?: string;
  credsFile?: string;
}

/** The connect options for credentials: never logged. */
export function authOptions(c: NatsCredentials = {}): Partial<ConnectionOptions> {
  if (c.credsFile) return { authenticator: credsAuthenticator(new Uint8Array(readFileSync(c.credsFile))) };
  if (c.token) return { token: c.token };
  if (c.user) return { user: c.user, pass: c.password ?? '' };
  return {};
}

export async function connectBus({ servers, name, log, connectTimeoutMs = 30_000, replicas = 1, credentials }: BusOptions): Promise<Bus> {
  const started = Date.now();
  const auth = authOptions(credentials);
  let nc: NatsConnection | undefined;
  for (let attempt = 1; !nc; attempt++) {
    try {
      // noAsyncTraces: nats.js otherwise captures a stack trace for every request
      // (each KV operation), a measurable share of CPU on the login path.
      nc = await connect({
        servers: servers.split(','),
        name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        pingInterval: 10_000,
        noAsyncTraces: true,
        ...auth,
      });
    } catch (err) {
      if (Date.now() - started > connectTimeoutMs) throw err;
      log.warn({ err: (err as Error).message, attempt, servers }, 'NATS not reachable yet, retrying');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const conn = nc;
  if (!coalesceWrites(conn)) log.warn('nats.js internals changed: writes are not coalesced (see coalesce-writes.ts)');
  if (!quietRequests()) log.warn('nats.js internals changed: requests build a discarded error again (see quiet-requests.ts)');
  const listeners: Array<(c: boolean) => void> = [];
  let up = true;
  void (async () => {
    for await (const s of conn.status()) {
      countStatus(s.type);
      if (s.type === 'disconnect') log.warn({ server: s.server }, 'NATS disconnected');
      if (s.type === 'reconnect') log.info({ server: s.server }, 'NATS reconnected');
      const connected = s.type === 'disconnect' ? false : s.type === 'reconnect' ? true : undefined;
      if (connected !== undefined) up = connected;
      if (connected !== undefined) for (const fn of listeners) fn(connected);
    }
  })();
  const kvm = new Kvm(conn);
  natsConnected.set(1);
  log.info({ servers }, 'connected to NATS');
  return {
    nc: conn,
    kvm,
    replicas,
    bucket: async (bucketName, opts = {}) => {
      const kv = await createBucket(() => kvm.create(bucketName, { history: 1, replicas, ...opts }));
      await applyBucketLimits(conn, bucketName, opts);
      return kv;
    },
    onConnectivity: (fn) => void listeners.push(fn),
    get connected() {
      return up;
    },
    close: async () => {
      await conn.drain().catch(() => conn.close());
    },
  };
}

/**
 * Two processes creating the same new bucket at once (replicas starting
 * together): the server may refuse the later stream create ("subjects
 * overlap") while the first is being made. Tried again, the create finds
 * the bucket there and opens it.
 */
async function createBucket<T>(create: () => Promise<T>, tries = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await create();
    } catch (err) {
      if (i >= tries || !/subjects overlap|already in use/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 50 * i));
    }
  }
}
