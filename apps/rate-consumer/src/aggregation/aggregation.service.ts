import { Inject, Injectable } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { decodeRateEvent, RateEvent } from '@rate/contracts';
import { JsonLogger, parseTraceparent } from '@rate/observability';
import { AggregatedRate, AggregateRepository } from '@rate/redis';
import { BatchOutcome, PartitionRecords } from '../kafka/partition-batch';
import { ConsumerMetrics } from '../metrics/consumer.metrics';
import { KAFKA_CLIENT } from '../rate-consumer.constants';
import { DeadLetter, DeadLetterProducer } from './dead-letter.producer';

/** Decodes a partition batch, dead-letters the poison, applies the rest to Redis exactly once. */
@Injectable()
export class AggregationService {
  private readonly admin: Admin;

  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    private readonly aggregates: AggregateRepository,
    private readonly deadLetters: DeadLetterProducer,
    private readonly metrics: ConsumerMetrics,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
  ) {
    this.admin = kafka.admin();
  }

  async apply(batch: PartitionRecords): Promise<BatchOutcome> {
    const started = process.hrtime.bigint();
    const rates: AggregatedRate[] = [];
    const poison: DeadLetter[] = [];
    const traced: { offset: string; event: RateEvent; traceparent: string }[] = [];
    for (const record of batch.records) {
      const decoded = decodeRateEvent(record.value, this.config);
      if (decoded.ok) {
        rates.push({ offset: record.offset, subject: decoded.event.subject, rate: decoded.event.rate });
        if (record.traceparent) traced.push({ offset: record.offset, event: decoded.event, traceparent: record.traceparent });
      }
      else poison.push({ partition: batch.partition, offset: record.offset, key: record.key, value: record.value, reason: decoded.reason });
    }
    if (poison.length > 0) {
      // Dead-letter only what Redis has not passed yet, so a redelivered batch is not copied twice.
      // Read only when there is poison: a clean batch costs one Redis round trip, the Lua call.
      const stored = BigInt(await this.aggregates.storedOffset(batch.partition));
      const letters = poison.filter((p) => BigInt(p.offset) > stored);
      await this.deadLetters.send(letters);
      this.metrics.deadLettered.inc(letters.length);
    }

    const input = { partition: batch.partition, firstOffset: batch.firstOffset, lastOffset: batch.lastOffset, rates };
    let result = await this.aggregates.apply(input);
    if (result.kind === 'gap') {
      const next = BigInt(result.storedOffset) + 1n;
      if (next >= (await this.lowWatermark(batch.topic, batch.partition))) {
        this.metrics.seeks.inc();
        return { kind: 'seek', offset: String(next) };
      }
      // What Redis misses was deleted by retention: nothing to refill it from, accept the gap.
      result = await this.aggregates.apply({ ...input, allowGap: true });
    }
    if (result.kind !== 'applied') throw new Error('batch not applied after accepting the gap');

    this.logTraced(batch.partition, traced);
    for (const p of poison) this.metrics.poison.inc({ reason: p.reason.split(' ').slice(0, 3).join(' ') });
    this.metrics.applied.inc(result.applied);
    this.metrics.skipped.inc(rates.length - result.applied);
    this.metrics.batchSize.observe(batch.records.length);
    this.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.metrics.lag.set({ partition: String(batch.partition) }, Number(BigInt(batch.highWatermark) - BigInt(batch.lastOffset) - 1n));
    return { kind: 'applied', applied: result.applied };
  }

  /**
   * One line per rating whose trace the caller sampled (W3C flag), debug lines for the rest: a
   * rating can be followed end to end on demand without a log line per rating at full rate.
   */
  private logTraced(partition: number, traced: { offset: string; event: RateEvent; traceparent: string }[]): void {
    for (const { offset, event, traceparent } of traced) {
      const trace = parseTraceparent(traceparent);
      if (!trace) continue;
      this.logger.write(trace.sampled ? 'info' : 'debug', 'rating aggregated', { trace_id: trace.traceId, traceparent, id: event.id, subject: event.subject, partition, offset });
    }
  }

  private async lowWatermark(topic: string, partition: number): Promise<bigint> {
    await this.admin.connect();
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const low = offsets.find((o) => o.partition === partition)?.low ?? '0';
    return BigInt(low);
  }
}
