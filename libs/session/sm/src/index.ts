export { newlyAcked, parseH, WRAP, wrapped } from './counter';
export { Outbox, type AckOutcome, type Unacked } from './outbox';
export { followEdge, SM_BUCKET, smRetentionMs, SmStore, type SmMessage } from './store';
export { SM_STREAM, smChannel, smSubject, SmPublisher } from './sm-channel';
export { endOf, PER_MESSAGE, position, readAfter, seqOf, unackedFilter } from './position';
export { DurablePublisher, type DurablePublisherOptions } from './durable-publisher';
export { undeliverableStanza, type Undelivered } from './undeliverable';
