import { bool, commonSettings, defineConfig, grpcServerSettings, int, oneOf, str } from '@cx/config';

export const authConfig = defineConfig({
  ...commonSettings,
  ...grpcServerSettings,
  AUTH_GRPC_PORT: int(50051, 'gRPC port of the auth service', 0, 65535),
  AUTH_BACKEND: oneOf(['internal'] as const, 'internal', 'Account backend: internal (JetStream KV)'),
  REGISTRATION_OPEN: bool(false, 'Allow in-band registration of new accounts (XEP-0077); keep it off in production (XEP-0479)'),
  REGISTRATION_INSTRUCTIONS: str('Choose a username and password to register with this server.', 'Instructions in the registration form'),
  ACCOUNT_CACHE_SIZE: int(100000, 'Accounts the auth service keeps in memory (changes made anywhere are seen at once through a KV watch; 0: none)', 0),
  SCRAM_ITERATIONS: int(4096, 'PBKDF2 iteration count for new SCRAM credentials', 4096, 10_000_000),
});

export type AuthConfig = ReturnType<typeof authConfig.load>;
