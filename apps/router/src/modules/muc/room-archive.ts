// The rooms' archive: a JetStreamArchive of its own on the same stream as the
// users' archives (xmpp_mam, one subject per room's bare JID) with the same
// MAM_* limits, so rooms archive whether or not the mam module is enabled.
// MUC_ARCHIVE=false: none (rooms keep their history in the room record).
import { JetStreamArchive } from '@cx/archive';
import type { RouterContext } from '../module';
import type { RoomArchiveDeps } from './history';

const DAY_MS = 24 * 3600 * 1000;

export async function openRoomArchive(ctx: RouterContext): Promise<RoomArchiveDeps | undefined> {
  const { config } = ctx;
  if (!config.MUC_ARCHIVE) return undefined;
  const archive = await JetStreamArchive.open(ctx.bus, {
    maxPerUser: config.MAM_MAX_MESSAGES,
    retentionMs: config.MAM_RETENTION_DAYS * DAY_MS,
    maxMessageBytes: config.MAM_MAX_MESSAGE_BYTES,
    maxStreamBytes: config.MAM_STREAM_MAX_BYTES,
  });
  return { archive, maxMessageBytes: config.MAM_MAX_MESSAGE_BYTES };
}
