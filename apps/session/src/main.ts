// Composition root of the session service.
import { OpenStreams, startGrpcServer } from '@cx/grpc';
import { sessionv1 } from '@cx/proto';
import { main, runService } from '@cx/runtime';
import { SessionDirectory } from '@cx/session-directory';
import { sessionConfig } from './config';
import { startEdgeSweeper } from './edge-sweeper';
import { sessionService } from './session-service';
import { measureSessions } from './metrics';

main(() =>
  runService('session', sessionConfig, async ({ config, log, bus }) => {
    const directory = await SessionDirectory.open(bus, log);
    measureSessions(directory);
    const kv = directory.kv;
    const stopSweeper = await startEdgeSweeper(bus, kv, directory, { intervalMs: config.EDGE_SWEEP_INTERVAL_MS, ttlMs: config.EDGE_TTL_MS, resumeTimeoutMs: config.SM_RESUME_TIMEOUT_S * 1000 }, log);
    const streams = new OpenStreams();
    const grpc = await startGrpcServer({
      streams,
      host: config.GRPC_HOST,
      port: config.SESSION_GRPC_PORT,
      services: [[sessionv1.SessionServiceService, sessionService({ bus, kv, directory, config, log, streams }) as never]],
    });
    grpc.setServing(true);
    bus.onConnectivity(grpc.setServing);
    log.info({ port: grpc.port }, 'session service ready');
    return {
      stop: async () => {
        stopSweeper();
        directory.stop();
        await grpc.shutdown(config.SHUTDOWN_TIMEOUT_MS);
      },
    };
  }),
);
