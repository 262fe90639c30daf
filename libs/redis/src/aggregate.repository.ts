import Redis from 'ioredis';
import { RateAggregate } from '@rate/contracts';
import { offsetKey, subjectKey } from './aggregate-keys';
import { APPLY_BATCH_LUA } from './apply-batch.script';

export interface AggregatedRate {
  offset: string;
  subject: string;
  rate: number;
}

export interface PartitionBatch {
  partition: number;
  firstOffset: string;
  lastOffset: string;
  /** Good events only; poison records advance the offset but are not listed here. */
  rates: AggregatedRate[];
  /** Accept a batch that starts past the stored offset (the gap was deleted by Kafka retention). */
  allowGap?: boolean;
}

export type ApplyResult =
  | { kind: 'applied'; storedOffset: string; applied: number }
  | { kind: 'gap'; storedOffset: string };

type ApplyBatchCommand = (numKeys: number, ...args: (string | number)[]) => Promise<[number, number, number]>;

/** Wraps the Redis client: the Lua batch apply and the merged read. */
export class AggregateRepository {
  /**
   * Why the last batch apply failed, until one succeeds: Redis at its memory limit (noeviction)
   * still answers PING but refuses the script, and readiness must say so.
   */
  lastApplyError: string | null = null;

  constructor(private readonly redis: Redis) {
    redis.defineCommand('rateApplyBatch', { lua: APPLY_BATCH_LUA });
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
    const keys = [offsetKey(batch.partition)];
    const keyIndex = new Map<string, number>();
    const args: (string | number)[] = [batch.firstOffset, batch.lastOffset, batch.allowGap ? '1' : '0'];
    for (const { offset, subject, rate } of batch.rates) {
      let index = keyIndex.get(subject);
      if (index === undefined) {
        keys.push(subjectKey(batch.partition, subject));
        index = keys.length; // Lua's KEYS is 1-based
        keyIndex.set(subject, index);
      }
      args.push(offset, index, rate);
    }
    const command = (this.redis as unknown as { rateApplyBatch: ApplyBatchCommand }).rateApplyBatch;
    const [ok, stored, applied] = await command.call(this.redis, keys.length, ...keys, ...args);
    return ok === 1
      ? { kind: 'applied', storedOffset: String(stored), applied }
      : { kind: 'gap', storedOffset: String(stored) };
  }

  /** -1 when nothing of the partition was ever applied. */
  async storedOffset(partition: number): Promise<string> {
    return (await this.redis.get(offsetKey(partition))) ?? '-1';
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
}
