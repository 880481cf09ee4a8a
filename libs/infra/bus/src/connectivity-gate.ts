// Work that must not happen while NATS is unreachable (publishing deliveries
// that core NATS would drop) waits at this gate. It closes at a disconnect and
// opens `settleMs` after the reconnect, which gives the other processes time
// to reconnect and subscribe again before anything is published to them.
import type { Bus } from './connect';

/** Returns a function giving undefined while open, else a promise that resolves when it opens. */
export function connectivityGate(bus: Pick<Bus, 'onConnectivity'>, settleMs = 1000): () => Promise<void> | undefined {
  let closed: { promise: Promise<void>; open: () => void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  bus.onConnectivity((up) => {
    clearTimeout(timer);
    if (!up) {
      if (!closed) {
        let open!: () => void;
        const promise = new Promise<void>((r) => (open = r));
        closed = { promise, open };
      }
      return;
    }
    timer = setTimeout(() => {
      const c = closed;
      closed = undefined;
      c?.open();
    }, settleMs);
  });
  return () => closed?.promise;
}
