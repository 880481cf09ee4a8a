// Settings every service reads.
import { int, oneOf, str } from './define';
import { tracingSettings } from './tracing';

/** Read from the environment only: the YAML file with the other settings (config-file.ts). */
export const configFileSetting = {
  CONFIG_FILE: str(
    '',
    "YAML file of settings (shared ones at the top, an app's own under edge:, auth:, session:, router:, xmppctl:); environment variables override it",
  ),
};

/** How a service logs in to NATS (a user of nats.conf's authorization); never logged. */
export const natsAuthSettings = {
  NATS_USER: str('', 'NATS user name (with NATS_PASSWORD); empty: no user'),
  NATS_PASSWORD: str('', 'Password of NATS_USER (a secret: from a Kubernetes Secret)'),
  NATS_TOKEN: str('', 'NATS authorization token, instead of a user and password'),
  NATS_CREDS: str('', 'A NATS credentials file (JWT and NKey seed, decentralized auth), instead of the above'),
};

/** Mutual TLS between the services (gRPC); all three or none. */
export const grpcTlsSettings = {
  GRPC_TLS_CA: str(
    '',
    "PEM CA that signs every service's gRPC certificate; with GRPC_TLS_CERT and GRPC_TLS_KEY: mutual TLS on every gRPC server and client (empty: plaintext)",
  ),
  GRPC_TLS_CERT: str('', 'PEM certificate (chain) of this process, presented as gRPC server and client; its names must match the addresses clients dial'),
  GRPC_TLS_KEY: str('', 'PEM private key of GRPC_TLS_CERT'),
};

export const commonSettings = {
  ...configFileSetting,
  XMPP_DOMAIN: str('localhost', 'The XMPP domain this server hosts'),
  NATS_URL: str('nats://127.0.0.1:4222', 'NATS server URL(s), comma-separated'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, 'info', 'Log level; debug logs every XML stanza on every stream'),
  METRICS_PORT: int(0, 'Port for Prometheus /metrics (0: off)', 0, 65535),
  EDGE_TTL_MS: int(15000, 'An edge whose heartbeat is older than this is dead and its sessions end (edge and session must agree)', 1000),
  SHUTDOWN_TIMEOUT_MS: int(10000, 'Longest graceful shutdown on SIGTERM before forcing', 0),
  SM_RESUME_TIMEOUT_S: int(
    300,
    'How long a stream-managed session (XEP-0198) waits to be resumed after its connection is lost (edge, session and router must agree)',
    1,
    86400,
  ),
  NATS_REPLICAS: int(1, 'Replicas of the JetStream KV buckets and streams this service creates (3 on a 3-node NATS cluster)', 1, 5),
  ...natsAuthSettings,
  ...grpcTlsSettings,
  ...tracingSettings,
};

export const grpcServerSettings = {
  GRPC_HOST: str('127.0.0.1', 'Address the gRPC server listens on (0.0.0.0 in containers)'),
  ADMIN_TOKEN: str(
    '',
    'When set, every call on the admin port must carry it (xmppctl sends its ADMIN_TOKEN); empty: the admin port is guarded only by where it can be reached from',
  ),
};
