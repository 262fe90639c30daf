import { randomUUID } from 'node:crypto';
import { loadConfig } from '@rate/config';
import { eventIdForIdempotencyKey } from '@rate/contracts';
import { JsonLogger } from '@rate/observability';
import { AggregateRepository, ApplyResult, PartitionBatch, StoredPosition } from '@rate/redis';
import { PartitionRecords } from '../kafka/partition-batch';
import Redis from 'ioredis';
import { ConsumerState } from '../kafka/consumer-state';
import { ConsumerMetrics } from '../metrics/consumer.metrics';
import { AggregationService } from './aggregation.service';
import { DeadLetterProducer } from './dead-letter.producer';
import { PartitionOffsets } from './partition-offsets';
import { PartitionBounds } from './partition-position';

const config = loadConfig('rate-consumer', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379', IDEMPOTENCY_WINDOW_S: '600' });

/** Redis as the service sees it: stored positions per partition and scripted answers to apply(). */
class FakeAggregates {
  positions = new Map<number, StoredPosition>();
  answers: ApplyResult[] = [];
  applied: PartitionBatch[] = [];
  resets: [number, bigint][] = [];
  resetSucceeds = true;

  async apply(batch: PartitionBatch): Promise<ApplyResult> {
    this.applied.push(batch);
    return (
      this.answers.shift() ?? {
        kind: 'applied',
        storedOffset: batch.lastOffset,
        applied: batch.records.filter((r) => r.rating !== null).length,
        duplicates: 0,
      }
    );
  }

  async positionsOf(partitions: number[]): Promise<Map<number, StoredPosition>> {
    return new Map(partitions.map((p) => [p, this.positions.get(p) ?? { offset: -1n, mark: null }]));
  }

  async resetPosition(partition: number, offset: bigint): Promise<boolean> {
    this.resets.push([partition, offset]);
    return this.resetSucceeds;
  }
}

const bounds = (low: number, high: number): PartitionBounds => ({ low: BigInt(low), high: BigInt(high) });
const rating = (subject: string, rate: number, id: string = randomUUID()) =>
  Buffer.from(JSON.stringify({ v: 1, id, subject, rate, ts: 1 }));

function batch(values: (Buffer | null)[], first = 10): PartitionRecords {
  return {
    topic: 'rates',
    partition: 3,
    firstOffset: String(first),
    lastOffset: String(first + values.length - 1),
    highWatermark: String(first + values.length),
    records: values.map((value, i) => ({ offset: String(first + i), timestamp: String(1000 + i), key: Buffer.from('k'), value })),
  };
}

async function metric(metrics: ConsumerMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await metrics.registry.getSingleMetric(name)!.get()).values.filter((v) =>
    Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  return found.reduce((sum, v) => sum + v.value, 0);
}

describe('AggregationService', () => {
  let aggregates: FakeAggregates;
  let partitionBounds: Map<number, PartitionBounds>;
  let deadLetters: { send: jest.Mock };
  let metrics: ConsumerMetrics;
  let service: AggregationService;
  let logger: { write: jest.Mock };

  beforeEach(() => {
    aggregates = new FakeAggregates();
    partitionBounds = new Map([0, 1, 2, 3, 4, 5].map((p) => [p, bounds(0, 100)]));
    deadLetters = { send: jest.fn(async () => undefined) };
    // Metrics only: Redis is asked at scrape time, which these tests never do.
    metrics = new ConsumerMetrics({} as Redis, new ConsumerState());
    const repository = {
      apply: (b: PartitionBatch) => aggregates.apply(b),
      positions: (p: number[]) => aggregates.positionsOf(p),
      resetPosition: (p: number, o: bigint) => aggregates.resetPosition(p, o),
    } as unknown as AggregateRepository;
    const partitionOffsets = {
      of: async () => partitionBounds,
      partition: async (_topic: string, p: number) => partitionBounds.get(p)!,
    } as unknown as PartitionOffsets;
    logger = { write: jest.fn() };
    service = new AggregationService(
      config,
      logger as unknown as JsonLogger,
      repository,
      partitionOffsets,
      deadLetters as unknown as DeadLetterProducer,
      metrics,
    );
  });

  describe('a batch', () => {
    it('goes to Redis in one call with every record, its mark, its rating and the idempotency window', async () => {
      const id = randomUUID();
      expect(await service.apply(batch([rating('a', 4, id), rating('b', 9)]))).toEqual({ kind: 'applied', applied: 2 });
      expect(aggregates.applied).toHaveLength(1);
      expect(aggregates.applied[0]).toMatchObject({ partition: 3, firstOffset: '10', lastOffset: '11', idempotencyWindowS: 600 });
      expect(aggregates.applied[0].records[0]).toEqual({
        offset: '10',
        mark: expect.stringMatching(/^1000:#[0-9a-f]{16}$/),
        rating: { id: null, subject: 'a', rate: 4 },
      });
      expect(deadLetters.send).not.toHaveBeenCalled();
    });

    it('dead-letters the poison Redis has not passed yet, and still advances over it', async () => {
      aggregates.positions.set(3, { offset: 10n, mark: 'm' });
      await service.apply(batch([Buffer.from('junk'), rating('a', 2), Buffer.from('{}')]));
      expect(deadLetters.send).toHaveBeenCalledTimes(1);
      expect(deadLetters.send.mock.calls[0][0]).toEqual([
        expect.objectContaining({ partition: 3, offset: '12', reason: 'unknown schema version undefined' }),
      ]);
      const records = aggregates.applied[0].records;
      expect(records.map((r) => r.rating === null)).toEqual([true, false, true]);
      expect(records[0].mark).toMatch(/^1000:#[0-9a-f]{16}$/);
    });

    it('marks a record by its raw bytes: a config or schema change never flips the mark of a stored record (#19)', async () => {
      const values = [rating('a', 10), Buffer.from('junk')];
      await service.apply(batch(values));
      const strict = loadConfig('rate-consumer', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379', RATE_MAX: '5' });
      const repository = {
        apply: (b: PartitionBatch) => aggregates.apply(b),
        positions: (p: number[]) => aggregates.positionsOf(p),
      } as unknown as AggregateRepository;
      const other = new AggregationService(
        strict,
        logger as unknown as JsonLogger,
        repository,
        {} as PartitionOffsets,
        deadLetters as unknown as DeadLetterProducer,
        metrics,
      );
      await other.apply(batch(values));
      const [before, after] = aggregates.applied.map((b) => b.records.map((r) => r.mark));
      expect(aggregates.applied[1].records[0].rating).toBeNull(); // rate 10 is poison under RATE_MAX=5
      expect(after).toEqual(before);
    });

    it('keeps an event id only for a rating sent with an Idempotency-Key (a random id never repeats) (#19)', async () => {
      const keyed = eventIdForIdempotencyKey('order-17');
      await service.apply(batch([rating('a', 4, keyed), rating('b', 9)]));
      expect(aggregates.applied[0].records.map((r) => r.rating!.id)).toEqual([keyed, null]);
    });

    it('dead-letters each poison record once, however often Redis refuses the batch (OOM) (#19)', async () => {
      const refused = new Error("OOM command not allowed when used memory > 'maxmemory'.");
      const apply = jest.spyOn(aggregates, 'apply');
      apply.mockRejectedValueOnce(refused).mockRejectedValueOnce(refused);
      const poisoned = batch([Buffer.from('junk'), rating('a', 2), Buffer.from('{}')]);
      for (let attempt = 0; attempt < 2; attempt++) await expect(service.apply(poisoned)).rejects.toThrow(/OOM/);
      expect(await service.apply(poisoned)).toEqual({ kind: 'applied', applied: 1 });
      const sent = deadLetters.send.mock.calls.flatMap(([letters]) => (letters as { offset: string }[]).map((l) => l.offset));
      expect(sent).toEqual(['10', '12']);
      expect(await metric(metrics, 'rate_consumer_dead_letters_total')).toBe(2);
    });

    it('counts duplicates and fenced records apart from applied ones', async () => {
      aggregates.answers.push({ kind: 'applied', storedOffset: '12', applied: 1, duplicates: 1 });
      await service.apply(batch([rating('a', 1), rating('a', 1), rating('a', 1)]));
      expect(await metric(metrics, 'rate_consumer_events_applied_total')).toBe(1);
      expect(await metric(metrics, 'rate_consumer_events_duplicate_total')).toBe(1);
      expect(await metric(metrics, 'rate_consumer_events_skipped_total')).toBe(1);
    });
  });

  describe('a batch past what Redis holds (gap)', () => {
    it('seeks back to the stored offset to refill from Kafka', async () => {
      aggregates.answers.push({ kind: 'gap', storedOffset: '4' });
      expect(await service.apply(batch([rating('a', 1)]))).toEqual({ kind: 'seek', offset: '4' });
      expect(aggregates.applied).toHaveLength(1);
      expect(await metric(metrics, 'rate_consumer_seeks_total', { cause: 'gap' })).toBe(1);
    });

    it('seeks to the log start when Redis has nothing of the partition', async () => {
      aggregates.answers.push({ kind: 'gap', storedOffset: '-1' });
      expect(await service.apply(batch([rating('a', 1)]))).toEqual({ kind: 'seek', offset: '0' });
    });

    it('accepts the gap when retention deleted what is missing: applied again, allowing it', async () => {
      partitionBounds.set(3, bounds(8, 100));
      aggregates.answers.push({ kind: 'gap', storedOffset: '4' });
      expect(await service.apply(batch([rating('a', 1)]))).toEqual({ kind: 'applied', applied: 1 });
      expect(aggregates.applied.map((b) => b.allowGap ?? false)).toEqual([false, true]);
    });
  });

  it('logs and counts the records an accepted gap skipped (deleted by retention before they were applied) (#19)', async () => {
    partitionBounds.set(3, bounds(8, 100));
    aggregates.answers.push({ kind: 'gap', storedOffset: '4' });
    await service.apply(batch([rating('a', 1)], 8));
    expect(await metric(metrics, 'rate_consumer_gap_records_total', { partition: '3' })).toBe(3);
    expect(logger.write).toHaveBeenCalledWith('warn', expect.stringMatching(/gap/), expect.objectContaining({ partition: 3, records: 3 }));
  });

  describe('a batch from a new log (reset)', () => {
    it('is counted and logged, and the partition is read again from the new log start', async () => {
      partitionBounds.set(3, bounds(0, 40));
      aggregates.answers.push({ kind: 'reset', storedOffset: '10' });
      expect(await service.apply(batch([rating('a', 1)]))).toEqual({ kind: 'seek', offset: '0' });
      expect(await metric(metrics, 'rate_consumer_log_resets_total', { partition: '3' })).toBe(1);
      expect(await metric(metrics, 'rate_consumer_seeks_total', { cause: 'reset' })).toBe(1);
    });
  });

  describe('a batch wholly behind what Redis holds', () => {
    it('from a new log that ends before the stored offset: reset, counted, read again from the new log start', async () => {
      partitionBounds.set(3, bounds(0, 12));
      aggregates.positions.set(3, { offset: 40n, mark: 'old' });
      aggregates.answers.push({ kind: 'behind', storedOffset: '40' });
      expect(await service.apply(batch([rating('a', 1)]))).toEqual({ kind: 'seek', offset: '0' });
      expect(aggregates.resets).toEqual([[3, 40n]]);
      expect(await metric(metrics, 'rate_consumer_log_resets_total', { partition: '3' })).toBe(1);
    });

    it('from a log that reaches past the stored offset: seek there, where the mark tells old log from new', async () => {
      partitionBounds.set(3, bounds(0, 60));
      aggregates.answers.push({ kind: 'behind', storedOffset: '40' });
      expect(await service.apply(batch([rating('a', 1)]))).toEqual({ kind: 'seek', offset: '40' });
      expect(aggregates.resets).toEqual([]);
      expect(await metric(metrics, 'rate_consumer_log_resets_total')).toBe(0);
    });

    it('fails (the batch is retried) when the position moved while being reset', async () => {
      partitionBounds.set(3, bounds(0, 12));
      aggregates.resetSucceeds = false;
      aggregates.answers.push({ kind: 'behind', storedOffset: '40' });
      await expect(service.apply(batch([rating('a', 1)]))).rejects.toThrow('partition 3 moved while being reset');
    });
  });

  describe('an assignment', () => {
    it('resumes each partition where Redis stands: the stored offset, or the log start', async () => {
      aggregates.positions.set(0, { offset: 7n, mark: 'm' });
      aggregates.positions.set(2, { offset: 3n, mark: 'm' });
      partitionBounds.set(2, bounds(20, 100));
      expect(await service.resumePositions({ topic: 'rates', partitions: [0, 1, 2] })).toEqual([
        { partition: 0, offset: '7' },
        { partition: 1, offset: '0' },
        { partition: 2, offset: '20' },
      ]);
      expect(aggregates.resets).toEqual([]);
      expect(await metric(metrics, 'rate_consumer_seeks_total', { cause: 'assignment' })).toBe(3);
    });

    it('resets a partition whose log ends before the stored offset, and reads the new log from its start', async () => {
      aggregates.positions.set(4, { offset: 50n, mark: 'm' });
      partitionBounds.set(4, bounds(0, 6));
      expect(await service.resumePositions({ topic: 'rates', partitions: [4] })).toEqual([{ partition: 4, offset: '0' }]);
      expect(aggregates.resets).toEqual([[4, 50n]]);
      expect(await metric(metrics, 'rate_consumer_log_resets_total', { partition: '4' })).toBe(1);
    });

    it('fails (and is asked again) when the position moved while being reset', async () => {
      aggregates.positions.set(4, { offset: 50n, mark: 'm' });
      partitionBounds.set(4, bounds(0, 6));
      aggregates.resetSucceeds = false;
      await expect(service.resumePositions({ topic: 'rates', partitions: [4] })).rejects.toThrow(/moved/);
      expect(await metric(metrics, 'rate_consumer_log_resets_total')).toBe(0);
    });

    it('fails for a partition Kafka does not know (yet)', async () => {
      await expect(service.resumePositions({ topic: 'rates', partitions: [9] })).rejects.toThrow(/no partition 9/);
    });
  });

  it('measures the backlog of given partitions, or of the whole topic', async () => {
    aggregates.positions.set(0, { offset: 89n, mark: 'm' });
    aggregates.positions.set(1, { offset: 99n, mark: 'm' });
    expect(await service.backlog('rates', [0, 1])).toBe(10);
    expect(await service.backlog('rates', null)).toBe(10 + 4 * 100);
  });
});
