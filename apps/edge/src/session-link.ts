// Bind, Unbind and the stream management operations over a few long-lived
// Sessions streams to the session service, multiplexed by request id.
//
// Every request has a deadline (timeoutMs), and fails at once once the service
// has been unreachable for a deadline (unreachableFor), rejecting with SessionUnavailable so the client
// gets an answer of type wait instead of silence. A request that timed out was
// still queued on its stream and may be carried out once the service is back;
// the answer is then undone where it would leave something behind:
// - a bind that succeeded is unbound (no session registered for a client that
//   was told it has none). Until that is settled, the same connection cannot
//   bind again (a retry with the same resource could otherwise be undone);
// - a resume that moved the session here is detached again for resumeHoldMs,
//   so the session stays resumable (the client was told the resume failed,
//   not that the session is gone).
// A late enableSm is left: routers then deliver to the connection through the
// stream, which writes deliveries of connections without SM as usual.
// Unbind and Detach clean up after a connection nobody waits for, so instead
// of failing they are tried again while the service is unavailable (for up to
// retryForMs): a connection that closes during an outage leaves no session in
// the registry once the service is back.
import { DuplexMux, unreachableFor, waitingMetadata } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { sessionv1 } from '@cx/proto';
import { countUnanswered } from './dependency-metrics';

type Result = NonNullable<sessionv1.SessionsResponse['result']>;
type Op = NonNullable<sessionv1.SessionsRequest['op']>;

interface Undo {
  expired(): void;
  late(r: Result | undefined): void;
}

/** The session service did not answer (in time): the client should try again later. */
export class SessionUnavailable extends Error {
  override name = 'SessionUnavailable';
}

export interface SessionLinkOptions {
  /** Long-lived Sessions streams. */
  size: number;
  /** Deadline of each request (0: none). */
  timeoutMs: number;
  /** How long a session whose resume answered too late stays resumable (the SM resume timeout). */
  resumeHoldMs: number;
  /** How long Unbind and Detach are tried again while the service is unavailable (default 30 s). */
  retryForMs?: number;
  /** Pause between those tries (default 1 s). */
  retryEveryMs?: number;
  log: Logger;
}

export class SessionLink {
  private readonly mux: DuplexMux<sessionv1.SessionsRequest, sessionv1.SessionsResponse>;
  /** Connections whose timed-out bind may still be carried out. */
  private readonly unsettled = new Set<string>();
  private closed = false;

  constructor(
    client: sessionv1.SessionServiceClient,
    private readonly o: SessionLinkOptions,
  ) {
    this.mux = new DuplexMux({
      name: 'session.Sessions',
      connect: () => client.sessions(waitingMetadata()),
      idOf: (res) => res.requestId,
      size: o.size,
      timeoutMs: o.timeoutMs,
      lateMs: Math.max(60_000, 10 * o.timeoutMs),
      log: o.log,
      down: () => unreachableFor(client) >= o.timeoutMs,
      onUnanswered: countUnanswered('session'),
    });
  }

  /** undo: told when the request timed out, then of its late answer (undefined: none will come). */
  private request(op: Op, undo?: Undo): Promise<Result> {
    return new Promise((resolve, reject) => {
      const id = this.mux.start({
        onResponse: (res) => {
          const r = res.result;
          if (!r || r.$case === 'error') reject(new Error(r?.value ?? 'empty response'));
          else resolve(r);
          return true;
        },
        onBroken: () => reject(new SessionUnavailable('the session service is unavailable')),
        onTimeout: () => {
          undo?.expired();
          reject(new SessionUnavailable('the session service did not answer in time'));
        },
        onLate: undo && ((res) => undo.late(res?.result)),
      });
      this.mux.write(id, { requestId: id, op });
    });
  }

  async bind(req: sessionv1.BindRequest): Promise<sessionv1.BindResponse> {
    if (this.unsettled.has(req.connectionId)) throw new SessionUnavailable('an earlier bind of this connection is not settled yet');
    const undo: Undo = { expired: () => this.unsettled.add(req.connectionId), late: (late) => this.undoBind(req.connectionId, late) };
    const r = await this.request({ $case: 'bind', value: req }, undo);
    if (r.$case !== 'bind') throw new Error(`unexpected ${r.$case}`);
    return r.value;
  }

  async unbind(req: sessionv1.UnbindRequest): Promise<boolean> {
    const r = await this.persist({ $case: 'unbind', value: req });
    return r.$case === 'unbind' && r.value.removed;
  }

  async enableSm(req: sessionv1.EnableSmRequest): Promise<boolean> {
    const r = await this.request({ $case: 'enableSm', value: req });
    return r.$case === 'enableSm' && r.value.ok;
  }

  async detach(req: sessionv1.DetachRequest): Promise<boolean> {
    const r = await this.persist({ $case: 'detach', value: req });
    return r.$case === 'detach' && r.value.ok;
  }

  async resume(req: sessionv1.ResumeRequest): Promise<sessionv1.ResumeResponse> {
    const r = await this.request({ $case: 'resume', value: req }, { expired: () => undefined, late: (late) => this.undoResume(req, late) });
    if (r.$case !== 'resume') throw new Error(`unexpected ${r.$case}`);
    return r.value;
  }

  /** A request that must reach the service (it is idempotent): tried again while the service is unavailable. */
  private async persist(op: Op): Promise<Result> {
    const until = Date.now() + (this.o.retryForMs ?? 30_000);
    for (;;) {
      try {
        return await this.request(op);
      } catch (err) {
        if (!(err instanceof SessionUnavailable) || this.closed || Date.now() >= until) throw err;
        await new Promise((r) => setTimeout(r, this.o.retryEveryMs ?? 1000).unref());
      }
    }
  }

  private undoBind(connectionId: string, late: Result | undefined): void {
    const jid = late?.$case === 'bind' && late.value.result?.$case === 'fullJid' ? late.value.result.value : undefined;
    if (!jid) return void this.unsettled.delete(connectionId);
    this.o.log.info({ jid, connectionId }, 'a bind answered after its deadline; unbinding it');
    this.unbind({ fullJid: jid, connectionId, reason: 'bind-timeout' })
      .catch((err: Error) => this.o.log.warn({ err: err.message, jid }, 'could not undo a late bind'))
      .finally(() => this.unsettled.delete(connectionId));
  }

  private undoResume(req: sessionv1.ResumeRequest, late: Result | undefined): void {
    if (late?.$case !== 'resume' || late.value.result?.$case !== 'previous') return;
    this.o.log.info({ jid: req.fullJid }, 'a resume answered after its deadline; detaching the session again');
    this.detach({ fullJid: req.fullJid, connectionId: req.connectionId, untilMs: Date.now() + this.o.resumeHoldMs }).catch((err: Error) =>
      this.o.log.warn({ err: err.message, jid: req.fullJid }, 'could not undo a late resume'),
    );
  }

  close(): void {
    this.closed = true;
    this.mux.close();
  }
}
