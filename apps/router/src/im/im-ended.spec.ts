import { describe, expect, it, vi } from 'vitest';
import { parseElement } from '@cx/xml-stream';
import { parseJid } from '@cx/xmpp-core';
import type { RosterStore } from '@cx/roster';
import { sessionv1 } from '@cx/proto';
import type { SessionEntry } from '@cx/session-directory';
import { Hooks } from '@cx/modules';
import { Im } from './im';
import type { RouterEvents } from '../modules/module';
import { recordWhenGone } from '../modules/last';
import type { Out } from './presence-out';

const entry = (resource: string, connectionId: string, available = true): SessionEntry =>
  sessionv1.SessionEntry.fromPartial({ resource, edgeId: 'e1', connectionId, available });

/** An Im whose registry mirror still lists the sessions given (it has not seen their change yet). */
function im(mirror: SessionEntry[]) {
  const record = vi.fn(async (...args: [user: string, status: string]) => void args);
  // The last module's handler (modules/last), over a recording store.
  const hooks = new Hooks<RouterEvents>().on('presence-unavailable', recordWhenGone({ record }, { removedLately: () => false, userExists: async () => true }));
  const sessions = vi.fn(async () => mirror);
  const sent: Array<{ to: string[]; xml: string }> = [];
  const out = {
    sessions,
    available: (ss: SessionEntry[]) => ss.filter((s) => s.available),
    send: (_bare: string, targets: SessionEntry[], el: { toString(): string }) =>
      void sent.push({ to: targets.map((t) => t.connectionId), xml: el.toString() }),
  } as unknown as Out;
  const rosters = { get: async () => ({ items: [], version: 0 }) } as unknown as RosterStore;
  const i = new Im({
    domain: 'localhost',
    out,
    rosters,
    hooks,
    userExists: async () => true,
    updateSession: async () => ({ wasAvailable: true, directed: [] }),
  });
  return { i, record, sessions, sent };
}

describe('the end of a session (RFC 6121 §4.5.2, XEP-0012)', () => {
  it('records last activity though the mirror still lists the ended session as available, reading the sessions once', async () => {
    const { i, record, sessions, sent } = im([entry('a', 'c1')]);
    await i.ended('u@localhost/a', [], 'c1');
    expect(record).toHaveBeenCalledWith('u', '');
    expect(sessions).toHaveBeenCalledTimes(1);
    expect(sent.flatMap((s) => s.to)).toEqual([]); // not to the session that is gone
  });

  it('tells the other available resource, and records nothing while it is there', async () => {
    const { i, record, sent } = im([entry('a', 'c1'), entry('b', 'c2')]);
    await i.ended('u@localhost/a', [], 'c1');
    expect(record).not.toHaveBeenCalled();
    expect(sent.map((s) => s.to)).toEqual([['c2']]);
  });

  it('uses the sessions SessionEnded carries instead of reading the registry (the mirror may lag the update)', async () => {
    const { i, record, sessions, sent } = im([entry('a', 'c1')]);
    await i.ended('u@localhost/a', [], 'c1', [entry('b', 'c2')]);
    expect(sessions).not.toHaveBeenCalled();
    expect(record).not.toHaveBeenCalled();
    expect(sent.map((s) => s.to)).toEqual([['c2']]);
  });

  it('an unavailable presence records last activity with its status, the sender left out of the available ones', async () => {
    const { i, record } = im([entry('a', 'c1')]);
    await i.broadcast(parseElement(`<presence type='unavailable'><status>gone</status></presence>`) as never, {
      jid: parseJid('u@localhost/a'),
      connectionId: 'c1',
    });
    expect(record).toHaveBeenCalledWith('u', 'gone');
  });
});

describe('last activity of an account removed lately (modules/last)', () => {
  it('is not written back once the account is gone, and auth is asked only about accounts removed lately', async () => {
    const record = vi.fn(async () => undefined);
    const userExists = vi.fn(async () => false);
    await recordWhenGone({ record }, { removedLately: (u) => u === 'gone', userExists })({ user: 'gone', status: '', others: [] });
    expect(record).not.toHaveBeenCalled();
    await recordWhenGone({ record }, { removedLately: () => false, userExists })({ user: 'here', status: 'bye', others: [] });
    expect(userExists).toHaveBeenCalledTimes(1);
    expect(record).toHaveBeenCalledWith('here', 'bye');
  });
});
