import { createHash } from 'node:crypto';

/**
 * Where to read a partition from, given where Redis stands (`stored`, the last applied offset,
 * -1 for none) and the bounds of the partition's log in Kafka. The choices of refill, gap and
 * reset live here, apart from the clients, so each one is unit-tested.
 */
export interface PartitionBounds {
  /** Log start offset: everything before it was deleted by retention. */
  low: bigint;
  /** The offset the next record will get. */
  high: bigint;
}

export type AssignmentPlan = { kind: 'seek'; offset: bigint } | { kind: 'reset'; offset: bigint };
export type GapPlan = { kind: 'seek'; offset: bigint } | { kind: 'accept' };

/**
 * Resume at the stored offset itself, not after it: the first batch then holds the record Redis
 * applied last, and the batch script compares it with the mark stored beside the offset — a
 * log that holds another record there is a new log, however long it has grown.
 */
export function resumeOffset(stored: bigint, bounds: PartitionBounds): bigint {
  return stored < bounds.low ? bounds.low : stored;
}

/**
 * On assignment. A log that ends at or before the stored offset cannot be the log those offsets
 * came from (acks=all never lets a consumed record disappear): it was deleted and recreated, or
 * lost. Then the partition is counted again from the new log's start.
 */
export function planAssignment(stored: bigint, bounds: PartitionBounds): AssignmentPlan {
  if (stored >= 0n && bounds.high <= stored) return { kind: 'reset', offset: bounds.low };
  return { kind: 'seek', offset: resumeOffset(stored, bounds) };
}

/**
 * A batch starts past stored + 1: Redis lost writes the Kafka commit already covered. Refill by
 * seeking back, unless retention deleted what is missing (nothing to refill it from).
 */
export function planGap(stored: bigint, bounds: PartitionBounds): GapPlan {
  return stored + 1n < bounds.low ? { kind: 'accept' } : { kind: 'seek', offset: resumeOffset(stored, bounds) };
}

/** Records waiting after what Redis applied (0 when Redis is past the log's end: a reset not seen yet). */
export function backlog(stored: bigint, bounds: PartitionBounds): bigint {
  const next = stored + 1n < bounds.low ? bounds.low : stored + 1n;
  return bounds.high > next ? bounds.high - next : 0n;
}

/**
 * What identifies a record within its log: its Kafka timestamp and a digest of its bytes. A
 * recreated log reuses offsets, in practice never this pair. Taken from the raw record, never from
 * how it decodes: a change of RATE_MAX or of the schema must not make a stored record look new.
 */
export function recordMark(timestamp: string, value: Buffer | null): string {
  return `${timestamp}:#${createHash('sha1')
    .update(value ?? Buffer.alloc(0))
    .digest('hex')
    .slice(0, 16)}`;
}
