// Composition root of the auth service.
import { AccountRemovals } from '@cx/bus';
import { adminInterceptors, grpcTlsFromSettings, OpenStreams, refuseAdminMethods, startGrpcServer, together } from '@cx/grpc';
import { authv1 } from '@cx/proto';
import { main, runService } from '@cx/runtime';
import { authService } from './auth-service';
import { openBackend } from './backend';
import { authConfig } from './config';
import { AccountFailures } from './auth-failures';
import { authAdminMethods } from './admin-methods';

main(() =>
  runService('auth', authConfig, async ({ config, log, bus }) => {
    const { store, close: closeStore } = await openBackend(config, bus, log);
    const streams = new OpenStreams();
    const failures = new AccountFailures(config.MAX_AUTH_FAILURES_PER_ACCOUNT, config.AUTH_FAILURE_WINDOW_MS);
    const tls = grpcTlsFromSettings(config);
    const removals = await AccountRemovals.open(bus);
    const services: Array<[typeof authv1.AuthServiceService, never]> = [
      [authv1.AuthServiceService, authService(store, config, log, streams, failures, () => bus.connected, removals) as never],
    ];
    const grpc = await startGrpcServer({
      streams,
      tls,
      host: config.GRPC_HOST,
      port: config.AUTH_GRPC_PORT,
      services,
      interceptors: [refuseAdminMethods(authAdminMethods)],
    });
    const admin = await startGrpcServer({
      tls,
      host: config.GRPC_HOST,
      port: config.AUTH_ADMIN_PORT,
      services,
      interceptors: adminInterceptors(config.ADMIN_TOKEN),
    });
    const servers = together(grpc, admin);
    servers.setServing(true);
    bus.onConnectivity(servers.setServing);
    log.info(
      { port: grpc.port, adminPort: admin.port, mtls: !!tls, adminToken: !!config.ADMIN_TOKEN, backend: store.name, registration: config.REGISTRATION_OPEN },
      'auth service ready',
    );
    return {
      stop: async () => {
        failures.close();
        await servers.shutdown(config.SHUTDOWN_TIMEOUT_MS);
        await closeStore();
      },
    };
  }),
);
