// The periodic sweep over the stored objects: files older than
// UPLOAD_RETENTION_DAYS go (entry and bytes), and so do bytes no entry names
// any more (an account removed by a router, which drops only the entries so
// its files stop being served at once). Every replica sweeps; deleting is
// idempotent, so two sweeps at once cost only the duplicate work.
import type { FileIndex, FileStore } from '@cx/upload';
import type { Logger } from '@cx/log';
import { countDeleted } from './metrics';

/** An object without an entry is left this long (its PUT may be starting). */
const ORPHAN_GRACE_MS = 10 * 60_000;

export interface SweepDeps {
  index: FileIndex;
  store: FileStore;
  retentionDays: number;
  log: Logger;
}

export async function sweepOnce(d: SweepDeps, now = Date.now()): Promise<{ expired: number; orphans: number }> {
  const cutoff = d.retentionDays > 0 ? now - d.retentionDays * 86_400_000 : -Infinity;
  let expired = 0;
  let orphans = 0;
  for await (const o of d.store.list()) {
    if (o.storedAt < cutoff) {
      await d.index.remove(o.id);
      await d.store.delete(o.id);
      expired++;
    } else if (now - o.storedAt > ORPHAN_GRACE_MS && !(await d.index.known(o.id))) {
      await d.store.delete(o.id);
      orphans++;
    }
  }
  countDeleted('retention', expired);
  countDeleted('orphan', orphans);
  if (expired || orphans) d.log.info({ expired, orphans }, 'upload sweep deleted files');
  return { expired, orphans };
}

/** Sweep every `intervalMs` (the first a minute after the start); returns how to stop. */
export function startSweeps(d: SweepDeps, intervalMs: number): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    sweepOnce(d)
      .catch((err: Error) => d.log.warn({ err }, 'upload sweep failed'))
      .finally(() => (running = false));
  };
  const first = setTimeout(run, Math.min(60_000, intervalMs));
  const timer = setInterval(run, intervalMs);
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
