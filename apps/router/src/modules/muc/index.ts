// XEP-0045 group chat on conference.<domain> (MUC_DOMAIN): rooms in KV
// (@cx/muc); each room's stanzas are handled in order by the one replica that
// owns its partition (inbox.ts), which keeps the room in memory while in use.
// docs/architecture.md, "Group chat (MUC)".
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { OwnedPartitions } from '@cx/bus';
import { defineModule } from '@cx/modules';
import { MUC_PARTITIONED, RoomStore } from '@cx/muc';
import { elementFromBytes, StanzaKind } from '@cx/stanza';
import type { Element } from '@cx/xmpp-core';
import { STOP } from '@cx/modules';
import type { RouterContext, RouterModule, StanzaIn } from '../module';
import { countStoreRejection } from '../../metrics';
import { Muc } from './muc';
import { mucDomain } from './muc-domain';
import { inboundWork, RoomInbox } from './inbox';
import { openRoomArchive } from './room-archive';

export const mucModule: RouterModule = {
  name: 'muc',
  serves: defineModule({
    name: 'muc',
    spec: 'XEP-0045',
    items: (_domain, deps) => (deps.mucDomain ? [{ jid: deps.mucDomain, name: 'Group chat' }] : []),
  }),
  async setup(ctx: RouterContext) {
    const host = mucDomain(ctx.config);
    const store = await RoomStore.open(ctx.bus, {
      maxOccupants: ctx.config.MUC_MAX_OCCUPANTS,
      maxRoomBytes: ctx.config.MUC_MAX_ROOM_BYTES,
      maxAvatarBytes: ctx.config.MUC_MAX_AVATAR_BYTES,
    });
    const muc = new Muc({
      host,
      store,
      log: ctx.log,
      async send(fullJid: string, el: Element, kind: StanzaKind) {
        const slash = fullJid.indexOf('/');
        const bare = fullJid.slice(0, slash);
        const target = (await ctx.out.sessions(bare)).filter((t) => t.resource === fullJid.slice(slash + 1));
        ctx.out.send(bare, target, el, kind, true);
      },
      async sendBare(bare: string, el: Element) {
        const targets = (await ctx.out.sessions(bare)).filter((t) => t.available && t.priority >= 0);
        ctx.out.send(bare, targets, el, StanzaKind.STANZA_KIND_MESSAGE, true);
      },
      reply: (sender, el) => ctx.router.toSender(sender, el),
      rejected: () => countStoreRejection('muc'),
      mayCreate: (user) => ctx.config.MUC_CREATORS.length === 0 || ctx.config.MUC_CREATORS.includes(user),
      history: { messages: ctx.config.MUC_HISTORY_MESSAGES, maxBytes: 16 * 1024 },
      archive: await openRoomArchive(ctx),
    });
    ctx.removal.register('muc', (r) => store.removeUser(`${r.user}@${ctx.domain}`));
    const handlers = {
      stanza: async (ev: StanzaIn) => {
        const el = elementFromBytes(ev.s.xml);
        if (el) await muc.handle(ev, el);
      },
      leave: (room: string, jid: string) => muc.leave(room, jid),
    };
    const partitions = await OwnedPartitions.start({
      bus: ctx.bus,
      name: MUC_PARTITIONED,
      partitions: ctx.config.MUC_PARTITIONS,
      leaseMs: ctx.config.MUC_LEASE_MS,
      id: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      take: (_p, m) => inboundWork(m, handlers),
      onRelease: (p) => store.forget((room) => partitions.partitionOf(room) === p),
      maxAgeMs: 24 * 3600_000,
      maxBytes: ctx.config.MUC_INBOX_MAX_BYTES,
      log: ctx.log,
    });
    const stopCache = store.useCache({ owns: (room) => partitions.owns(partitions.partitionOf(room)), idleMs: ctx.config.MUC_ROOM_IDLE_S * 1000 });
    const inbox = new RoomInbox(partitions);
    const opts = { module: 'muc' };
    ctx.hooks.on(
      'stanza-service',
      (ev) => {
        if (ev.to.domain !== host) return;
        // The service itself (disco, ping) only reads: any replica answers. A room's stanzas go to its owner.
        if (!ev.to.local) return handlers.stanza(ev).then(() => STOP);
        inbox.stanza(ev);
        return STOP;
      },
      opts,
    );
    ctx.shared.stored.push(() => inbox.stored());
    const leaveAll = (jid: string) =>
      void store
        .roomsOf(jid)
        .then((rooms) => rooms.forEach((room) => inbox.leave(room, jid)))
        .catch((err: Error) => ctx.log.warn({ err, jid }, 'muc: leaving rooms failed'));
    // Broadcast unavailable (no 'to') goes to the rooms as to any directed-presence recipient (RFC 6121 §4.6.3).
    ctx.hooks.on(
      'stanza-in',
      (ev) => {
        if (ev.s.kind === StanzaKind.STANZA_KIND_PRESENCE && ev.s.type === 'unavailable' && ev.s.to === '') leaveAll(ev.s.from);
      },
      { ...opts, priority: 45 },
    );
    ctx.hooks.on('session-ended', (ev) => leaveAll(ev.fullJid), { ...opts, priority: 5 });
    return async () => {
      await partitions.stop();
      stopCache();
    };
  },
};
