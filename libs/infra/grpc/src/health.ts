// The standard gRPC health checking protocol (grpc.health.v1), served from our
// generated types so no .proto file is loaded at run time. Kubernetes `grpc:`
// probes call Check; readiness follows NATS connectivity.
import { status, type Server, type ServerWritableStream } from '@grpc/grpc-js';
import { healthv1 } from '@cx/proto';

const { HealthCheckResponse_ServingStatus: Status } = healthv1;
type Status = healthv1.HealthCheckResponse_ServingStatus;

export class Health {
  private readonly statuses = new Map<string, Status>();
  private readonly watchers = new Map<string, Set<ServerWritableStream<healthv1.HealthCheckRequest, healthv1.HealthCheckResponse>>>();

  /** service '' is the server as a whole. */
  set(service: string, serving: boolean): void {
    const s = serving ? Status.SERVING : Status.NOT_SERVING;
    if (this.statuses.get(service) === s) return;
    this.statuses.set(service, s);
    for (const call of this.watchers.get(service) ?? []) call.write({ status: s });
  }

  addTo(server: Server): void {
    const impl: healthv1.HealthServer = {
      check: (call, cb) => {
        const s = this.statuses.get(call.request.service);
        if (s === undefined) cb({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
        else cb(null, { status: s });
      },
      watch: (call) => {
        const name = call.request.service;
        const set = this.watchers.get(name) ?? new Set();
        this.watchers.set(name, set.add(call));
        call.write({ status: this.statuses.get(name) ?? Status.SERVICE_UNKNOWN });
        call.on('cancelled', () => set.delete(call));
      },
    };
    server.addService(healthv1.HealthService, impl);
  }
}
