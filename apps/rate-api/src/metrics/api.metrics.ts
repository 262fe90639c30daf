import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { REDIS_CLIENT, registerRedisMetrics } from '@rate/redis';
import type { RedisClient } from '@rate/redis';

/**
 * The API's Prometheus registry: requests by route/status, latency, produce batches, in-flight,
 * and whether its Kafka producer and Redis are usable.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'rate_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'rate_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'rate_http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'rate_produce_batch_size',
    help: 'Events per Kafka produce request',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  private readonly batchLatency = new Histogram({
    name: 'rate_produce_batch_duration_seconds',
    help: 'Time from sending a produce request to its acks=all acknowledgement',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly batchFailures = new Counter({
    name: 'rate_produce_batch_failures_total',
    help: 'Produce requests Kafka did not acknowledge',
    registers: [this.registry],
  });

  private readonly retiredProducers = new Counter({
    name: 'rate_producers_retired_total',
    help: 'Kafka producers retired after a failed send (the next batch used a fresh producer id)',
    registers: [this.registry],
  });

  private kafkaReady: () => boolean = () => false;

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient) {
    collectDefaultMetrics({ register: this.registry });
    registerRedisMetrics(this.registry, redis);
    const ready = () => this.kafkaReady();
    new Gauge({
      name: 'rate_kafka_ready',
      help: "1 when this process's Kafka client is usable (readiness' Kafka check)",
      registers: [this.registry],
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
  }

  /** The producer reports its readiness here (it depends on these metrics, not the other way round). */
  watchKafka(ready: () => boolean): void {
    this.kafkaReady = ready;
  }

  request(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.requests.inc(labels);
    // By status too: a fast 503 and a slow 202 must not average into one "normal" latency.
    this.latency.observe(labels, seconds);
  }

  batchSent(size: number, seconds: number, ok: boolean): void {
    this.batchSize.observe(size);
    this.batchLatency.observe(seconds);
    if (!ok) this.batchFailures.inc();
  }

  producerRetired(): void {
    this.retiredProducers.inc();
  }
}
