import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka, Producer } from 'kafkajs';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { encodeRateEvent, RATE_EVENT_VERSION, RateEvent } from '@rate/contracts';
import { BatchingProducer, createKafka, createProducer, ensureTopics, ProduceUnavailableError } from '@rate/kafka';
import { JsonLogger, TRACEPARENT_HEADER } from '@rate/observability';
import { Rating } from '../rate/rate-input';
import { ApiMetrics } from '../metrics/api.metrics';

const RECONNECT_DELAY_MS = 1000;
/** A failed produce keeps readiness red this long; then traffic may probe Kafka again. */
const FAILURE_HOLD_MS = 5000;

/** Owns the Kafka producer: connection state for readiness, batching, the topic's partition count. */
@Injectable()
export class RateProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly batching: BatchingProducer;
  private connected = false;
  private lastFailureAt = 0;
  private partitionCount: number;
  private shuttingDown = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
    metrics: ApiMetrics,
  ) {
    this.partitionCount = config.kafkaPartitions;
    this.kafka = createKafka(config, logger, `rate-api-${config.replicaName}`);
    this.producer = createProducer(this.kafka);
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
    const observer = {
      batchSent: (size: number, seconds: number, ok: boolean) => {
        metrics.batchSent(size, seconds, ok);
        this.lastFailureAt = ok ? 0 : Date.now();
      },
    };
    this.batching = new BatchingProducer(this.producer, config.kafkaTopic, config.produceMaxBatch, config.produceTimeoutMs, observer, config.produceLingerMs);
  }

  async onModuleInit(): Promise<void> {
    // Start without Kafka if need be: readiness stays red and the connection is retried.
    await this.connect();
  }

  /** Ready = connected and no produce request failed in the last few seconds. */
  get health(): { ok: boolean; reason: string } {
    if (this.shuttingDown) return { ok: false, reason: 'shutting down' };
    if (!this.connected) return { ok: false, reason: 'producer not connected to Kafka' };
    if (Date.now() - this.lastFailureAt < FAILURE_HOLD_MS) return { ok: false, reason: 'the last produce request to Kafka failed' };
    return { ok: true, reason: 'connected' };
  }

  get partitions(): number {
    return this.partitionCount;
  }

  /** The traceparent travels in the record's headers, so the consumer can log the same trace. */
  async produce(rating: Rating, traceparent: string): Promise<RateEvent> {
    if (!this.connected) throw new ProduceUnavailableError('Kafka producer is not connected');
    const event: RateEvent = { v: RATE_EVENT_VERSION, id: randomUUID(), subject: rating.subject, rate: rating.rate, ts: Date.now() };
    await this.batching.send({ key: event.subject, value: encodeRateEvent(event), headers: { [TRACEPARENT_HEADER]: traceparent } });
    return event;
  }

  get stopping(): boolean {
    return this.shuttingDown;
  }

  /** Readiness goes red while in-flight requests finish. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.batching.flush();
    await this.producer.disconnect().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const counts = await ensureTopics(admin, [{ topic: this.config.kafkaTopic, numPartitions: this.config.kafkaPartitions }]);
      this.partitionCount = Math.max(this.config.kafkaPartitions, counts.get(this.config.kafkaTopic) ?? 0);
      await this.producer.connect();
      this.connected = true;
      this.logger.write('info', 'connected to Kafka', { brokers: this.config.kafkaBrokers, partitions: this.partitionCount });
    } catch (error) {
      this.logger.write('warn', 'Kafka not reachable, retrying', { error: (error as Error).message });
      if (!this.shuttingDown) this.reconnectTimer = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
