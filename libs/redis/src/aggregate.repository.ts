import Redis from 'ioredis';
import { RateAggregate } from '@rate/contracts';
import { eventIdKey, markKey, offsetKey, subjectKey } from './aggregate-keys';
import { APPLY_BATCH_LUA, RESET_PARTITION_LUA } from './apply-batch.script';

/** One record of a partition batch as the script sees it. */
export interface BatchRecord {
  offset: string;
  /** Identifies the record within its log (stored beside the offset to recognise a new log). */
  mark: string;
  /** The decoded rating; null for poison, which advances the offset but is not aggregated. */
  rating: { id: string; subject: string; rate: number } | null;
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

type ScriptCommand = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

/** Wraps the Redis client: the Lua batch apply, the partitions' positions and the merged read. */
export class AggregateRepository {
  /**
   * Why the last batch apply failed, until one succeeds: Redis at its memory limit (noeviction)
   * still answers PING but refuses the script, and readiness must say so.
   */
  lastApplyError: string | null = null;

  constructor(private readonly redis: Redis) {
    redis.defineCommand('rateApplyBatch', { lua: APPLY_BATCH_LUA });
    redis.defineCommand('rateResetPartition', { lua: RESET_PARTITION_LUA });
  }

  async apply(batch: PartitionBatch): Promise<ApplyResult> {
    try {
      const result = await this.applyOnce(batch);
      this.lastApplyError = null;
      return result;
    } catch (error) {
      this.lastApplyError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  private async applyOnce(batch: PartitionBatch): Promise<ApplyResult> {
    const { partition } = batch;
    const keys = [offsetKey(partition), markKey(partition)];
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
      const id = batch.idempotencyWindowS > 0 ? indexOf(eventIdKey(partition, rating.id, rating.subject)) : 0;
      args.push(offset, mark, subject, rating.rate, id);
    }
    const [status, stored, applied, duplicates] = (await this.command('rateApplyBatch')(keys.length, ...keys, ...args)) as number[];
    const storedOffset = String(stored);
    if (status === 0) return { kind: 'gap', storedOffset };
    if (status === 2) return { kind: 'reset', storedOffset };
    if (status === 3) return { kind: 'behind', storedOffset };
    return { kind: 'applied', storedOffset, applied, duplicates };
  }

  /** The stored positions of the given partitions, in one round trip. */
  async positions(partitions: number[]): Promise<Map<number, StoredPosition>> {
    const pipeline = this.redis.pipeline();
    for (const p of partitions) pipeline.get(offsetKey(p)).get(markKey(p));
    const replies = (await pipeline.exec()) ?? [];
    const positions = new Map<number, StoredPosition>();
    partitions.forEach((p, i) => {
      const [[offsetError, offset], [markError, mark]] = [replies[2 * i], replies[2 * i + 1]];
      if (offsetError || markError) throw offsetError ?? markError;
      positions.set(p, { offset: offset === null ? -1n : BigInt(offset as string), mark: mark as string | null });
    });
    return positions;
  }

  /** Forgets the partition's position (its log is new) unless it moved past `offset` meanwhile. */
  async resetPosition(partition: number, offset: bigint): Promise<boolean> {
    return (await this.command('rateResetPartition')(2, offsetKey(partition), markKey(partition), String(offset))) === 1;
  }

  async read(subject: string, partitions: number, rateMin: number, rateMax: number): Promise<RateAggregate> {
    const pipeline = this.redis.pipeline();
    for (let p = 0; p < partitions; p++) pipeline.hgetall(subjectKey(p, subject));
    const replies = (await pipeline.exec()) ?? [];
    let count = 0;
    let sum = 0;
    let min: number | null = null;
    let max: number | null = null;
    const histogram: Record<string, number> = {};
    for (let r = rateMin; r <= rateMax; r++) histogram[String(r)] = 0;
    for (const [error, value] of replies) {
      if (error) throw error;
      const hash = value as Record<string, string>;
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

  private command(name: string): ScriptCommand {
    return (...args) => (this.redis as unknown as Record<string, ScriptCommand>)[name].call(this.redis, ...args);
  }
}
