// OpenTelemetry tracing settings, read by every service (the standard OTEL_*
// names, so operators find them where they expect). Off by default.
import { int, oneOf, str, type Setting } from './define';

function ratio(def: number, description: string): Setting<number> {
  return {
    kind: 'number from 0 to 1',
    default: def,
    description,
    parse(raw) {
      const n = Number(raw);
      if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) || n < 0 || n > 1) throw new Error(`expected a number from 0 to 1, got "${raw}"`);
      return n;
    },
  };
}

export const tracingSettings = {
  OTEL_TRACES_EXPORTER: oneOf(['none', 'otlp'] as const, 'none', 'Tracing: otlp exports OpenTelemetry traces over OTLP/HTTP; none (the default) costs nothing'),
  OTEL_EXPORTER_OTLP_ENDPOINT: str('http://127.0.0.1:4318', 'OTLP/HTTP collector base URL; spans are POSTed to <url>/v1/traces'),
  OTEL_TRACES_SAMPLER_ARG: ratio(1, 'Fraction of client stanzas the edge traces; the other services follow the edge'),
  OTEL_SERVICE_NAME: str('', 'Service name in traces (empty: the app name: edge, auth, session, router)'),
  OTEL_BSP_SCHEDULE_DELAY: int(5000, 'Milliseconds between two exports of finished spans', 1, 600_000),
};
