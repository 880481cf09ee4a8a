import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { FileIndex, FileStore, StoredObject } from '@cx/upload';
import { sweepOnce } from './sweep';

const DAY = 86_400_000;
const now = 100 * DAY;

function fakes(objects: StoredObject[], known: string[]) {
  const deleted: string[] = [];
  const forgotten: string[] = [];
  const store = {
    name: 'fake',
    async *list() {
      yield* objects;
    },
    delete: async (id: string) => void deleted.push(id),
  } as unknown as FileStore;
  const index = {
    known: async (id: string) => known.includes(id),
    remove: async (id: string) => (forgotten.push(id), null),
  } as unknown as FileIndex;
  return { store, index, deleted, forgotten };
}

describe('upload sweep', () => {
  it('deletes files past the retention, and bytes no entry names once their grace is over', async () => {
    const f = fakes(
      [
        { id: 'old', size: 1, storedAt: now - 31 * DAY },
        { id: 'fresh', size: 1, storedAt: now - DAY },
        { id: 'orphan', size: 1, storedAt: now - DAY },
        { id: 'starting', size: 1, storedAt: now - 1000 },
      ],
      ['old', 'fresh'],
    );
    const out = await sweepOnce({ ...f, retentionDays: 30, log: pino({ level: 'silent' }) }, now);
    expect(out).toEqual({ expired: 1, orphans: 1 });
    expect(f.forgotten).toEqual(['old']);
    expect(f.deleted.sort()).toEqual(['old', 'orphan']);
  });

  it('keeps everything named with retention 0', async () => {
    const f = fakes([{ id: 'ancient', size: 1, storedAt: 0 }], ['ancient']);
    expect(await sweepOnce({ ...f, retentionDays: 0, log: pino({ level: 'silent' }) }, now)).toEqual({ expired: 0, orphans: 0 });
  });
});
