// Long-lived streams a server holds open (Exchange, Sessions, Route) never end
// by themselves, so a graceful shutdown would wait for them until its timeout.
// Each handler registers how to end its stream cleanly (after the work in
// flight); shutdown ends them all first, and the clients reopen their streams
// on another replica.
export class OpenStreams {
  private readonly ends = new Set<() => Promise<void> | void>();

  /** Register a stream's ending; returns the function to call when it ends by itself. */
  add(end: () => Promise<void> | void): () => void {
    this.ends.add(end);
    return () => this.ends.delete(end);
  }

  get size(): number {
    return this.ends.size;
  }

  async endAll(): Promise<void> {
    const all = [...this.ends];
    this.ends.clear();
    await Promise.all(all.map(async (end) => end()));
  }
}

/**
 * The work of one long-lived stream: `run` counts requests in flight, and the
 * stream's ending (on shutdown) waits until none is left, then calls `end`.
 */
export class StreamWork {
  private inflight = 0;
  private onIdle?: () => void;
  private readonly forget: () => void;

  constructor(
    streams: OpenStreams,
    private readonly end: () => void,
  ) {
    this.forget = streams.add(() => this.drain());
  }

  run<T>(p: Promise<T>): Promise<T> {
    this.inflight++;
    return p.finally(() => {
      if (--this.inflight === 0) this.onIdle?.();
    });
  }

  /** The client ended the stream (or it broke): nothing to end on shutdown. */
  closed(): void {
    this.forget();
  }

  private drain(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.end();
        resolve();
      };
      if (this.inflight === 0) done();
      else this.onIdle = done;
    });
  }
}
