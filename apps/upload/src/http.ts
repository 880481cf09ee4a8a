// The upload listener (XEP-0363 §6): PUT to a slot's signed URL, GET and
// HEAD of a stored file by its unsigned URL, OPTIONS for CORS preflights.
// Nothing here remembers a slot: the signature says what the PUT may be, the
// file index (KV) says what is stored, the FileStore holds the bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { checkGrant, CORS_HEADERS, fileIdOf, normalType, parseRange, servedHeaders, type FileEntry, type FileIndex, type FileStore } from '@cx/upload';
import type { Logger } from '@cx/log';
import type { UploadConfig } from './config';
import { countBytes, countRequest, transfers } from './metrics';

export interface UploadDeps {
  config: Pick<UploadConfig, 'UPLOAD_SECRET' | 'UPLOAD_MAX_FILE_SIZE' | 'UPLOAD_QUOTA_BYTES' | 'UPLOAD_MAX_TRANSFERS'>;
  index: FileIndex;
  store: FileStore;
  log: Logger;
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { ...CORS_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
  res.end(`${text}\n`);
}

/** The name segment of an upload path, decoded; undefined when it is not valid percent-encoding. */
function nameOf(path: string): string | undefined {
  try {
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return undefined;
  }
}

export function uploadHandler(d: UploadDeps): (req: IncomingMessage, res: ServerResponse) => void {
  let active = 0;
  return (req, res) => {
    const method = req.method ?? '';
    res.once('finish', () => countRequest(method, res.statusCode));
    const url = new URL(req.url ?? '/', 'http://upload');
    if (url.pathname === '/healthz') return send(res, 200, 'ok');
    if (method === 'OPTIONS') {
      res.writeHead(204, CORS_HEADERS);
      return void res.end();
    }
    const id = fileIdOf(url.pathname);
    if (!id) return send(res, 404, 'not found');
    if (method !== 'PUT' && method !== 'GET' && method !== 'HEAD') return send(res, 405, 'method not allowed', { allow: 'GET, HEAD, PUT, OPTIONS' });
    if (method !== 'HEAD' && active >= d.config.UPLOAD_MAX_TRANSFERS) return send(res, 503, 'busy, try again', { 'retry-after': '5', connection: 'close' });
    active++;
    transfers.inc();
    res.once('close', () => {
      active--;
      transfers.dec();
    });
    const work = method === 'PUT' ? put(d, req, res, url, id) : get(d, req, res, url, id, method === 'HEAD');
    work.catch((err: Error) => {
      d.log.error({ err, method, id }, 'upload request failed');
      send(res, 500, 'internal error');
    });
  };
}

async function put(d: UploadDeps, req: IncomingMessage, res: ServerResponse, url: URL, id: string): Promise<void> {
  const refuse = (status: number, text: string) => send(res, status, text, { connection: 'close' });
  const lengthText = req.headers['content-length'];
  if (lengthText === undefined || req.headers['transfer-encoding']) return refuse(411, 'a PUT needs Content-Length');
  const size = Number(lengthText);
  const type = normalType(req.headers['content-type'] ?? '');
  const name = nameOf(url.pathname);
  if (!type || name === undefined) return refuse(400, 'bad Content-Type or file name');
  // The signature covers path, size, type and uploader: a PUT that differs from the slot in anything is refused.
  const grant = checkGrant({ path: url.pathname, size, type, query: url.searchParams }, d.config.UPLOAD_SECRET);
  if (!grant.ok) return refuse(403, grant.reason === 'expired' ? 'this slot has expired' : 'this PUT does not match its slot');
  if (size > d.config.UPLOAD_MAX_FILE_SIZE) return refuse(413, 'file too large');
  const entry: FileEntry = { id, jid: grant.jid, name, size, type, at: Date.now(), done: false };
  const claimed = await d.index.reserve(entry, d.config.UPLOAD_QUOTA_BYTES);
  if (claimed === 'exists') return refuse(409, 'a file was already uploaded to this slot');
  if (claimed === 'over-quota') return refuse(413, 'over quota');
  try {
    await d.store.put(id, req, size);
  } catch (err) {
    await d.index.abandon(entry);
    if (req.destroyed || req.readableAborted) return void res.destroy();
    d.log.warn({ err: (err as Error).message, id }, 'upload not stored');
    return refuse(400, 'the body did not match Content-Length');
  }
  await d.index.complete(entry);
  countBytes('in', size);
  send(res, 201, 'created');
}

async function get(d: UploadDeps, req: IncomingMessage, res: ServerResponse, url: URL, id: string, head: boolean): Promise<void> {
  const entry = await d.index.file(id);
  if (!entry || nameOf(url.pathname) !== entry.name) return send(res, 404, 'not found');
  const headers = {
    ...CORS_HEADERS,
    ...servedHeaders(entry.type, entry.name),
    'content-length': String(entry.size),
    'cache-control': 'public, max-age=31536000, immutable',
    'accept-ranges': 'bytes',
    etag: `"${id}"`,
  };
  // One range (a player seeking, a download resumed); If-Range with another validator: the whole file.
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== headers.etag ? undefined : parseRange(req.headers.range, entry.size);
  if (range === 'unsatisfiable') return send(res, 416, 'range not satisfiable', { 'content-range': `bytes */${entry.size}` });
  const status = range ? 206 : 200;
  if (range)
    Object.assign(headers, { 'content-length': String(range.last - range.first + 1), 'content-range': `bytes ${range.first}-${range.last}/${entry.size}` });
  if (head) {
    res.writeHead(status, headers);
    return void res.end();
  }
  const file = await d.store.get(id, range);
  if (!file) return send(res, 404, 'not found');
  res.writeHead(status, headers);
  await pipeline(file.body, res).catch(() => res.destroy());
  if (res.writableFinished) countBytes('out', Number(headers['content-length']));
}
