// Against a real nats-server: the JetStream object store backend and the file
// index (quota, a second PUT refused, account removal). The S3 backend runs the
// same checks against the store UPLOAD_S3_ENDPOINT names (with UPLOAD_S3_BUCKET,
// _REGION, _ACCESS_KEY, _SECRET_KEY), or else against s3rver, a fake S3 server
// written elsewhere, started here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import S3rver from 's3rver';
import { startNats } from '@cx/stack';
import { connectBus, type Bus } from '@cx/bus';
import type { FileStore } from './file-store';
import { NatsFileStore } from './nats-store';
import { S3FileStore } from './s3-store';
import { FileIndex, type FileEntry } from './file-index';

const dir = mkdtempSync(join(tmpdir(), 'upload-'));
let nats: Awaited<ReturnType<typeof startNats>>;
let bus: Bus;
let s3rver: S3rver | undefined;
const s3 = {
  endpoint: process.env.UPLOAD_S3_ENDPOINT ?? '',
  bucket: process.env.UPLOAD_S3_BUCKET ?? 'xmpp-upload',
  region: process.env.UPLOAD_S3_REGION ?? 'us-east-1',
  accessKey: process.env.UPLOAD_S3_ACCESS_KEY ?? 'S3RVER',
  secretKey: process.env.UPLOAD_S3_SECRET_KEY ?? 'S3RVER',
};

beforeAll(async () => {
  if (!s3.endpoint) {
    s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: s3.bucket }] });
    s3.endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
  }
  nats = await startNats({ dataDir: dir });
  bus = await connectBus({ servers: nats.url, name: 'upload-spec', log: pino({ level: 'silent' }) });
}, 30_000);
afterAll(async () => {
  await bus.close();
  await nats.stop();
  await s3rver?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

function storeChecks(name: string, open: () => Promise<FileStore>) {
  describe(`${name} file store`, () => {
    it('stores a file in chunks and gives back the same bytes', async () => {
      const store = await open();
      const bytes = randomBytes(700 * 1024 + 13);
      const id = randomBytes(18).toString('base64url');
      await store.put(id, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), bytes.length);
      const got = await store.get(id);
      expect(got?.size).toBe(bytes.length);
      expect((await readAll(got!.body)).equals(bytes)).toBe(true);
      // A range across chunk boundaries (the object store's chunks are 128 KiB).
      const part = await store.get(id, { first: 100_000, last: 400_000 });
      expect(part?.size).toBe(bytes.length);
      expect((await readAll(part!.body)).equals(bytes.subarray(100_000, 400_001))).toBe(true);
      const listed: string[] = [];
      for await (const o of store.list()) listed.push(o.id);
      expect(listed).toContain(id);
      await store.delete(id);
      expect(await store.get(id)).toBeNull();
    });

    it('refuses a body shorter or longer than announced, keeping nothing', async () => {
      const store = await open();
      const id = randomBytes(18).toString('base64url');
      await expect(store.put(id, Readable.from([Buffer.alloc(10)]), 11)).rejects.toThrow();
      await expect(store.put(id, Readable.from([Buffer.alloc(12)]), 11)).rejects.toThrow();
      expect(await store.get(id)).toBeNull();
    });
  });
}

storeChecks('JetStream', () => NatsFileStore.open(bus.nc, { replicas: 1 }));
storeChecks('S3', async () => new S3FileStore(s3));

describe('file index', () => {
  const entry = (jid: string, size: number): FileEntry => ({
    id: randomBytes(18).toString('base64url'),
    jid,
    name: 'f',
    size,
    type: 'a/b',
    at: Date.now(),
    done: false,
  });

  it('counts usage against the quota and refuses a second PUT to a path', async () => {
    const index = await FileIndex.open(bus);
    const a = entry('quota@localhost', 600);
    expect(await index.reserve(a, 1000)).toBe('ok');
    expect(await index.reserve(a, 1000)).toBe('exists');
    expect(await index.file(a.id)).toBeNull(); // not served while it streams
    await index.complete(a);
    expect(await index.file(a.id)).toMatchObject({ id: a.id, done: true });
    const b = entry('quota@localhost', 600);
    expect(await index.reserve(b, 1000)).toBe('over-quota');
    expect(await index.known(b.id)).toBe(false);
    expect(await index.usage('quota@localhost')).toBe(600);
    const c = entry('quota@localhost', 300);
    expect(await index.reserve(c, 1000)).toBe('ok');
    await index.abandon(c);
    expect(await index.usage('quota@localhost')).toBe(600);
    expect(await index.reserve(c, 1000)).toBe('ok'); // a failed PUT may be tried again
    await index.abandon(c);
  });

  it("lists and removes an account's files", async () => {
    const index = await FileIndex.open(bus);
    const files = [entry('gone@localhost', 1), entry('gone@localhost', 2)];
    for (const f of files) {
      await index.reserve(f, 0);
      await index.complete(f);
    }
    expect((await index.files('gone@localhost')).map((f) => f.id)).toEqual(files.map((f) => f.id));
    expect((await index.removeUser('gone@localhost')).sort()).toEqual(files.map((f) => f.id).sort());
    expect(await index.files('gone@localhost')).toEqual([]);
    expect(await index.usage('gone@localhost')).toBe(0);
    expect(await index.file(files[0].id)).toBeNull();
  });
});
