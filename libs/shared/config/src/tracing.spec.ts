import { describe, expect, it } from 'vitest';
import { defineConfig } from './define';
import { tracingSettings } from './tracing';

const def = defineConfig(tracingSettings);

describe('tracing settings', () => {
  it('are off by default', () => {
    expect(def.load({})).toMatchObject({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_SAMPLER_ARG: 1 });
  });
  it('take a sampling ratio from 0 to 1', () => {
    expect(def.load({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER_ARG: '0.25' }).OTEL_TRACES_SAMPLER_ARG).toBe(0.25);
    expect(def.load({ OTEL_TRACES_SAMPLER_ARG: '.5' }).OTEL_TRACES_SAMPLER_ARG).toBe(0.5);
    for (const bad of ['1.5', '-0.1', 'half', '0x1']) expect(() => def.load({ OTEL_TRACES_SAMPLER_ARG: bad }), bad).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => def.load({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(/OTEL_TRACES_EXPORTER/);
  });
});
