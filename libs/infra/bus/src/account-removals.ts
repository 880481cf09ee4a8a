// Account removal as a durable event. Auth announces a removal on the
// JetStream stream "xmpp_account_removals" (work-queue retention, one subject
// per user, named by a hash so any username fits a subject) before it deletes
// the account; the routers, on one durable consumer (each event to one
// replica), remove everything the account had and acknowledge, which deletes
// the event. So a removal survives a router restart or outage, and while an
// event is pending the username cannot be registered again: a new account
// never finds the old one's data.
import { createHash } from 'node:crypto';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { eventsv1 } from '@cx/proto';
import { ensureStream } from './streams';
import type { Bus } from './connect';

export const ACCOUNT_REMOVALS_STREAM = 'xmpp_account_removals';
const PREFIX = 'xmpp.account.removed';

export function removalSubject(username: string): string {
  return `${PREFIX}.${createHash('sha256').update(username, 'utf8').digest('hex')}`;
}

/** What a handler decides: done (acknowledged), or try again after a while. */
export type RemovalOutcome = 'done' | { retryInMs: number };

export class AccountRemovals {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(bus: Bus): Promise<AccountRemovals> {
    const jsm = await jetstreamManager(bus.nc);
    const config = {
      name: ACCOUNT_REMOVALS_STREAM,
      subjects: [`${PREFIX}.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      num_replicas: bus.replicas,
    };
    await ensureStream(jsm, config);
    return new AccountRemovals(jetstream(bus.nc), jsm);
  }

  /** Store the event (acknowledged by JetStream); returns its sequence, to withdraw it. */
  async announce(ev: eventsv1.AccountRemoved): Promise<number> {
    return (await this.js.publish(removalSubject(ev.username), eventsv1.AccountRemoved.encode(ev).finish())).seq;
  }

  /** Withdraw an event whose removal did not happen. */
  async withdraw(seq: number): Promise<void> {
    await this.jsm.streams.deleteMessage(ACCOUNT_REMOVALS_STREAM, seq).catch(() => undefined);
  }

  /** Is a removal of this username announced and not yet done? */
  async pending(username: string): Promise<boolean> {
    const m = await this.jsm.streams.getMessage(ACCOUNT_REMOVALS_STREAM, { last_by_subj: removalSubject(username) }).catch(() => null);
    return !!m;
  }

  /** Wait (polling) until no removal of this username is pending; false on timeout. */
  async settled(username: string, timeoutMs: number, pollMs = 25): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.pending(username))) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /**
   * Handle events on the durable consumer `durable` (shared by the replicas
   * of one service). A handler that throws is retried after a second.
   */
  async consume(
    durable: string,
    handle: (ev: eventsv1.AccountRemoved, attempt: number) => Promise<RemovalOutcome>,
    onError: (err: unknown) => void,
  ): Promise<() => Promise<void>> {
    await this.jsm.consumers.add(ACCOUNT_REMOVALS_STREAM, { durable_name: durable, ack_policy: AckPolicy.Explicit, ack_wait: 60_000_000_000 });
    const consumer = await this.js.consumers.get(ACCOUNT_REMOVALS_STREAM, durable);
    const messages = await consumer.consume({ max_messages: 16 });
    const one = async (m: JsMsg) => {
      try {
        const out = await handle(eventsv1.AccountRemoved.decode(m.data), m.info.deliveryCount);
        if (out === 'done') m.ack();
        else m.nak(out.retryInMs);
      } catch (err) {
        onError(err);
        m.nak(1000);
      }
    };
    void (async () => {
      for await (const m of messages) await one(m);
    })().catch(onError);
    return async () => void (await messages.close().catch(() => undefined));
  }
}

/** Usernames whose removal was announced in the last `windowMs` (recentRemovals). */
export interface RecentRemovals {
  has(username: string): boolean;
  stop(): void;
}

/**
 * Every removal announced, as it is announced (a plain subscription to the
 * stream's subjects, so each router replica sees each one, unlike the
 * consumer), remembered for `windowMs`. What is written for a user when a
 * session ends (last activity) must not outlive the account; asking auth
 * whether the account exists at every logout would cost a call per logout, so
 * the router asks only for users removed lately. Auth announces before it
 * deletes the account and answers the removal only once it is done, so the
 * announcement arrives before the sessions of the account end.
 */
export function recentRemovals(bus: Bus, windowMs: number): RecentRemovals {
  const seen = new Map<string, number>();
  const sub = bus.nc.subscribe(`${PREFIX}.*`, {
    callback: (err, msg) => {
      if (err) return;
      const now = Date.now();
      for (const [h, at] of seen) if (now - at > windowMs) seen.delete(h);
      seen.set(msg.subject.slice(PREFIX.length + 1), now);
    },
  });
  return {
    has: (username) => {
      const at = seen.get(removalSubject(username).slice(PREFIX.length + 1));
      return at !== undefined && Date.now() - at <= windowMs;
    },
    stop: () => sub.unsubscribe(),
  };
}
