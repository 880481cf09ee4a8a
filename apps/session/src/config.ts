import { commonSettings, defineConfig, grpcServerSettings, int } from '@cx/config';

export const sessionConfig = defineConfig({
  ...commonSettings,
  ...grpcServerSettings,
  SESSION_GRPC_PORT: int(50052, 'gRPC port of the session service', 0, 65535),
  SESSION_ADMIN_PORT: int(50062, 'gRPC port of the session service\'s admin calls (xmppctl); the data port refuses them', 0, 65535),
  MAX_RESOURCES_PER_USER: int(32, 'Most sessions one account may have at once (bind answers resource-constraint beyond)', 1),
  EDGE_SWEEP_INTERVAL_MS: int(5000, 'How often to end the sessions of edges whose heartbeat stopped, and detached sessions past their deadline', 500),
});

export type SessionConfig = ReturnType<typeof sessionConfig.load>;
