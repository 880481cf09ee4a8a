// Client channel options shared by every gRPC client: keepalive so a dead peer
// is noticed, and round-robin over every address a DNS name returns (a headless
// Kubernetes Service), so long-lived streams spread over replicas.
import { connectivityState, Metadata, type ChannelCredentials, type ChannelOptions, type Client, type ClientOptions } from '@grpc/grpc-js';
import { errorCounter } from './metrics';
import { channelCredentials, type GrpcTls } from './tls';

export const channelOptions: ChannelOptions = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  // No transparent retries: grpc-js would otherwise keep every message written
  // on a long-lived stream (up to 1 MiB each) until the server sends headers.
  'grpc.enable_retries': 0,
  // A restarted peer is found again within 2 s (grpc's default backoff grows to
  // 2 minutes), which matters since calls fail at once once a peer has been
  // unreachable for their deadline (unreachableFor) instead of waiting for it.
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 2000,
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
};

type ClientCtor<C extends Client> = new (address: string, creds: ChannelCredentials, options?: ChannelOptions & ClientOptions) => C;

/** A client of address; with tls (loadGrpcTls), mutual TLS: the server is verified, our certificate presented. */
export function createClient<C extends Client>(Ctor: ClientCtor<C>, address: string, options: ChannelOptions & ClientOptions = {}, tls?: GrpcTls): C {
  return new Ctor(address, channelCredentials(tls), { ...channelOptions, ...options, interceptors: [errorCounter, ...(options.interceptors ?? [])] });
}

/** Resolve when the channel is connected, or reject after timeoutMs. */
export function waitForReady(client: Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
}

/**
 * Metadata for a call that waits (until its deadline) for the service to be
 * reachable instead of failing at once: a restarting replica delays calls
 * rather than failing them.
 */
export function waitingMetadata(): Metadata {
  return new Metadata({ waitForReady: true });
}

const failing = new WeakMap<Client, { since?: number }>();

/** Follow the client's channel: when it went into TRANSIENT_FAILURE without being READY since. */
function follow(client: Client): { since?: number } {
  const ch = client.getChannel();
  const t: { since?: number } = {};
  const watch = (state: connectivityState): void => {
    if (state === connectivityState.READY) t.since = undefined;
    else if (state === connectivityState.TRANSIENT_FAILURE) t.since ??= Date.now();
    try {
      ch.watchConnectivityState(state, Infinity, () => watch(ch.getConnectivityState(false)));
    } catch {
      // shut down: nothing more to follow
    }
  };
  watch(ch.getConnectivityState(false));
  failing.set(client, t);
  return t;
}

/**
 * How long (ms) the client's peer has been known to be unreachable: its
 * channel is in TRANSIENT_FAILURE (its last attempt to connect failed) and has
 * not been READY since the first such failure; 0 otherwise. An idle channel is
 * asked to connect, so the answer turns once the peer is back. Callers fail at
 * once past a grace (their deadline), so a peer that restarts within it is
 * waited for, and a peer that stays down is not.
 */
export function unreachableFor(client: Client): number {
  const t = failing.get(client) ?? follow(client);
  if (client.getChannel().getConnectivityState(true) !== connectivityState.TRANSIENT_FAILURE) return 0;
  t.since ??= Date.now();
  return Math.max(1, Date.now() - t.since);
}
