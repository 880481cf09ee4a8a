// What settled() waits for, at a constant cost per append: appends are
// numbered as they begin; a waiter needs every number up to the last one
// begun when it asked. `doneUpTo` is the highest number below which all
// have finished; numbers finished above it wait in a set until the gap fills.
export class InFlight {
  private begun = 0;
  private doneUpTo = 0;
  private readonly finishedAbove = new Set<number>();
  private readonly waiters: Array<{ upTo: number; resolve: () => void }> = [];

  /** Track `p`; it never rejects for the waiters. */
  track(p: Promise<unknown>): void {
    const n = ++this.begun;
    const done = () => this.finish(n);
    p.then(done, done);
  }

  /** Resolves once everything tracked before the call is done. */
  settled(): Promise<void> {
    if (this.doneUpTo === this.begun) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo: this.begun, resolve }));
  }

  private finish(n: number): void {
    if (n !== this.doneUpTo + 1) {
      this.finishedAbove.add(n);
      return;
    }
    this.doneUpTo = n;
    while (this.finishedAbove.delete(this.doneUpTo + 1)) this.doneUpTo++;
    let i = 0;
    while (i < this.waiters.length && this.waiters[i].upTo <= this.doneUpTo) this.waiters[i++].resolve();
    if (i) this.waiters.splice(0, i);
  }
}
