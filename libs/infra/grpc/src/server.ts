// A gRPC server with the health service, bound to host:port, with bounded
// graceful shutdown; mutual TLS when certificates are given.
import { Server, type ServerInterceptor, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { Health } from './health';
import type { OpenStreams } from './open-streams';
import { serverCredentials, tlsReady, type GrpcTls } from './tls';

export interface GrpcServerOptions {
  host: string;
  port: number;
  services: Array<[ServiceDefinition, UntypedServiceImplementation]>;
  /** Long-lived streams to end first on shutdown. */
  streams?: OpenStreams;
  /** Mutual TLS (loadGrpcTls); undefined: plaintext. */
  tls?: GrpcTls;
  /** Checks on every call (admin-guard.ts). */
  interceptors?: ServerInterceptor[];
}

export interface RunningGrpcServer {
  readonly server: Server;
  readonly health: Health;
  readonly port: number;
  /** Set the health of the server and each of its services (readiness). */
  setServing(up: boolean): void;
  shutdown(timeoutMs: number): Promise<void>;
}

export const serverOptions = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
};

/** 'xmpp.auth.v1.AuthService' from a method path '/xmpp.auth.v1.AuthService/Exchange'. */
function serviceName(def: ServiceDefinition): string {
  const first = Object.values(def)[0] as { path: string };
  return first.path.split('/')[1];
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new Server({ ...serverOptions, interceptors: opts.interceptors ?? [] });
  const health = new Health();
  health.addTo(server);
  for (const [def, impl] of opts.services) server.addService(def, impl);
  const names = opts.services.map(([def]) => serviceName(def));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, serverCredentials(opts.tls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  await tlsReady(opts.tls);
  return {
    server,
    health,
    port,
    setServing: (up) => {
      for (const n of ['', ...names]) health.set(n, up);
    },
    shutdown: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        void Promise.resolve(opts.streams?.endAll()).finally(() =>
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          }),
        );
      }),
  };
}

/** Servers of one service (its data and admin ports) that are ready, and shut down, together. */
export function together(...servers: RunningGrpcServer[]): Pick<RunningGrpcServer, 'setServing' | 'shutdown'> {
  return {
    setServing: (up) => servers.forEach((s) => s.setServing(up)),
    shutdown: async (timeoutMs) => void (await Promise.all(servers.map((s) => s.shutdown(timeoutMs)))),
  };
}
