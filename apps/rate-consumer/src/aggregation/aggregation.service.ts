import { Inject, Injectable } from '@nestjs/common';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { decodeRateEvent, isKeyedEventId, RateEvent } from '@rate/contracts';
import { JsonLogger, parseTraceparent } from '@rate/observability';
import { AggregateRepository, BatchRecord, PartitionBatch } from '@rate/redis';
import { BatchOutcome, PartitionRecords, PartitionsAssigned, PartitionSeek } from '../kafka/partition-batch';
import { ConsumerMetrics } from '../metrics/consumer.metrics';
import { DeadLetter, DeadLetterProducer } from './dead-letter.producer';
import { PartitionOffsets } from './partition-offsets';
import { backlog, PartitionBounds, planAssignment, planGap, recordMark } from './partition-position';

/**
 * Decodes a partition batch, dead-letters the poison, applies the rest to Redis exactly once;
 * decides where assigned partitions resume, and recognises a new (reset) log.
 */
@Injectable()
export class AggregationService {
  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
    private readonly aggregates: AggregateRepository,
    private readonly partitionOffsets: PartitionOffsets,
    private readonly deadLetters: DeadLetterProducer,
    private readonly metrics: ConsumerMetrics,
  ) {}

  /**
   * Per partition, the highest offset already copied to the dead-letter topic by this process: a
   * batch retried while Redis refuses writes (OOM) sends its poison once, not once per attempt.
   * Forgotten when the partition's log turns out new (its offsets start over).
   */
  private readonly deadLetteredUpTo = new Map<number, bigint>();

  async apply(batch: PartitionRecords): Promise<BatchOutcome> {
    const started = process.hrtime.bigint();
    const records: BatchRecord[] = [];
    const poison: DeadLetter[] = [];
    const traced: { offset: string; event: RateEvent; traceparent: string }[] = [];
    for (const { offset, timestamp, key, value, traceparent } of batch.records) {
      const decoded = decodeRateEvent(value, this.config);
      const mark = recordMark(timestamp, value);
      if (decoded.ok) {
        const { id, subject, rate } = decoded.event;
        records.push({ offset, mark, rating: { id: isKeyedEventId(id) ? id : null, subject, rate } });
        if (traceparent) traced.push({ offset, event: decoded.event, traceparent });
      } else {
        records.push({ offset, mark, rating: null });
        poison.push({ partition: batch.partition, offset, key, value, reason: decoded.reason });
      }
    }
    await this.deadLetter(batch.partition, poison);

    const input: PartitionBatch = {
      partition: batch.partition,
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      records,
      idempotencyWindowS: this.config.idempotencyWindowS,
    };
    let result = await this.aggregates.apply(input);
    if (result.kind === 'reset') {
      const bounds = await this.partitionOffsets.partition(batch.topic, batch.partition);
      this.logReset(batch.partition, BigInt(result.storedOffset), bounds, 'the log holds another record at the stored offset');
      return this.seek('reset', bounds.low);
    }
    if (result.kind === 'behind') return this.catchUp(batch, BigInt(result.storedOffset));
    if (result.kind === 'gap') {
      const storedBefore = result.storedOffset;
      const plan = planGap(BigInt(result.storedOffset), await this.partitionOffsets.partition(batch.topic, batch.partition));
      if (plan.kind === 'seek') return this.seek('gap', plan.offset);
      // What Redis misses was deleted by retention: nothing to refill it from, accept the gap.
      result = await this.aggregates.apply({ ...input, allowGap: true });
      if (result.kind === 'applied') this.logGap(batch.partition, BigInt(storedBefore), BigInt(batch.firstOffset));
    }
    if (result.kind !== 'applied') throw new Error(`batch not applied after accepting the gap (${result.kind})`);

    this.logTraced(batch.partition, traced);
    for (const p of poison) this.metrics.poison.inc({ reason: p.reason.split(' ').slice(0, 3).join(' ') });
    this.metrics.applied.inc(result.applied);
    this.metrics.duplicates.inc(result.duplicates);
    this.metrics.skipped.inc(records.length - poison.length - result.applied - result.duplicates);
    this.metrics.batchSize.observe(batch.records.length);
    this.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.metrics.lag.set({ partition: String(batch.partition) }, Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset) - 1n));
    return { kind: 'applied', applied: result.applied };
  }

  /**
   * Copies the poison Redis has not passed yet (a batch redelivered after a crash is not copied
   * twice) and this process has not copied yet (a batch retried while Redis refuses writes).
   * Reads the position only when there is poison: a clean batch costs one round trip, the Lua call.
   */
  private async deadLetter(partition: number, poison: DeadLetter[]): Promise<void> {
    if (poison.length === 0) return;
    const stored = (await this.aggregates.positions([partition])).get(partition)!.offset;
    const sent = this.deadLetteredUpTo.get(partition) ?? -1n;
    const fence = stored > sent ? stored : sent;
    const letters = poison.filter((p) => BigInt(p.offset) > fence);
    if (letters.length === 0) return;
    await this.deadLetters.send(letters);
    this.deadLetteredUpTo.set(partition, BigInt(letters[letters.length - 1].offset));
    this.metrics.deadLettered.inc(letters.length);
  }

  /** Retention deleted records before they were applied: they are gone for good, so say so. */
  private logGap(partition: number, stored: bigint, firstOffset: bigint): void {
    const records = Number(firstOffset - stored - 1n);
    this.metrics.gapRecords.inc({ partition: String(partition) }, records);
    this.logger.write('warn', 'Kafka log gap accepted: records deleted by retention before they were applied are skipped', {
      partition,
      storedOffset: String(stored),
      firstOffset: String(firstOffset),
      records,
    });
  }

  /**
   * One line per rating whose trace the caller sampled (W3C flag), debug lines for the rest: a
   * rating can be followed end to end on demand without a log line per rating at full rate.
   */
  private logTraced(partition: number, traced: { offset: string; event: RateEvent; traceparent: string }[]): void {
    for (const { offset, event, traceparent } of traced) {
      const trace = parseTraceparent(traceparent);
      if (!trace) continue;
      this.logger.write(trace.sampled ? 'info' : 'debug', 'rating aggregated', {
        trace_id: trace.traceId,
        traceparent,
        id: event.id,
        subject: event.subject,
        partition,
        offset,
      });
    }
  }

  /**
   * A batch wholly behind Redis: a log that ends at or before the stored offset is a new log
   * (reset it, read it from its start); otherwise seek to the stored offset, whose record's mark
   * tells the old log (resume) from a new, longer one (reset).
   */
  private async catchUp(batch: PartitionRecords, stored: bigint): Promise<BatchOutcome> {
    const bounds = await this.partitionOffsets.partition(batch.topic, batch.partition);
    const plan = planAssignment(stored, bounds);
    if (plan.kind === 'reset') await this.resetPosition(batch.partition, stored, bounds);
    return this.seek(plan.kind === 'reset' ? 'reset' : 'behind', plan.offset);
  }

  /** Where each newly assigned partition resumes: Redis' stored offset, or a new log's start. */
  async resumePositions({ topic, partitions }: PartitionsAssigned): Promise<PartitionSeek[]> {
    const [positions, partitionBounds] = await Promise.all([this.aggregates.positions(partitions), this.partitionOffsets.of(topic)]);
    const seeks: PartitionSeek[] = [];
    for (const partition of partitions) {
      const stored = positions.get(partition)!.offset;
      const bounds = partitionBounds.get(partition);
      if (!bounds) throw new Error(`Kafka knows no partition ${partition} of ${topic}`);
      const plan = planAssignment(stored, bounds);
      if (plan.kind === 'reset') await this.resetPosition(partition, stored, bounds);
      this.metrics.seeks.inc({ cause: 'assignment' });
      seeks.push({ partition, offset: String(plan.offset) });
    }
    return seeks;
  }

  /** Records in Kafka not yet applied in Redis, over the given partitions (all of the topic when null). */
  async backlog(topic: string, partitions: number[] | null): Promise<number> {
    const partitionBounds = await this.partitionOffsets.of(topic);
    const wanted = partitions ?? [...partitionBounds.keys()];
    const positions = await this.aggregates.positions(wanted);
    let total = 0n;
    for (const p of wanted) {
      const bounds = partitionBounds.get(p);
      if (bounds) total += backlog(positions.get(p)!.offset, bounds);
    }
    return Number(total);
  }

  /** Compare-and-reset: a position that moved meanwhile means this plan is stale. */
  private async resetPosition(partition: number, stored: bigint, bounds: PartitionBounds): Promise<void> {
    if (!(await this.aggregates.resetPosition(partition, stored))) throw new Error(`partition ${partition} moved while being reset`);
    this.logReset(partition, stored, bounds, 'the log ends before the stored offset');
  }

  private seek(cause: 'gap' | 'reset' | 'behind', offset: bigint): BatchOutcome {
    this.metrics.seeks.inc({ cause });
    return { kind: 'seek', offset: String(offset) };
  }

  private logReset(partition: number, stored: bigint, bounds: PartitionBounds, why: string): void {
    this.deadLetteredUpTo.delete(partition);
    this.metrics.logResets.inc({ partition: String(partition) });
    this.logger.write('warn', 'Kafka log reset detected: counting this partition again from the start of its new log, aggregates kept', {
      partition,
      storedOffset: String(stored),
      logStart: String(bounds.low),
      logEnd: String(bounds.high),
      why,
    });
  }
}
