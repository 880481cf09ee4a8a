// Settings every service reads.
import { int, oneOf, str } from './define';
import { tracingSettings } from './tracing';

/** Read from the environment only: the YAML file with the other settings (config-file.ts). */
export const configFileSetting = {
  CONFIG_FILE: str('', 'YAML file of settings (shared ones at the top, an app\'s own under edge:, auth:, session:, router:, xmppctl:); environment variables override it'),
};

export const commonSettings = {
  ...configFileSetting,
  XMPP_DOMAIN: str('localhost', 'The XMPP domain this server hosts'),
  NATS_URL: str('nats://127.0.0.1:4222', 'NATS server URL(s), comma-separated'),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const, 'info', 'Log level; debug logs every XML stanza on every stream'),
  METRICS_PORT: int(0, 'Port for Prometheus /metrics (0: off)', 0, 65535),
  EDGE_TTL_MS: int(15000, 'An edge whose heartbeat is older than this is dead and its sessions end (edge and session must agree)', 1000),
  SHUTDOWN_TIMEOUT_MS: int(10000, 'Longest graceful shutdown on SIGTERM before forcing', 0),
  SM_RESUME_TIMEOUT_S: int(300, 'How long a stream-managed session (XEP-0198) waits to be resumed after its connection is lost (edge, session and router must agree)', 1, 86400),
  NATS_REPLICAS: int(1, 'Replicas of the JetStream KV buckets and streams this service creates (3 on a 3-node NATS cluster)', 1, 5),
  ...tracingSettings,
};

export const grpcServerSettings = {
  GRPC_HOST: str('127.0.0.1', 'Address the gRPC server listens on (0.0.0.0 in containers)'),
};
