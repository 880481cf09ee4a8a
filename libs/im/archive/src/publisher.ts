// JetStream publishes with their acknowledgements on one subscription: each
// append is a core PUB with a reply subject under this process's inbox
// prefix, and the stream's PubAck comes back there. Compared with the
// client's js.publish (a request, a timer and an async hop each), appends
// made in one turn leave in one socket write and cost no timer: the archive
// writes two per routed message. Unanswered ones fail after TIMEOUT_MS (the
// caller retries under the same Nats-Msg-Id, so JetStream drops a duplicate).
import type { NatsConnection, Msg } from '@nats-io/transport-node';
import { headers } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';

const TIMEOUT_MS = 5000;

export class PublishError extends Error {
  constructor(
    message: string,
    readonly errCode = 0,
  ) {
    super(message);
  }
}

interface Waiting {
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
  at: number;
}

export class AckedPublisher {
  private readonly prefix = `_INBOX.${randomBytes(10).toString('hex')}.`;
  private readonly waiting = new Map<string, Waiting>();
  private n = 0;
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly nc: NatsConnection) {
    nc.subscribe(`${this.prefix}*`, { callback: (_err, msg) => this.onAck(msg) });
    this.sweep = setInterval(() => this.expire(), 1000);
    this.sweep.unref();
  }

  /** Publish and resolve with the stream sequence; rejects with the stream's error (errCode) or a timeout. */
  publish(subject: string, data: Uint8Array, opts: { msgId: string; lastSubjectSeq: number }): Promise<number> {
    const token = (++this.n).toString(36);
    const h = headers();
    h.set('Nats-Msg-Id', opts.msgId);
    h.set('Nats-Expected-Last-Subject-Sequence', String(opts.lastSubjectSeq));
    return new Promise((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, at: Date.now() });
      this.queue.push({ subject, data, h, reply: this.prefix + token });
      if (this.queue.length === 1) setImmediate(this.flush);
    });
  }

  /** Publishes of one event-loop turn (acks of several socket reads, several routed batches) leave in one write. */
  private readonly queue: Array<{ subject: string; data: Uint8Array; h: ReturnType<typeof headers>; reply: string }> = [];
  private readonly flush = () => {
    const q = this.queue.splice(0);
    for (const m of q) this.nc.publish(m.subject, m.data, { headers: m.h, reply: m.reply });
  };

  private onAck(msg: Msg): void {
    const w = this.waiting.get(msg.subject.slice(this.prefix.length));
    if (!w) return;
    this.waiting.delete(msg.subject.slice(this.prefix.length));
    if (msg.headers?.code === 503) return w.reject(new PublishError('no responders: the stream is not available'));
    try {
      const ack = JSON.parse(msg.string()) as { seq?: number; error?: { err_code?: number; description?: string } };
      if (ack.error) w.reject(new PublishError(ack.error.description ?? 'publish failed', ack.error.err_code ?? 0));
      else w.resolve(ack.seq ?? 0);
    } catch (err) {
      w.reject(err as Error);
    }
  }

  private expire(): void {
    const old = Date.now() - TIMEOUT_MS;
    for (const [k, w] of this.waiting) {
      if (w.at > old) break; // in insertion (time) order
      this.waiting.delete(k);
      w.reject(new PublishError('no acknowledgement in time'));
    }
  }

  close(): void {
    clearInterval(this.sweep);
  }
}
