import { RateAggregate } from '@rate/contracts';
import { eventIdKey, markKey, offsetKey, subjectKey } from './aggregate-keys';
import { APPLY_BATCH_LUA, RESET_PARTITION_LUA } from './apply-batch.script';
import type { RedisClient } from './redis-client';

/** One record of a partition batch as the script sees it. */
export interface BatchRecord {
  offset: string;
  /** Identifies the record within its log (stored beside the offset to recognise a new log). */
  mark: string;
  /**
   * The decoded rating; null for poison, which advances the offset but is not aggregated. Its id
   * is null when it needs no idempotency check (no Idempotency-Key: a random id never repeats).
   */
  rating: { id: string | null; subject: string; rate: number } | null;
}

export interface PartitionBatch {
  partition: number;
  firstOffset: string;
  lastOffset: string;
  records: BatchRecord[];
  /** Seconds an event id stays applied (a second event with that id is a duplicate); 0 = no check. */
  idempotencyWindowS: number;
  /** Accept a batch that starts past the stored offset (the gap was deleted by Kafka retention). */
  allowGap?: boolean;
}

export type ApplyResult =
  | { kind: 'applied'; storedOffset: string; applied: number; duplicates: number }
  | { kind: 'gap'; storedOffset: string }
  | { kind: 'reset'; storedOffset: string }
  | { kind: 'behind'; storedOffset: string };

/** Where Redis says a partition stands: -1 when nothing of it was applied. */
export interface StoredPosition {
  offset: bigint;
  mark: string | null;
}

type ScriptCommand = (numKeys: number, keysAndArgs: (string | number)[]) => Promise<unknown>;

/**
 * Records per script call. A fetch returns up to 4 MiB per partition (≈ 20k ratings); one call
 * with all of them blocks Redis for tens of ms and its argument list overflows Node's stack
 * wherever it is spread. Chunks of a batch are applied in order, each fenced like a batch.
 */
export const RECORDS_PER_CALL = 2000;

const WRITE_REFUSED = /OOM command not allowed|MISCONF|READONLY/;
const FAILURE_CURRENT_MS = 15_000;

/** Wraps the Redis client: the Lua batch apply, the partitions' positions and the merged read. */
export class AggregateRepository {
  /**
   * Per partition, why its last batch apply failed and when, until one of its batches succeeds:
   * Redis at its memory limit (noeviction) still answers PING but refuses the script, and
   * readiness must say so — not forget it when another partition's batch happens to succeed.
   */
  private readonly failures = new Map<number, { message: string; at: number }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {
    redis.defineCommand('rateApplyBatch', { lua: APPLY_BATCH_LUA });
    redis.defineCommand('rateResetPartition', { lua: RESET_PARTITION_LUA });
  }

  async apply(batch: PartitionBatch): Promise<ApplyResult> {
    try {
      const result = await this.applyChunks(batch);
      this.failures.delete(batch.partition);
      return result;
    } catch (error) {
      this.failures.set(batch.partition, { message: error instanceof Error ? error.message : String(error), at: this.now() });
      throw error;
    }
  }

  /** Why a partition's batch is not being applied (the newest current failure), or null. */
  get lastApplyError(): string | null {
    const current = [...this.failures.keys()].map((p) => this.failure(p)).filter((f) => f !== null);
    return current.sort((a, b) => b.at - a.at)[0]?.message ?? null;
  }

  /**
   * Redis answered the partition's last batch but will not write (memory limit, a failed save, a
   * read-only replica): waiting is the remedy, not a restart.
   */
  refusesWrites(partition: number): boolean {
    return WRITE_REFUSED.test(this.failure(partition)?.message ?? '');
  }

  /**
   * A failure is current while its batch is being retried (every half second); one older than
   * FAILURE_CURRENT_MS belongs to a partition this member no longer holds.
   */
  private failure(partition: number): { message: string; at: number } | null {
    const failure = this.failures.get(partition);
    if (!failure) return null;
    if (this.now() - failure.at <= FAILURE_CURRENT_MS) return failure;
    this.failures.delete(partition);
    return null;
  }

  /**
   * A chunk wholly at or below the stored offset answers `behind`; that is the batch's answer only
   * when the whole batch is behind. Otherwise the chunk's records were applied before (a batch
   * redelivered after a crash) and the next chunk goes on. Only the first chunk may accept a gap.
   */
  private async applyChunks(batch: PartitionBatch): Promise<ApplyResult> {
    let applied = 0;
    let duplicates = 0;
    let firstOffset = batch.firstOffset;
    for (let start = 0; start < batch.records.length || start === 0; start += RECORDS_PER_CALL) {
      const records = batch.records.slice(start, start + RECORDS_PER_CALL);
      const final = start + RECORDS_PER_CALL >= batch.records.length;
      const lastOffset = final ? batch.lastOffset : records[records.length - 1].offset;
      const result = await this.applyOnce({ ...batch, records, firstOffset, lastOffset, allowGap: start === 0 && batch.allowGap });
      firstOffset = String(BigInt(lastOffset) + 1n);
      if (result.kind === 'behind' && !final && BigInt(result.storedOffset) <= BigInt(batch.lastOffset)) continue;
      if (result.kind !== 'applied') return result;
      applied += result.applied;
      duplicates += result.duplicates;
      if (final) return { ...result, applied, duplicates };
    }
    throw new Error('unreachable: the final chunk returns');
  }

  private async applyOnce(batch: PartitionBatch): Promise<ApplyResult> {
    const { partition } = batch;
    const keys: string[] = [offsetKey(partition), markKey(partition)];
    const subjectIndex = new Map<string, number>();
    const args: (string | number)[] = [batch.firstOffset, batch.lastOffset, batch.allowGap ? '1' : '0', batch.idempotencyWindowS];
    const indexOf = (key: string): number => keys.push(key); // Lua's KEYS is 1-based: the new length
    for (const { offset, mark, rating } of batch.records) {
      if (rating === null) {
        args.push(offset, mark, 0, 0, 0);
        continue;
      }
      let subject = subjectIndex.get(rating.subject);
      if (subject === undefined) {
        subject = indexOf(subjectKey(partition, rating.subject));
        subjectIndex.set(rating.subject, subject);
      }
      const id = batch.idempotencyWindowS > 0 && rating.id !== null ? indexOf(eventIdKey(partition, rating.id, rating.subject)) : 0;
      args.push(offset, mark, subject, rating.rate, id);
    }
    const reply = (await this.command('rateApplyBatch')(keys.length, (keys as (string | number)[]).concat(args))) as number[];
    const [status, stored, applied, duplicates] = reply;
    const storedOffset = String(stored);
    if (status === 0) return { kind: 'gap', storedOffset };
    if (status === 2) return { kind: 'reset', storedOffset };
    if (status === 3) return { kind: 'behind', storedOffset };
    return { kind: 'applied', storedOffset, applied, duplicates };
  }

  /**
   * The stored positions of the given partitions. Each partition is its own hash slot: the
   * commands go out together, each to its slot's node, never as one cross-slot pipeline.
   */
  async positions(partitions: number[]): Promise<Map<number, StoredPosition>> {
    const replies = await Promise.all(partitions.map((p) => Promise.all([this.redis.get(offsetKey(p)), this.redis.get(markKey(p))])));
    return new Map(partitions.map((p, i) => [p, { offset: replies[i][0] === null ? -1n : BigInt(replies[i][0]), mark: replies[i][1] }]));
  }

  /** Forgets the partition's position (its log is new) unless it moved past `offset` meanwhile. */
  async resetPosition(partition: number, offset: bigint): Promise<boolean> {
    return (await this.command('rateResetPartition')(2, [offsetKey(partition), markKey(partition), String(offset)])) === 1;
  }

  async read(subject: string, partitions: number, rateMin: number, rateMax: number): Promise<RateAggregate> {
    const hashes = await Promise.all(Array.from({ length: partitions }, (_, p) => this.redis.hgetall(subjectKey(p, subject))));
    let count = 0;
    let sum = 0;
    let min: number | null = null;
    let max: number | null = null;
    const histogram: Record<string, number> = {};
    for (let r = rateMin; r <= rateMax; r++) histogram[String(r)] = 0;
    for (const hash of hashes) {
      if (!hash.count) continue;
      count += Number(hash.count);
      sum += Number(hash.sum);
      const pMin = Number(hash.min);
      const pMax = Number(hash.max);
      min = min === null ? pMin : Math.min(min, pMin);
      max = max === null ? pMax : Math.max(max, pMax);
      for (const [field, n] of Object.entries(hash)) {
        if (field.startsWith('h')) histogram[field.slice(1)] = (histogram[field.slice(1)] ?? 0) + Number(n);
      }
    }
    return { subject, count, sum, avg: count === 0 ? null : sum / count, min, max, histogram };
  }

  /** ioredis flattens an array argument: nothing of a batch is ever spread onto the stack. */
  private command(name: string): ScriptCommand {
    const script = (this.redis as unknown as Record<string, ScriptCommand>)[name];
    return (numKeys, keysAndArgs) => script.call(this.redis, numKeys, keysAndArgs);
  }
}
