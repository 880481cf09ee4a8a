// Bind and Unbind over a few long-lived Sessions streams to the session
// service, multiplexed by request id.
import { DuplexMux, waitingMetadata } from '@cx/grpc';
import type { Logger } from '@cx/log';
import type { sessionv1 } from '@cx/proto';

type Result = NonNullable<sessionv1.SessionsResponse['result']>;

export class SessionLink {
  private readonly mux: DuplexMux<sessionv1.SessionsRequest, sessionv1.SessionsResponse>;

  constructor(client: sessionv1.SessionServiceClient, size: number, log: Logger) {
    this.mux = new DuplexMux('session.Sessions', () => client.sessions(waitingMetadata()), (res) => res.requestId, size, log);
  }

  private request(op: NonNullable<sessionv1.SessionsRequest['op']>): Promise<Result> {
    return new Promise((resolve, reject) => {
      const id = this.mux.start({
        onResponse: (res) => {
          const r = res.result;
          if (!r || r.$case === 'error') reject(new Error(r?.value ?? 'empty response'));
          else resolve(r);
          return true;
        },
        onBroken: () => reject(new Error('session stream broken')),
      });
      this.mux.write(id, { requestId: id, op });
    });
  }

  async bind(req: sessionv1.BindRequest): Promise<sessionv1.BindResponse> {
    const r = await this.request({ $case: 'bind', value: req });
    if (r.$case !== 'bind') throw new Error(`unexpected ${r.$case}`);
    return r.value;
  }

  async unbind(req: sessionv1.UnbindRequest): Promise<boolean> {
    const r = await this.request({ $case: 'unbind', value: req });
    return r.$case === 'unbind' && r.value.removed;
  }

  async enableSm(req: sessionv1.EnableSmRequest): Promise<boolean> {
    const r = await this.request({ $case: 'enableSm', value: req });
    return r.$case === 'enableSm' && r.value.ok;
  }

  async detach(req: sessionv1.DetachRequest): Promise<boolean> {
    const r = await this.request({ $case: 'detach', value: req });
    return r.$case === 'detach' && r.value.ok;
  }

  async resume(req: sessionv1.ResumeRequest): Promise<sessionv1.ResumeResponse> {
    const r = await this.request({ $case: 'resume', value: req });
    if (r.$case !== 'resume') throw new Error(`unexpected ${r.$case}`);
    return r.value;
  }

  close(): void {
    this.mux.close();
  }
}
