// Confirmations on a Route stream (RouteAck). A batch is confirmed once it is
// routed and everything it handed to the Deliverer is durable (Deliverer.durable:
// stored by JetStream or published). Confirmations are cumulative, so batches
// handled in one turn of the event loop cost one durable() and one ack; they
// go out in order even when one durable() is slow (a chain).

/** Confirms a stream's batches, in order, once what they delivered is durable. */
export class Confirmer {
  private last = -1;
  private timer?: NodeJS.Immediate;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: { durable: () => Promise<void>; send: (seq: number) => void }) {}

  /** Batch seq is routed: confirm it (with the others of this turn) once durable. */
  handled(seq: number): void {
    this.last = seq;
    this.timer ??= setImmediate(() => this.confirm());
  }

  private confirm(): void {
    this.timer = undefined;
    const seq = this.last;
    // Called now: durable() covers what was handed to the Deliverer before this call.
    const durable = this.o.durable();
    // A failed send (the call is gone) must not stop the confirmations behind it.
    this.chain = this.chain
      .then(() => durable)
      .then(() => this.o.send(seq))
      .catch(() => undefined);
  }

  /** Every batch handled so far is confirmed (or its confirmation failed to send). */
  settled(): Promise<void> {
    if (this.timer) {
      clearImmediate(this.timer);
      this.confirm();
    }
    return this.chain;
  }
}

/** The batches (slot, seq) handled here lately: a resent batch among them is dropped. */
export class RecentBatches {
  private readonly keys = new Set<string>();

  constructor(private readonly max = 20_000) {}

  has(slotId: string, seq: number): boolean {
    return this.keys.has(`${slotId}:${seq}`);
  }

  add(slotId: string, seq: number): void {
    this.keys.add(`${slotId}:${seq}`);
    // A Set iterates in insertion order: the first is the oldest.
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value as string);
  }
}
