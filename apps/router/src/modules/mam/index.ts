// XEP-0313 Message Archive Management and XEP-0359 stanza ids: both sides of
// a conversation are archived, each in its own user's archive, as the
// message is routed — the sender's as it arrives (stanza-in, before the sent
// carbons copy it), the recipient's as it is delivered or stored offline
// (message-deliver, message-undelivered, before carbons and offline) — and
// each copy carries its archive's <stanza-id/>. A stored message handed over
// later is not archived again: the hand-over fires no hook.
// docs/architecture.md, "Message history (MAM)".
import { finElement, JetStreamArchive, parseQuery, queryForm, resultMessage } from '@cx/archive';
import { NS_MAM, REPLIED, type IqContext } from '@cx/modules';
import { routerv1 } from '@cx/proto';
import { iqResult, StanzaError } from '@cx/xmpp-core';
import { countMamArchived, measureArchive, observeMamQuery } from '../../metrics';
import type { RouterContext, RouterModule } from '../module';
import { serverModule } from '../served';
import { MamPrefs, parsePrefs, prefsElement, PREFS_BUCKET } from './prefs';
import { archiveAndStamp, type Stamping } from './stamp';

const { StanzaKind } = routerv1;
const DAY_MS = 24 * 3600 * 1000;
/** How long a MAM query counts as the connection's history sync (for its initial presence). */
const SYNCED_MS = 10 * 60 * 1000;

export const mamModule: RouterModule = {
  name: 'mam',
  serves: serverModule('mam'),
  async setup(ctx: RouterContext) {
    const { config, domain } = ctx;
    const archive = await JetStreamArchive.open(ctx.bus, {
      maxPerUser: config.MAM_MAX_MESSAGES,
      retentionMs: config.MAM_RETENTION_DAYS * DAY_MS,
      maxMessageBytes: config.MAM_MAX_MESSAGE_BYTES,
      maxStreamBytes: config.MAM_STREAM_MAX_BYTES,
    });
    measureArchive(() => archive.totals());
    const prefs = new MamPrefs(ctx.deps.store(PREFS_BUCKET), async (user, bare) =>
      (await ctx.rosters.get(user)).items.some((i) => i.jid.toLowerCase() === bare),
    );
    const st: Stamping = {
      archive,
      domain,
      parse: (s) => ctx.router.parse(s),
      wanted: (owner, other) => prefs.wanted(owner.slice(0, owner.indexOf('@')), other),
      maxBytes: config.MAM_MAX_MESSAGE_BYTES,
      archived: countMamArchived,
      failed: (err, owner) => ctx.log.error({ err, owner }, 'archiving a message failed'),
    };
    ctx.shared.stored.push(() => archive.settled());
    const MESSAGE = StanzaKind.STANZA_KIND_MESSAGE;

    // The sender's archive, before carbons (0) copy the message with its id; after blocking (100) and presence (50).
    ctx.hooks.on(
      'stanza-in',
      ({ s, sender, to }) => {
        // Not the server's own messages (xmppctl send from the domain): it has no archive.
        if (s.kind !== MESSAGE || s.undeliverable || to.local === '' || sender.jid.local === '') return;
        const owner = sender.jid.bare.toString();
        // A message to oneself is archived once, as received.
        if (to.bare.toString() === owner) return;
        return archiveAndStamp(st, s, owner, to.toString(), 'sent');
      },
      { priority: 10, module: 'mam' },
    );
    // The recipient's archive, before the message and its received carbons go out.
    ctx.hooks.on(
      'message-deliver',
      ({ s, bare }) => {
        if (s.undeliverable) return; // routed again: archived and stamped the first time
        return archiveAndStamp(st, s, bare.toString(), s.from, 'received');
      },
      { priority: 10, module: 'mam' },
    );
    // ... or before offline storage keeps it (it is then handed over with this id, and not archived again).
    ctx.hooks.on(
      'message-undelivered',
      async ({ s, to, recipientExists }) => {
        if (s.undeliverable || s.type === 'groupchat' || !(await recipientExists())) return;
        await archiveAndStamp(st, s, to.bare.toString(), s.from, 'received');
      },
      { priority: 10, module: 'mam' },
    );

    // Connections that fetched their history lately: at their initial presence the offline module drops the archived messages instead of sending them again.
    const synced = new Map<string, number>();
    ctx.shared.historySynced = (connectionId) => {
      const at = synced.get(connectionId);
      return at !== undefined && Date.now() - at < SYNCED_MS;
    };
    // §4: the results as messages, then the iq result with <fin/> (REPLIED: sent in that order).
    ctx.host.handle(
      `iq-set/self/${NS_MAM}:query`,
      async ({ iq, payload, from, user, reply, connectionId }: IqContext) => {
        const q = parseQuery(payload);
        if (q instanceof StanzaError) return q;
        if (connectionId) {
          synced.delete(connectionId);
          synced.set(connectionId, Date.now());
          if (synced.size > 100_000) synced.delete(synced.keys().next().value as string);
        }
        const owner = `${user}@${domain}`;
        const started = performance.now();
        const page = await archive.query(owner, q);
        observeMamQuery((performance.now() - started) / 1000);
        if (page === 'item-not-found') return new StanzaError('item-not-found', 'no message with that id in this archive');
        for (const m of page.items) reply(resultMessage(from, owner, q.queryid, m));
        reply(iqResult(iq, finElement(q.queryid, page)));
        return REPLIED;
      },
      { module: 'mam' },
    );
    ctx.host.handle(`iq-get/self/${NS_MAM}:query`, () => queryForm(), { module: 'mam' });
    ctx.host.handle(`iq-get/self/${NS_MAM}:prefs`, async ({ user }) => prefsElement(await prefs.get(user)), { module: 'mam' });
    ctx.host.handle(
      `iq-set/self/${NS_MAM}:prefs`,
      async ({ user, payload }) => {
        const p = parsePrefs(payload);
        if (p instanceof StanzaError) return p;
        await prefs.set(user, p);
        return prefsElement(p);
      },
      { module: 'mam' },
    );

    ctx.shared.purgeArchive = (user) => archive.purge(`${user}@${domain}`);
    ctx.removal.register('mam', async (r) => {
      await archive.purge(`${r.user}@${domain}`);
      await prefs.remove(r.user);
    });
  },
};
