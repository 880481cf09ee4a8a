// The upload service in Prometheus: requests by method and status, bytes in
// and out, transfers under way (bounded by UPLOAD_MAX_TRANSFERS), files deleted.
import { Counter, Gauge } from 'prom-client';

const requests = new Counter({ name: 'xmpp_upload_requests_total', help: 'HTTP requests by method and status', labelNames: ['method', 'status'] });
const bytes = new Counter({ name: 'xmpp_upload_bytes_total', help: 'File bytes received (in: PUT) and sent (out: GET)', labelNames: ['direction'] });
export const transfers = new Gauge({ name: 'xmpp_upload_transfers', help: 'PUTs and GETs under way' });
const deleted = new Counter({
  name: 'xmpp_upload_files_deleted_total',
  help: 'Files deleted, by reason: retention, orphan (no entry: a removed account, a failed PUT), admin (xmppctl)',
  labelNames: ['reason'],
});

export function countRequest(method: string, status: number): void {
  requests.inc({ method: ['GET', 'HEAD', 'PUT', 'OPTIONS'].includes(method) ? method : 'other', status: String(status) });
}

export function countBytes(direction: 'in' | 'out', n: number): void {
  bytes.inc({ direction }, n);
}

export function countDeleted(reason: 'retention' | 'orphan' | 'admin', n = 1): void {
  deleted.inc({ reason }, n);
}
