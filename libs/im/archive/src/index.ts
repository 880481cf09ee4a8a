// Public API of @cx/archive: message archives (XEP-0313) and stable stanza
// ids (XEP-0359) — the Archive interface, its JetStream backend, what is
// archived, and the stanza-id stamp.
export type { Archive, ArchivedMessage, ArchivePage, ArchiveQuery } from './archive';
export { archiveSubject, JetStreamArchive, MAM_STREAM, MAM_SUBJECTS } from './jetstream-archive';
export type { JetStreamArchiveOptions } from './jetstream-archive';
export { MAM_NS } from './ns';
export { RETRACTED_BUCKET } from './retractions';
export { archivable, forStorage } from './rules';
export { stampStanzaId, stripOurStanzaIds } from './stanza-id';
export { DEFAULT_PAGE, finElement, MAX_PAGE, parseQuery, queryForm, resultMessage } from './query';
export type { ParsedQuery } from './query';
