import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { encodeRateEvent, RATE_EVENT_VERSION, RateEvent } from '@rate/contracts';
import {
  BatchingProducer,
  createKafka,
  createProducer,
  ensureTopics,
  ProduceUnavailableError,
  ProducerLifecycle,
  ProducerLifecycleEvent,
  TopicSettingsError,
} from '@rate/kafka';
import { JsonLogger, TRACEPARENT_HEADER } from '@rate/observability';
import { Rating } from '../rate/rate-input';
import { ApiMetrics } from '../metrics/api.metrics';
import { KafkaProbe } from './kafka-probe';
import { producerLiveness, producerReadiness, producerTrouble, RECENT_FAILURE_MS } from './producer-health';

const RECONNECT_DELAY_MS = 1000;
const MAX_REPLACE_DELAY_MS = 5000;

/**
 * Owns the API's way into Kafka: the topic (created and checked at start), the producer lifecycle
 * (a producer is replaced after a failed send), batching, and the health derived from them.
 */
@Injectable()
export class RateProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly kafka: Kafka;
  private readonly lifecycle: ProducerLifecycle;
  private readonly batching: BatchingProducer;
  private readonly probe: KafkaProbe;
  private topicReady = false;
  private partitionCount: number;
  /** The topic's own partition count: the partitions ratings are produced to. */
  private topicPartitions: number;
  private topicMinInsyncReplicas = 1;
  private shuttingDown = false;
  private prepareTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: ApiMetrics,
  ) {
    this.partitionCount = config.kafkaPartitions;
    this.topicPartitions = config.kafkaPartitions;
    this.kafka = createKafka(config, logger, `rate-api-${config.replicaName}`);
    this.lifecycle = new ProducerLifecycle(() => createProducer(this.kafka), {
      reconnectDelayMs: RECONNECT_DELAY_MS,
      maxReplaceDelayMs: MAX_REPLACE_DELAY_MS,
      sendTimeoutMs: config.produceTimeoutMs,
      onEvent: (event) => this.lifecycleEvent(event),
    });
    this.probe = new KafkaProbe(this.kafka, config.kafkaTopic, () => this.topicMinInsyncReplicas);
    metrics.watchKafka(() => this.readinessProblem === null && producerTrouble(this.lifecycle.health, Date.now()) === null);
    this.batching = new BatchingProducer(
      this.lifecycle,
      config.kafkaTopic,
      config.produceMaxBatch,
      config.produceTimeoutMs,
      metrics,
      config.produceLingerMs,
      () => this.topicPartitions,
    );
  }

  /**
   * Start without Kafka if need be (readiness stays red, the connection is retried); but a topic
   * whose replication breaks the configured guarantee fails the start.
   */
  async onModuleInit(): Promise<void> {
    await this.prepare(true);
  }

  /** Readiness: null when the producer can take events, else why not. */
  get readinessProblem(): string | null {
    if (this.shuttingDown) return 'shutting down';
    if (!this.topicReady) return `topic ${this.config.kafkaTopic} not checked yet: Kafka not reachable`;
    return producerReadiness(this.lifecycle.health);
  }

  /** Liveness: null unless the producer is wedged while Kafka itself answers (a restart would help). */
  get livenessProblem(): string | null {
    const now = Date.now();
    const wedged = producerLiveness(this.lifecycle.health, now, this.config.produceStallS * 1000);
    if (wedged === null) return null;
    this.probe.refresh();
    const writable = this.probe.writableSince(Math.max(this.lifecycle.health.failingSince!, now - RECENT_FAILURE_MS));
    return writable
      ? `producer wedged: ${wedged}, while every partition of ${this.config.kafkaTopic} has a leader and enough in-sync replicas`
      : null;
  }

  get partitions(): number {
    return this.partitionCount;
  }

  /** The traceparent travels in the record's headers, so the consumer can log the same trace. */
  async produce(rating: Rating, traceparent: string, eventId: string = randomUUID()): Promise<RateEvent> {
    if (!this.topicReady || !this.lifecycle.available) throw new ProduceUnavailableError('Kafka producer is not connected');
    const event: RateEvent = { v: RATE_EVENT_VERSION, id: eventId, subject: rating.subject, rate: rating.rate, ts: Date.now() };
    await this.batching.send({ key: event.subject, value: encodeRateEvent(event), headers: { [TRACEPARENT_HEADER]: traceparent } });
    return event;
  }

  /** Readiness goes red; requests are still served until the app closes. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    await this.batching.flush();
    await this.lifecycle.stop();
    await this.probe.stop();
  }

  private async prepare(first: boolean): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const durability = { replicationFactor: this.config.kafkaReplicationFactor, minInsyncReplicas: this.config.kafkaMinInsyncReplicas };
      const topics = await ensureTopics(admin, [{ topic: this.config.kafkaTopic, numPartitions: this.config.kafkaPartitions }], durability);
      const topic = topics.get(this.config.kafkaTopic);
      this.partitionCount = Math.max(this.config.kafkaPartitions, topic?.partitions ?? 0);
      this.topicPartitions = topic?.partitions ?? this.config.kafkaPartitions;
      this.topicMinInsyncReplicas = topic?.minInsyncReplicas ?? 1;
      this.topicReady = true;
      this.logger.write('info', 'Kafka topic ready', {
        brokers: this.config.kafkaBrokers,
        topic: this.config.kafkaTopic,
        partitions: this.partitionCount,
      });
      await this.lifecycle.start();
    } catch (error) {
      if (error instanceof TopicSettingsError) {
        if (first) throw error;
        // Kafka came up after the start, with a topic that breaks the guarantee: same verdict.
        this.logger.write('error', 'start failed', { error: error.message });
        process.exit(1);
      }
      this.logger.write('warn', 'Kafka not reachable, retrying', { error: (error as Error).message });
      if (!this.shuttingDown) this.prepareTimer = setTimeout(() => void this.prepare(false), RECONNECT_DELAY_MS);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private lifecycleEvent(event: ProducerLifecycleEvent): void {
    if (event.type === 'connected') {
      this.logger.write('info', 'Kafka producer connected', { generation: event.generation });
    } else if (event.type === 'retired') {
      this.metrics.producerRetired();
      this.logger.write('warn', 'Kafka producer retired after a failed send; the next batch uses a fresh producer id', {
        generation: event.generation,
        reason: event.reason,
      });
    } else {
      this.logger.write('warn', 'Kafka producer could not connect, retrying', { generation: event.generation, reason: event.reason });
    }
  }
}
