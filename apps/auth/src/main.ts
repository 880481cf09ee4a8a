// Composition root of the auth service.
import { AccountRemovals } from '@cx/bus';
import { OpenStreams, startGrpcServer } from '@cx/grpc';
import { authv1 } from '@cx/proto';
import { main, runService } from '@cx/runtime';
import { authService } from './auth-service';
import { openBackend } from './backend';
import { authConfig } from './config';
import { AccountFailures } from './auth-failures';

main(() =>
  runService('auth', authConfig, async ({ config, log, bus }) => {
    const { store, close: closeStore } = await openBackend(config, bus, log);
    const streams = new OpenStreams();
    const failures = new AccountFailures(config.MAX_AUTH_FAILURES_PER_ACCOUNT, config.AUTH_FAILURE_WINDOW_MS);
    const removals = await AccountRemovals.open(bus);
    const grpc = await startGrpcServer({
      streams,
      host: config.GRPC_HOST,
      port: config.AUTH_GRPC_PORT,
      services: [[authv1.AuthServiceService, authService(store, config, log, streams, failures, () => bus.connected, removals) as never]],
    });
    grpc.setServing(true);
    bus.onConnectivity(grpc.setServing);
    log.info({ port: grpc.port, backend: store.name, registration: config.REGISTRATION_OPEN }, 'auth service ready');
    return {
      stop: async () => {
        failures.close();
        await grpc.shutdown(config.SHUTDOWN_TIMEOUT_MS);
        await closeStore();
      },
    };
  }),
);
