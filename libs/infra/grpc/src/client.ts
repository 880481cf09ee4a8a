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
  // 2 minutes), which matters since calls fail at once while a channel is in
  // TRANSIENT_FAILURE (channelDown) rather than wait for their deadline.
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
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
  );
}

/**
 * Metadata for a call that waits (until its deadline) for the service to be
 * reachable instead of failing at once: a restarting replica delays calls
 * rather than failing them.
 */
export function waitingMetadata(): Metadata {
  return new Metadata({ waitForReady: true });
}

/**
 * The client's channel is known to be unreachable (TRANSIENT_FAILURE: its last
 * attempt to connect failed), so a call would only wait for its deadline. An
 * idle channel is asked to connect, so the answer turns once the peer is back.
 */
export function channelDown(client: Client): boolean {
  return client.getChannel().getConnectivityState(true) === connectivityState.TRANSIENT_FAILURE;
}
