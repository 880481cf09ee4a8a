// One structured (JSON lines) logger for every app, built on pino.
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Extra fields on every line (edge id, replica...). */
  base?: Record<string, unknown>;
}

export function createLogger({ service, level = 'info', base = {} }: LoggerOptions): Logger {
  return pino({
    level,
    base: { service, pid: process.pid, ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Belt and braces: these keys never reach a log line whatever the level.
    redact: { paths: ['password', '*.password', 'payload', '*.payload'], censor: '[redacted]' },
  });
}
