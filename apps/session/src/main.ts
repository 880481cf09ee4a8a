// Composition root of the session service.
import { adminInterceptors, grpcTlsFromSettings, OpenStreams, refuseAdminMethods, startGrpcServer, together } from '@cx/grpc';
import { sessionv1 } from '@cx/proto';
import { main, runService } from '@cx/runtime';
import { SessionDirectory } from '@cx/session-directory';
import { sessionConfig } from './config';
import { startEdgeSweeper } from './edge-sweeper';
import { sessionService } from './session-service';
import { measureSessions } from './metrics';
import { sessionAdminMethods } from './admin-methods';

main(() =>
  runService('session', sessionConfig, async ({ config, log, bus }) => {
    const directory = await SessionDirectory.open(bus, log);
    measureSessions(directory);
    const kv = directory.kv;
    const stopSweeper = await startEdgeSweeper(
      bus,
      kv,
      directory,
      { intervalMs: config.EDGE_SWEEP_INTERVAL_MS, ttlMs: config.EDGE_TTL_MS, resumeTimeoutMs: config.SM_RESUME_TIMEOUT_S * 1000 },
      log,
    );
    const streams = new OpenStreams();
    const tls = grpcTlsFromSettings(config);
    const services: Array<[typeof sessionv1.SessionServiceService, never]> = [
      [sessionv1.SessionServiceService, sessionService({ bus, kv, directory, config, log, streams }) as never],
    ];
    const grpc = await startGrpcServer({
      streams,
      tls,
      host: config.GRPC_HOST,
      port: config.SESSION_GRPC_PORT,
      services,
      interceptors: [refuseAdminMethods(sessionAdminMethods)],
    });
    const admin = await startGrpcServer({
      tls,
      host: config.GRPC_HOST,
      port: config.SESSION_ADMIN_PORT,
      services,
      interceptors: adminInterceptors(config.ADMIN_TOKEN),
    });
    const servers = together(grpc, admin);
    servers.setServing(true);
    bus.onConnectivity(servers.setServing);
    log.info({ port: grpc.port, adminPort: admin.port, mtls: !!tls, adminToken: !!config.ADMIN_TOKEN }, 'session service ready');
    return {
      stop: async () => {
        stopSweeper();
        directory.stop();
        await servers.shutdown(config.SHUTDOWN_TIMEOUT_MS);
      },
    };
  }),
);
