import { describe, expect, it } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import { sessionv1 } from '@cx/proto';
import type { SessionEntry } from '@cx/session-directory';
import { HandOver } from './hand-over';
import { OfflineHandover } from './offline-handover';

const entry = (connectionId: string, available: boolean, priority = 0): SessionEntry =>
  sessionv1.SessionEntry.fromPartial({ resource: connectionId, edgeId: 'e1', connectionId, available, priority });

/** A hand-over with real claims over a store holding `stored` messages; records what went out as stored. */
function im(stored: number[]) {
  const handover = new OfflineHandover({ peek: async () => stored.map((seq) => ({ seq, message: parseElement(`<message id='m${seq}'/>`) as never })) });
  const sent: Array<{ to: string; seq: number }> = [];
  const i = new HandOver(handover, { sendStored: (_bare, me, _el, seq) => void sent.push({ to: me.connectionId, seq }) });
  return { i, sent, handover };
}

describe('a message stored while its recipient came online (XEP-0160 hand-over race)', () => {
  it('goes to the session that became available after the routing decision', async () => {
    const { i, sent } = im([7]);
    await i.storedWhileComingOnline('u@localhost', [entry('c0', false), entry('c1', true)]);
    expect(sent).toEqual([{ to: 'c1', seq: 7 }]);
  });

  it('is not sent twice: what the initial presence already handed over is claimed', async () => {
    const { i, sent, handover } = im([7, 8]);
    await handover.handOver('u@localhost', 'c1', ['c1']); // the initial presence's hand-over read 7 and 8
    await i.storedWhileComingOnline('u@localhost', [entry('c1', true)]);
    expect(sent).toEqual([]);
  });

  it('stays stored while no session is available with non-negative priority', async () => {
    const { i, sent } = im([7]);
    await i.storedWhileComingOnline('u@localhost', [entry('c1', false), entry('c2', true, -1)]);
    expect(sent).toEqual([]);
  });
});
