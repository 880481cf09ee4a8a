// Types for stack.mjs (the harness that starts NATS and the services).
import type { ChildProcess } from 'node:child_process';

export interface Proc {
  name: string;
  child: ChildProcess;
  env: Record<string, string>;
  /** With startStack({ metrics: true }). */ metricsPort?: number;
  stop(signal?: string): Promise<void>;
}
export interface Stack {
  nats: { port: number; url: string; child: ChildProcess; stop(): Promise<void> };
  edgePorts: number[];
  /** Direct TLS ports of the edges (with `tls`). */
  tlsPorts: number[];
  /** WebSocket (RFC 7395) ports of the edges. */
  wsPorts: number[];
  /** SOCKS5 bytestreams proxy (XEP-0065) ports of the edges. */
  proxy65Ports: number[];
  /** coturn, with `turn`: its port and the settings the routers got (EXTDISCO_SERVICES, TURN_SECRET). */
  turn?: Turn;
  /** External component (XEP-0114) ports of the edges (listened on when COMPONENTS is set). */
  componentPorts: number[];
  /** The upload service (XEP-0363's HTTP side), as slots name it. */
  uploadUrl: string;
  /** Its admin listener (xmppctl's UPLOAD_ADMIN_URL). */
  uploadAdminUrl: string;
  edges: Proc[];
  procs: Proc[];
  addrs: { AUTH_ADDR: string; SESSION_ADDR: string; ROUTER_ADDR: string };
  /** The admin ports (what xmppctl's AUTH_ADDR, SESSION_ADDR, ROUTER_ADDR name). */
  adminAddrs: { AUTH_ADDR: string; SESSION_ADDR: string; ROUTER_ADDR: string };
  env: Record<string, string>;
  restart(p: Proc): Proc;
  stop(): Promise<void>;
}
export interface Turn {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
  routerEnv: { EXTDISCO_SERVICES: string; TURN_SECRET: string };
}
export const root: string;
export function turnserverPath(): string | null;
export function startTurn(o: {
  dataDir: string;
  secret: string;
  port?: number;
  host?: string;
  domain?: string;
  minPort?: number;
  maxPort?: number;
  onLine?: (l: string) => void;
  detached?: boolean;
}): Promise<Turn>;
export function freePort(): Promise<number>;
export function waitForPort(port: number, timeoutMs?: number, host?: string): Promise<void>;
export function natsServerPath(): string | null;
export function makeCertificate(dir: string, domain?: string): { certFile: string; keyFile: string } | null;
export function makeGrpcCertificates(dir: string): { GRPC_TLS_CA: string; GRPC_TLS_CERT: string; GRPC_TLS_KEY: string };
/** args: more nats-server flags (e.g. --user/--pass, -c a config file). */
export function startNats(o: { dataDir: string; port?: number; args?: string[]; onLine?: (l: string) => void }): Promise<Stack['nats']>;
export function startApp(name: string, env: Record<string, string>, o?: { onLine?: (l: string) => void }): Proc;
export function stopChild(child: ChildProcess, signal?: string, timeoutMs?: number): Promise<void>;
export function startStack(o?: {
  dataDir?: string;
  edges?: number;
  routers?: number;
  tls?: { certFile: string; keyFile: string };
  env?: Record<string, string>;
  natsPort?: number;
  c2sPorts?: number[];
  c2sTlsPorts?: number[];
  wsPorts?: number[];
  proxy65Ports?: number[];
  componentPorts?: number[];
  grpcPorts?: {
    auth?: number;
    session?: number;
    router?: number;
    authAdmin?: number;
    sessionAdmin?: number;
    routerAdmin?: number;
    upload?: number;
    uploadAdmin?: number;
  };
  /** Give every process a METRICS_PORT of its own (Proc.metricsPort). */
  metrics?: boolean;
  /** Start coturn too (XEP-0215): its port, bind address and shared secret (default: a free port, loopback, a random secret). */
  turn?: { port?: number; host?: string; secret?: string; dataDir?: string };
  detached?: boolean;
  onLine?: (name: string, line: string) => void;
}): Promise<Stack>;
