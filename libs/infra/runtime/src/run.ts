// The life of a service process: validated config, one logger, NATS, metrics,
// and a graceful shutdown on SIGTERM/SIGINT bounded by SHUTDOWN_TIMEOUT_MS.
import { ConfigError, loadConfig, type ConfigDefinition, type ConfigOf, type Schema } from '@cx/config';
import { createLogger, type LogLevel, type Logger } from '@cx/log';
import { connectBus, type Bus } from '@cx/bus';
import { Readiness, startStatusServer } from './status-server';
import { startTracing, type TracingConfig } from '@cx/tracing';

export interface BaseConfig extends TracingConfig {
  NATS_URL: string;
  LOG_LEVEL: LogLevel;
  METRICS_PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
  NATS_REPLICAS: number;
  NATS_USER: string;
  NATS_PASSWORD: string;
  NATS_TOKEN: string;
  NATS_CREDS: string;
}

export interface ServiceContext<C> {
  config: C;
  log: Logger;
  bus: Bus;
}

export interface Started {
  stop(): Promise<void>;
}

export function loadConfigOrExit<S extends Schema>(service: string, def: ConfigDefinition<S>): ConfigOf<S> {
  try {
    return loadConfig(def, service);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

export async function runService<S extends Schema>(
  service: string,
  def: ConfigDefinition<S>,
  start: (ctx: ServiceContext<ConfigOf<S>>) => Promise<Started>,
): Promise<void> {
  const config = loadConfigOrExit(service, def) as ConfigOf<S> & BaseConfig;
  const log = createLogger({ service, level: config.LOG_LEVEL });
  const tracing = await startTracing(service, config);
  if (tracing) log.info({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, sampled: config.OTEL_TRACES_SAMPLER_ARG }, 'tracing on');
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  const credentials = { user: config.NATS_USER, password: config.NATS_PASSWORD, token: config.NATS_TOKEN, credsFile: config.NATS_CREDS };
  const bus = await connectBus({ servers: config.NATS_URL, name: service, log, replicas: config.NATS_REPLICAS, credentials });
  const readiness = new Readiness();
  const metrics = startStatusServer(config.METRICS_PORT, service, readiness, log);
  const started = await start({ config, log, bus });
  bus.onConnectivity((up) => readiness.setConnected(up));
  readiness.markStarted();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    readiness.markStopping();
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.warn('shutdown timed out, exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 1000);
    force.unref();
    try {
      await started.stop();
      await bus.close();
      metrics?.close();
      await tracing?.shutdown();
    } catch (err) {
      log.error({ err }, 'error during shutdown');
    }
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Run main, logging a fatal start-up error and exiting non-zero. */
export function main(fn: () => Promise<void>): void {
  fn().catch((err) => {
    process.stderr.write(`fatal: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  });
}
