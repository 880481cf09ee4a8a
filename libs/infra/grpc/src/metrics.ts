// gRPC errors in Prometheus: every client call or stream that ends with a
// status other than OK (counted by a client interceptor that createClient
// installs, so unary calls, DuplexMux streams and Route streams all count),
// and server handlers that failed (unary: a thrown error becomes UNAVAILABLE).
import { InterceptingCall, status, type Interceptor } from '@grpc/grpc-js';
import { Counter } from 'prom-client';

const clientErrors = new Counter({
  name: 'xmpp_grpc_client_errors_total',
  help: 'gRPC calls and streams this process made that ended with a status other than OK, by service, method and status code',
  labelNames: ['service', 'method', 'code'],
});

const serverErrors = new Counter({
  name: 'xmpp_grpc_server_errors_total',
  help: 'gRPC unary handlers of this process that failed (answered UNAVAILABLE), by service and method',
  labelNames: ['service', 'method'],
});

const adminRefused = new Counter({
  name: 'xmpp_grpc_admin_refused_total',
  help: 'Admin calls this process refused: on the data port (PERMISSION_DENIED) or on the admin port without the right token (UNAUTHENTICATED), by service and method',
  labelNames: ['service', 'method', 'reason'],
});

export function countAdminRefused(path: string, reason: 'data-port' | 'token'): void {
  const [service, method] = splitPath(path);
  adminRefused.inc({ service, method, reason });
}

const codeNames = new Map<number, string>(
  Object.entries(status)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

/** '/xmpp.auth.v1.AuthService/Register' → ['xmpp.auth.v1.AuthService', 'Register']. */
export function splitPath(path: string): [string, string] {
  const [, service = '', method = ''] = path.split('/');
  return [service, method];
}

export function countClientError(path: string, code: number): void {
  const [service, method] = splitPath(path);
  clientErrors.inc({ service, method, code: codeNames.get(code) ?? String(code) });
}

export function countServerError(path: string): void {
  const [service, method] = splitPath(path);
  serverErrors.inc({ service, method });
}

/** Counts calls that end with a non-OK status; passes everything through untouched. */
export const errorCounter: Interceptor = (options, next) =>
  new InterceptingCall(next(options), {
    start(metadata, _listener, nextStart) {
      nextStart(metadata, {
        onReceiveStatus(s, nextStatus) {
          if (s.code !== status.OK) countClientError(options.method_definition.path, s.code);
          nextStatus(s);
        },
      });
    },
  });
