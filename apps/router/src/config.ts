import { commonSettings, defineConfig, grpcServerSettings, int, str } from '@cx/config';

export const routerConfig = defineConfig({
  ...commonSettings,
  ...grpcServerSettings,
  ROUTER_GRPC_PORT: int(50053, 'gRPC port of the router service', 0, 65535),
  ROUTER_ADMIN_PORT: int(50063, 'gRPC port of the router service\'s admin calls (xmppctl); the data port refuses them', 0, 65535),
  SESSION_ADDR: str('127.0.0.1:50052', 'Address of the session service (host:port or dns:///name:port)'),
  OFFLINE_LIMIT: int(100, 'Messages kept for an offline user (XEP-0160); beyond it senders get service-unavailable', 0),
  AUTH_ADDR: str('127.0.0.1:50051', 'Address of the auth service (account existence for server-side IQs)'),
});

export type RouterConfig = ReturnType<typeof routerConfig.load>;
