#!/usr/bin/env node
// `npm run nats`: just nats-server (JetStream, data in var/nats, port NATS_PORT
// or 4222), for running services one by one with `nx serve <app>`.
import { join } from 'node:path';
import { root, startNats } from './stack.mjs';

const nats = await startNats({ dataDir: join(root, 'var/nats'), port: Number(process.env.NATS_PORT ?? 4222), onLine: (l) => console.log(l) });
console.log(`nats-server on ${nats.url}; Ctrl-C stops it`);
const stop = () => nats.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
