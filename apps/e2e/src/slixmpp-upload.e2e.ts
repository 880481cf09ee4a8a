// slixmpp (Debian python3-slixmpp), a client nobody here wrote, uploads a file
// with its own xep_0363 plugin: it finds upload.localhost by disco, reads
// max-file-size from the service's form, gets a slot and PUTs; the GET URL it
// gets back returns the same bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { register, uniqueName } from '@cx/testing';
import { runSlixmpp } from './slixmpp/run';

const [, edgeB] = inject('edgePorts');
const certFile = inject('certFile');
const dir = mkdtempSync(join(tmpdir(), 'slix-upload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('slixmpp: XEP-0363 HTTP File Upload', () => {
  it('uploads with upload_file, and the GET returns the same bytes', async () => {
    const name = uniqueName('slixup');
    await register(edgeB, name, 'pw');
    const bytes = randomBytes(200 * 1024 + 3);
    const file = join(dir, 'report 2026.pdf');
    writeFileSync(file, bytes);
    const r = await runSlixmpp('upload.py', [`${name}@localhost`, 'pw', '127.0.0.1', String(edgeB), certFile, file, 'application/pdf']);
    expect(r.code, r.stderr + JSON.stringify(r.events)).toBe(0);
    const up = r.events.find((e) => e.event === 'uploaded');
    expect(up?.max).toBe(1024 * 1024);
    const got = await fetch(String(up?.url));
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    // The plugin read max-file-size from the service's form: a larger file is refused before any slot is asked.
    const big = await runSlixmpp('upload.py', [`${name}@localhost`, 'pw', '127.0.0.1', String(edgeB), certFile, file, 'application/pdf', 'too-big']);
    expect(
      big.events.find((e) => e.event === 'too-big'),
      big.stderr + JSON.stringify(big.events),
    ).toMatchObject({ max: 1024 * 1024 });
  }, 60_000);
});
