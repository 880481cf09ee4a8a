// Composition root of the upload service (XEP-0363's HTTP side): the upload
// listener (PUT, GET, HEAD, OPTIONS), the admin listener, the retention sweep.
import { createServer, type Server } from 'node:http';
import { main, runService } from '@cx/runtime';
import { FileIndex, NatsFileStore, S3FileStore, type FileStore } from '@cx/upload';
import type { Bus } from '@cx/bus';
import { uploadConfig, type UploadConfig } from './config';
import { uploadHandler } from './http';
import { adminHandler } from './admin';
import { startSweeps } from './sweep';

async function openStore(config: UploadConfig, bus: Bus): Promise<FileStore> {
  if (config.UPLOAD_STORE === 'nats') return NatsFileStore.open(bus.nc, { replicas: bus.replicas, maxBytes: config.UPLOAD_STORE_MAX_BYTES || -1 });
  if (!config.UPLOAD_S3_ENDPOINT) throw new Error('UPLOAD_STORE=s3 needs UPLOAD_S3_ENDPOINT');
  return new S3FileStore({
    endpoint: config.UPLOAD_S3_ENDPOINT,
    bucket: config.UPLOAD_S3_BUCKET,
    region: config.UPLOAD_S3_REGION,
    accessKey: config.UPLOAD_S3_ACCESS_KEY,
    secretKey: config.UPLOAD_S3_SECRET_KEY,
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

function close(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

main(() =>
  runService('upload', uploadConfig, async ({ config, log, bus }) => {
    if (!config.UPLOAD_SECRET) throw new Error('UPLOAD_SECRET is required (the same value as the routers’)');
    const store = await openStore(config, bus);
    const index = await FileIndex.open(bus);
    const server = createServer(uploadHandler({ config, index, store, log }));
    // No time limit on a request's body: large files on slow links take long (the slot's expiry is checked at the start).
    server.requestTimeout = 0;
    const admin = createServer(adminHandler({ token: config.ADMIN_TOKEN, index, store }));
    const port = await listen(server, config.UPLOAD_PORT, config.UPLOAD_HOST);
    const adminPort = await listen(admin, config.UPLOAD_ADMIN_PORT, config.UPLOAD_ADMIN_HOST);
    const stopSweeps = startSweeps({ index, store, retentionDays: config.UPLOAD_RETENTION_DAYS, log }, config.UPLOAD_SWEEP_INTERVAL_S * 1000);
    log.info({ port, adminPort, store: store.name, publicUrl: config.UPLOAD_PUBLIC_URL, retentionDays: config.UPLOAD_RETENTION_DAYS }, 'upload service ready');
    return {
      stop: async () => {
        stopSweeps();
        await Promise.all([close(server, config.SHUTDOWN_TIMEOUT_MS), close(admin, 1000)]);
        await store.close?.();
      },
    };
  }),
);
