import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REDIS_CLIENT, registerRedisMetrics } from '@rate/redis';
import type { RedisClient } from '@rate/redis';
import { ConsumerState } from '../kafka/consumer-state';

@Injectable()
export class ConsumerMetrics {
  readonly registry = new Registry();
  readonly applied = new Counter({
    name: 'rate_consumer_events_applied_total',
    help: 'Ratings aggregated into Redis',
    registers: [this.registry],
  });
  readonly skipped = new Counter({
    name: 'rate_consumer_events_skipped_total',
    help: 'Redelivered ratings skipped because Redis had already applied their offset',
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'rate_consumer_dead_letters_total',
    help: 'Records written to the dead-letter topic (a redelivered poison record is written once)',
    registers: [this.registry],
  });
  readonly poison = new Counter({
    name: 'rate_consumer_poison_total',
    help: 'Records that failed to decode, copied to the dead-letter topic',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'rate_consumer_events_duplicate_total',
    help: 'Ratings skipped because their event id was already applied within IDEMPOTENCY_WINDOW_S',
    registers: [this.registry],
  });
  readonly deadLettersDropped = new Counter({
    name: 'rate_consumer_dead_letters_dropped_total',
    help: 'Poison records the dead-letter topic refused or could not take in time; the offset advanced anyway',
    labelNames: ['error'],
    registers: [this.registry],
  });
  readonly seeks = new Counter({
    name: 'rate_consumer_seeks_total',
    help: 'Times a partition was sought to where Redis stands: on assignment (cause assignment), Redis behind a batch (gap), a batch behind Redis (behind), a new log (reset)',
    labelNames: ['cause'],
    registers: [this.registry],
  });
  readonly logResets = new Counter({
    name: 'rate_consumer_log_resets_total',
    help: 'Partitions whose Kafka log was found new (topic recreated, log lost): counted again from its start',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly gapRecords = new Counter({
    name: 'rate_consumer_gap_records_total',
    help: 'Records Kafka retention deleted before they were applied, skipped for good (an accepted gap)',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'rate_consumer_batch_duration_seconds',
    help: 'Time to decode, dead-letter and apply one partition batch',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'rate_consumer_batch_size',
    help: 'Records per partition batch',
    buckets: [1, 10, 100, 1000, 5000, 10000, 50000],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'rate_consumer_lag',
    help: 'Records behind the partition high watermark after the last applied batch',
    labelNames: ['partition'],
    registers: [this.registry],
  });

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient, state: ConsumerState) {
    collectDefaultMetrics({ register: this.registry });
    registerRedisMetrics(this.registry, redis);
    new Gauge({
      name: 'rate_kafka_ready',
      help: "1 when this process's Kafka consumer is usable (readiness' Kafka check)",
      registers: [this.registry],
      collect() {
        this.set(state.problem() === null ? 1 : 0);
      },
    });
  }
}
