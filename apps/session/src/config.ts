import { bool, commonSettings, defineConfig, grpcServerSettings, int } from '@cx/config';

export const sessionConfig = defineConfig({
  ...commonSettings,
  ...grpcServerSettings,
  SESSION_GRPC_PORT: int(50052, 'gRPC port of the session service', 0, 65535),
  SESSION_ADMIN_PORT: int(50062, "gRPC port of the session service's admin calls (xmppctl); the data port refuses them", 0, 65535),
  MAX_RESOURCES_PER_USER: int(32, 'Most sessions one account may have at once (bind answers resource-constraint beyond)', 1),
  MAX_DIRECTED_PRESENCES: int(
    1000,
    'Most directed-presence recipients one session remembers (RFC 6121 §4.6); more presences are refused with resource-constraint',
    1,
  ),
  MAX_DIRECTED_PRESENCE_BYTES: int(
    65536,
    'Most bytes of directed-presence recipient JIDs one session remembers; more presences are refused with resource-constraint',
    1024,
  ),
  MAX_USER_ENTRY_BYTES: int(
    512 * 1024,
    "Most bytes of one account's registry entry (every session with its last presence and directed-presence recipients); an update past it is refused (bind and presence: resource-constraint), so the entry stays well under NATS's 1 MiB message limit",
    4096,
    900 * 1024,
  ),
  EDGE_SWEEP_INTERVAL_MS: int(5000, 'How often to end the sessions of edges whose heartbeat stopped, and detached sessions past their deadline', 500),
  SESSION_BOUND_EVENTS: bool(
    false,
    'Publish a SessionBound event on NATS (xmpp.session.bound) for every bind; off by default: no service of the server reads them, and every login paid for the message',
  ),
});

export type SessionConfig = ReturnType<typeof sessionConfig.load>;
