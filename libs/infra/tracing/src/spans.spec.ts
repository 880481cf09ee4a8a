import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { headers } from '@nats-io/transport-node';
import { startTracing, useAsyncContext, type Tracing, type TracingConfig } from './start';
import { activeTraceparent, continueTrace, inNewTrace, sampleNewTrace, spanTraceparent, startTrace, SpanKind } from './spans';
import { tracePublishOptions, traceparentFrom } from './nats';
import { tracingOn } from './state';

const config = (over: Partial<TracingConfig> = {}): TracingConfig => ({
  OTEL_TRACES_EXPORTER: 'otlp',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
  OTEL_TRACES_SAMPLER_ARG: 1,
  OTEL_SERVICE_NAME: '',
  OTEL_BSP_SCHEDULE_DELAY: 5000,
  ...over,
});
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe('tracing off', () => {
  it('is the default and makes nothing', async () => {
    expect(await startTracing('t', config({ OTEL_TRACES_EXPORTER: 'none' }))).toBeUndefined();
    expect(tracingOn()).toBe(false);
    expect(sampleNewTrace()).toBe(false);
    expect(activeTraceparent()).toBe('');
    expect(tracePublishOptions()).toBeUndefined();
    expect(continueTrace('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'y', SpanKind.CONSUMER, undefined, () => activeTraceparent())).toBe('');
  });
});

describe('tracing on', () => {
  it('links a stanza span, the spans continuing it across awaits, and their children', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing('edge', config(), exporter);
    await useAsyncContext();
    expect(sampleNewTrace()).toBe(true);
    const root = startTrace('edge route message', SpanKind.PRODUCER);
    const tp = spanTraceparent(root);
    const [, traceId, rootId] = TRACEPARENT.exec(tp)!;
    root.end();
    const seen = await continueTrace(tp, 'router route', SpanKind.CONSUMER, { 'xmpp.kind': 1 }, async () => {
      await new Promise((r) => setTimeout(r, 5));
      const inner = activeTraceparent();
      const opts = tracePublishOptions();
      return { inner, header: traceparentFrom(opts?.headers) };
    });
    expect(seen.inner).toMatch(TRACEPARENT);
    expect(seen.header).toBe(seen.inner);
    const child = continueTrace(seen.inner, 'edge deliver', SpanKind.CONSUMER, undefined, () => 42);
    expect(child).toBe(42);
    await tracing!.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['edge route message', 'router route', 'edge deliver']);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(spans[1].parentSpanContext?.spanId).toBe(rootId);
    expect(spans[2].parentSpanContext?.spanId).toBe(spans[1].spanContext().spanId);
    expect(spans[0].resource.attributes['service.name']).toBe('edge');
  });

  it('keeps the active span only synchronously unless the process asks for async context', async () => {
    tracing = await startTracing('session', config(), new InMemorySpanExporter());
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const seen = await continueTrace(tp, 's', SpanKind.SERVER, undefined, async () => {
      const before = activeTraceparent();
      await new Promise((r) => setTimeout(r, 1));
      return { before, after: activeTraceparent() };
    });
    expect(seen.before).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(seen.after).toBe('');
    expect(activeTraceparent()).toBe('');
  });

  it('samples new traces by OTEL_TRACES_SAMPLER_ARG and follows the parent elsewhere', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing('edge', config({ OTEL_TRACES_SAMPLER_ARG: 0 }), exporter);
    expect(sampleNewTrace()).toBe(false);
    expect(inNewTrace('y', SpanKind.CLIENT, undefined, () => activeTraceparent())).toBe('');
    expect(continueTrace('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'z', SpanKind.SERVER, undefined, () => activeTraceparent())).toMatch(
      /^00-0af7651916cd43dd8448eb211c80319c-/,
    );
  });

  it('records a failure and still ends the span', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing('router', config(), exporter);
    await expect(
      inNewTrace('fails', SpanKind.INTERNAL, undefined, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const h = headers();
    expect(traceparentFrom(h)).toBe('');
    await tracing!.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span.status.code).toBe(2);
    expect(span.events[0].name).toBe('exception');
  });
});
