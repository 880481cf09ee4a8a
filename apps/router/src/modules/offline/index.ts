// XEP-0160 offline messages: a message no session can take is stored
// (bounded per user, OFFLINE_*) and handed over at initial presence; stored
// messages leave xmpp_offline only once the recipient's edge reports them
// handled (offline-handled.ts, offline-handover.ts; docs/architecture.md).
import { NS_SID, STOP } from '@cx/modules';
import { OfflineStore, storable } from '@cx/offline';
import { countStoreRejection, measureOfflineQueue } from '../../metrics';
import type { RouterContext, RouterModule } from '../module';
import { serverModule } from '../served';
import { HandOver } from './hand-over';
import { followOfflineHandled } from './offline-handled';
import { OfflineHandover } from './offline-handover';

/** Remove the stored messages that carry the user's archive id (XEP-0359): they are in the archive. */
async function dropArchived(offline: OfflineStore, bare: string): Promise<void> {
  const stored = await offline.peek(bare);
  const archived = stored.filter((m) => m.message.getChildren('stanza-id', NS_SID).some((s) => s.attrs.by === bare));
  if (archived.length)
    await offline.remove(
      bare,
      archived.map((m) => m.seq),
    );
}

export const offlineModule: RouterModule = {
  name: 'offline',
  serves: serverModule('offline'),
  requires: { presence: 'stored messages are handed over at initial presence, which the presence module handles' },
  async setup(ctx: RouterContext) {
    const { config, domain } = ctx;
    const offline = await OfflineStore.open(ctx.bus, {
      limitPerUser: config.OFFLINE_LIMIT,
      maxBytesPerUser: config.OFFLINE_MAX_BYTES,
      maxStreamBytes: config.OFFLINE_STREAM_MAX_BYTES,
    });
    measureOfflineQueue(() => offline.totals());
    const claims = new OfflineHandover({ peek: (bare) => offline.peek(bare) });
    const handOver = new HandOver(claims, ctx.out);
    const sweepClaims = setInterval(() => claims.sweep(), 60_000);
    sweepClaims.unref();
    const stopHandled = followOfflineHandled({
      nc: ctx.bus.nc,
      remove: (bare, seqs) => offline.remove(bare, seqs),
      handled: (bare, seqs) => claims.handled(bare, seqs),
      log: ctx.log,
    });

    // §3: stored messages go to the first resource with non-negative priority.
    ctx.hooks.on(
      'presence-initial',
      async ({ bare, me }) => {
        if (me.priority < 0) return;
        // A session that fetched its history (MAM) before coming online has the archived ones already (ejabberd does the same).
        if (ctx.shared.historySynced?.(me.connectionId)) await dropArchived(offline, bare);
        await handOver.to(bare, me, await ctx.out.sessions(bare));
      },
      { module: 'offline' },
    );

    // RFC 6121 §8.5.2.2: stored when the account exists and the message is worth it; full: an error; else the router bounces it.
    ctx.hooks.on(
      'message-undelivered',
      async ({ s, sender, to, recipientExists }) => {
        if (s.type === 'groupchat') return;
        const el = ctx.router.parse(s);
        if (!el || !storable(el) || !(await recipientExists())) return;
        const bare = to.toString();
        const stored = await offline.store(bare, el, domain);
        if (stored === 'full') {
          countStoreRejection('offline');
          ctx.router.bounce(s, sender, 'service-unavailable', 'offline storage is full');
          return STOP;
        }
        // The recipient may have come online between the routing decision and the store.
        void ctx.directory
          .fresh(bare)
          .then((u) => handOver.storedWhileComingOnline(bare, u.sessions))
          .catch((err: Error) => ctx.log.warn({ err, to: bare }, 'late offline hand-over failed'));
        return STOP;
      },
      { module: 'offline' },
    );

    ctx.removal.register('offline', (r) => offline.purge(`${r.user}@${domain}`));
    return () => {
      stopHandled();
      clearInterval(sweepClaims);
    };
  },
};
