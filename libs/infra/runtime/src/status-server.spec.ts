// The status port over real HTTP: /healthz always answers, /readyz follows
// start-up, NATS connectivity and shutdown, /metrics serves Prometheus text.
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@cx/log';
import { freePort } from '@cx/stack';
import { Readiness, startStatusServer } from './status-server';

const log = createLogger({ service: 'status-test', level: 'fatal' });
const readiness = new Readiness();
let server: Server;
let port: number;

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  port = await freePort();
  server = startStatusServer(port, 'status-test', readiness, log)!;
  await new Promise((r) => server.once('listening', r));
});

afterAll(() => new Promise((r) => server.close(r)));

describe('status server', () => {
  it('is off on port 0', () => {
    expect(startStatusServer(0, 'status-test', readiness, log)).toBeUndefined();
  });

  it('answers /healthz from the start, /readyz only once started and connected', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(503);
    readiness.markStarted();
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ready\n' });
    readiness.setConnected(false);
    expect((await get('/readyz')).status).toBe(503);
    expect((await get('/healthz')).status).toBe(200);
    readiness.setConnected(true);
    expect((await get('/readyz?verbose')).status).toBe(200);
  });

  it('is not ready any more once stopping, even when connected', async () => {
    readiness.markStopping();
    readiness.setConnected(true);
    expect((await get('/readyz')).status).toBe(503);
  });

  it('serves metrics and 404 elsewhere', async () => {
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('process_cpu_user_seconds_total');
    expect((await get('/nope')).status).toBe(404);
  });
});
