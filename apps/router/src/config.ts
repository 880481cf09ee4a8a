import { bool, commonSettings, defineConfig, grpcServerSettings, int, list, str } from '@cx/config';
import { contactSettings, ROUTER_MODULE_NAMES, routerModulesSetting } from '@cx/modules';
import { uploadSharedSettings } from '@cx/upload';

export { ROUTER_MODULE_NAMES };

export const routerConfig = defineConfig({
  ...commonSettings,
  ...grpcServerSettings,
  ROUTER_GRPC_PORT: int(50053, 'gRPC port of the router service', 0, 65535),
  ROUTER_ADMIN_PORT: int(50063, "gRPC port of the router service's admin calls (xmppctl); the data port refuses them", 0, 65535),
  SESSION_ADDR: str('127.0.0.1:50052', 'Address of the session service (host:port or dns:///name:port)'),
  SESSION_ADMIN_ADDR: str(
    '127.0.0.1:50062',
    "Admin port of the session service: the router ends a removed account's sessions there (Kick), sending ADMIN_TOKEN",
  ),
  MAM_RETENTION_DAYS: int(365, 'Days a message stays in the message archive (XEP-0313); older ones are deleted (0: kept until the quota drops them)', 0),
  MAM_MAX_MESSAGES: int(
    100_000,
    "Entries kept in one user's archive (XEP-0313): one message each, a burst that queued together shares one; beyond it the oldest are dropped",
    1,
  ),
  MAM_MAX_MESSAGE_BYTES: int(
    64 * 1024,
    'Largest message archived, in bytes (a bigger one is delivered but not archived); with MAM_MAX_MESSAGES it bounds an archive in bytes',
    1024,
    900 * 1024,
  ),
  MAM_STREAM_MAX_BYTES: int(0, 'Bytes the archive stream (all users) may hold in JetStream; beyond them the oldest messages go (0: no bound)', 0),
  OFFLINE_LIMIT: int(
    100,
    'Messages kept for an offline user (XEP-0160); beyond it senders get service-unavailable (to store none, leave offline out of ROUTER_MODULES: msgoffline is then not advertised)',
    1,
  ),
  OFFLINE_MAX_BYTES: int(2 * 1024 * 1024, 'Bytes of offline messages kept per user (XEP-0160); a message beyond them is refused with service-unavailable', 1),
  OFFLINE_STREAM_MAX_BYTES: int(
    1024 ** 3,
    'Bytes the offline stream (all users) may hold in JetStream; beyond them new offline messages are refused (0: no bound)',
    0,
  ),
  ROSTER_MAX_ITEMS: int(2000, 'Items in one roster; a roster set or subscription that would add more is refused (resource-constraint)', 1),
  ROSTER_MAX_BYTES: int(512 * 1024, 'Stored bytes of one roster; a change that would make it larger is refused (resource-constraint)', 1024, 900 * 1024),
  SUBSCRIPTION_STATUS_MAX_BYTES: int(1024, 'A pending subscription request keeps at most this many bytes of its <status/> (longer ones are cut)', 0),
  SUBSCRIPTION_MAX_PENDING: int(100, 'Pending subscription requests kept per user; more are dropped silently (RFC 6121 §3.1.3)', 1),
  PRIVATE_MAX_ITEMS: int(64, 'Namespaces stored per user in private XML storage (XEP-0049); more are refused (not-acceptable)', 1),
  PRIVATE_MAX_BYTES: int(256 * 1024, 'Bytes stored per user in private XML storage (XEP-0049); more are refused (not-acceptable)', 1024, 900 * 1024),
  PEP_MAX_BYTES: int(
    1024 * 1024,
    "Bytes of one user's PEP nodes together (XEP-0163: OMEMO keys, avatars, bookmarks); a publish beyond them is refused (not-acceptable)",
    16 * 1024,
  ),
  PEP_MAX_NODES: int(64, 'PEP nodes per user (XEP-0163); creating one more is refused (not-acceptable)', 1),
  PEP_MAX_ITEMS: int(256, 'Items kept per PEP node at most, and what max_items=max means (XEP-0060, XEP-0223)', 1),
  VCARD_MAX_BYTES: int(256 * 1024, 'Bytes of one vCard (XEP-0054); a larger one is refused (not-acceptable)', 1024, 900 * 1024),
  MUC_DOMAIN: str('', 'Host of the group chat service (XEP-0045, router module muc); empty: conference.<XMPP_DOMAIN>'),
  MUC_CREATORS: list([], 'Accounts (local parts) that may create rooms by joining them (XEP-0045 §10.1); empty: every account; others get not-allowed'),
  MUC_HISTORY_MESSAGES: int(
    20,
    'Groupchat messages a room keeps and sends to joiners as history (XEP-0045 §7.2.13; 0: none; a message over 16 KiB is not kept)',
    0,
    1000,
  ),
  MUC_ARCHIVE: bool(
    true,
    "Rooms archive their messages in the message archive (XEP-0313 on the room, stanza-ids by the room, join history from it, XEP-0425 moderation; a room's owner may still turn it off with muc#roomconfig_enablearchiving); the MAM_* limits apply to a room's archive as to a user's. Off: rooms keep their last MUC_HISTORY_MESSAGES in the room record",
  ),
  MUC_MAX_OCCUPANTS: int(500, 'Occupants of one room at most, whatever its muc#roomconfig_maxusers; one more is refused (service-unavailable)', 1),
  MUC_MAX_ROOM_BYTES: int(
    256 * 1024,
    'Stored bytes of one room (configuration, affiliations, occupants, subject); a change beyond them is refused (resource-constraint)',
    4096,
    900 * 1024,
  ),
  MUC_MAX_AVATAR_BYTES: int(
    64 * 1024,
    "Bytes of one room's vCard (its avatar, XEP-0486), stored apart from the room; a larger one is refused (not-acceptable)",
    1024,
    900 * 1024,
  ),
  MUC_PARTITIONS: int(
    16,
    'Partitions of the group chat rooms: each is handled by one router replica at a time (docs/architecture.md, "Owned partitions"); every replica must use the same number, and it must not change while rooms exist',
    1,
    1024,
  ),
  MUC_LEASE_MS: int(
    3000,
    'A router replica that stops renewing its lease on a partition of rooms (killed, cut off) loses it after this long (ms); another takes over',
    500,
    60_000,
  ),
  MUC_ROOM_IDLE_S: int(60, 'A room nobody wrote to or read for this long is dropped from its owner replica’s memory (loaded again from KV on demand)', 1),
  MUC_INBOX_MAX_BYTES: int(
    256 * 1024 * 1024,
    'Bytes the stream xmpp_muc_in (stanzas waiting for their room’s owner replica) holds at most; the oldest go first',
    1024 * 1024,
  ),
  EXTDISCO_SERVICES: list(
    [],
    'STUN/TURN servers announced by XEP-0215 (router module extdisco), each type:host:port[:transport] with type stun, turn or turns and transport udp (default) or tcp, e.g. turn:turn.example.org:3478:udp; npm start sets the coturn it starts',
  ),
  TURN_SECRET: str(
    '',
    "The TURN server's shared secret (coturn static-auth-secret with use-auth-secret): turn and turns services get temporary credentials made with it; empty: none",
  ),
  TURN_TTL_S: int(86400, 'How long the TURN credentials handed out stay valid (seconds)', 60),
  PROXY65_DOMAIN: str('', 'Host of the SOCKS5 bytestreams proxy (XEP-0065, router module proxy65; the edges relay); empty: proxy.<XMPP_DOMAIN>'),
  PROXY65_TIMEOUT_MS: int(2000, 'How long the proxy65 module waits for the edges to answer (where the proxy listens, an activation)', 100, 60_000),
  BLOCKLIST_MAX_ITEMS: int(1000, 'JIDs on one block list (XEP-0191); blocking more is refused (resource-constraint)', 1),
  ROUTER_MODULES: routerModulesSetting(
    'Router modules enabled (docs/architecture.md, "Writing a router module"); they load in a fixed order whatever the order here, and an unknown name fails the start. Set it for the edge too (one config file can serve both): its caps follow it',
  ),
  PRESENCE_CHANGED_EVENTS: bool(
    false,
    "Publish a PresenceChanged event on NATS (xmpp.presence.changed) for every change of a session's presence; off by default: no service of the server reads them",
  ),
  AUTH_ADDR: str('127.0.0.1:50051', 'Address of the auth service (account existence for server-side IQs)'),
  ...contactSettings,
  UPLOAD_DOMAIN: str('', 'Host of the HTTP upload service (XEP-0363, router module upload, on when UPLOAD_SECRET is set); empty: upload.<XMPP_DOMAIN>'),
  ...uploadSharedSettings,
});

export type RouterConfig = ReturnType<typeof routerConfig.load>;
