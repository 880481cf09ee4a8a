// SASL exchanges relayed to the auth service over a few long-lived Exchange
// streams, multiplexed by exchange id. A broken stream fails its exchanges with
// temporary-auth-failure (RFC 6120 §6.5.12) and is reopened.
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { SaslResult } from '@cx/c2s';
import type { Logger } from '@cx/log';
import { authv1 } from '@cx/proto';
import { waitingMetadata } from '@cx/grpc';

type Stream = ClientDuplexStream<authv1.SaslRequest, authv1.SaslResponse>;

export class SaslLink {
  private readonly streams: Array<Stream | undefined>;
  private readonly waiting = new Map<number, { slot: number; cb: (r: SaslResult) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly client: authv1.AuthServiceClient, size: number, private readonly log: Logger) {
    this.streams = new Array(size).fill(undefined);
  }

  private stream(slot: number): Stream {
    const existing = this.streams[slot];
    if (existing) return existing;
    const s = this.client.exchange(waitingMetadata());
    s.on('data', (res: authv1.SaslResponse) => this.onResponse(res));
    const broken = (err?: Error) => {
      if (this.streams[slot] !== s) return;
      this.streams[slot] = undefined;
      if (!this.closed) this.log.warn({ err: err?.message }, 'auth exchange stream closed');
      for (const [id, w] of this.waiting) {
        if (w.slot !== slot) continue;
        this.waiting.delete(id);
        w.cb({ kind: 'failure', condition: 'temporary-auth-failure' });
      }
    };
    s.on('error', broken);
    s.on('end', () => broken());
    this.streams[slot] = s;
    return s;
  }

  private onResponse(res: authv1.SaslResponse): void {
    const w = this.waiting.get(res.exchangeId);
    const r = res.result;
    if (!w || !r) return;
    if (r.$case !== 'challenge') this.waiting.delete(res.exchangeId);
    if (r.$case === 'challenge') w.cb({ kind: 'challenge', data: Buffer.from(r.value) });
    else if (r.$case === 'success') w.cb({ kind: 'success', username: r.value.username, data: r.value.additionalData ? Buffer.from(r.value.additionalData) : undefined });
    else w.cb({ kind: 'failure', condition: r.value.condition, text: r.value.text || undefined });
  }

  start(start: authv1.SaslStart, cb: (r: SaslResult) => void): number {
    const id = this.nextId++;
    const slot = id % this.streams.length;
    this.waiting.set(id, { slot, cb });
    this.stream(slot).write({ exchangeId: id, step: { $case: 'start', value: start } });
    return id;
  }

  step(id: number, data: Buffer): void {
    const w = this.waiting.get(id);
    if (w) this.stream(w.slot).write({ exchangeId: id, step: { $case: 'response', value: data } });
  }

  abort(id: number): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    this.stream(w.slot).write({ exchangeId: id, step: { $case: 'abort', value: true } });
  }

  close(): void {
    this.closed = true;
    for (const s of this.streams) s?.end();
  }
}
