import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { Kafka } from 'kafkajs';
import { JSON_LOGGER, RATE_CONFIG } from '../../../libs/config/src';
import type { RateConfig } from '../../../libs/config/src';
import { createKafka, ensureTopics } from '../../../libs/kafka/src';
import { JsonLogger } from '../../../libs/observability/src';
import { AggregateRepository, connectRedis, createRedis, RedisIndicator } from '../../../libs/redis/src';
import { AggregationController } from './aggregation/aggregation.controller';
import { AggregationService } from './aggregation/aggregation.service';
import { DeadLetterProducer } from './aggregation/dead-letter.producer';
import { HealthController } from './health/health.controller';
import { ConsumerState } from './kafka/consumer-state';
import { ConsumerMetrics } from './metrics/consumer.metrics';
import { MetricsController } from './metrics/metrics.controller';
import { KAFKA_CLIENT, REDIS_CLIENT } from './rate-consumer.constants';

@Module({})
export class ConsumerModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
  ) {}

  static forRoot(config: RateConfig, logger: JsonLogger): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [AggregationController, HealthController, MetricsController],
      providers: [
        { provide: RATE_CONFIG, useValue: config },
        { provide: JSON_LOGGER, useValue: logger },
        { provide: KAFKA_CLIENT, useFactory: () => createKafka(config, logger, `rate-consumer-${config.replicaName}`) },
        {
          provide: REDIS_CLIENT,
          useFactory: () => createRedis(config.redisUrl, (error) => logger.write('warn', 'Redis error', { error: error.message })),
        },
        { provide: AggregateRepository, useFactory: (redis: Redis) => new AggregateRepository(redis), inject: [REDIS_CLIENT] },
        AggregationService,
        ConsumerMetrics,
        ConsumerState,
        DeadLetterProducer,
        RedisIndicator,
      ],
    };
  }

  /** The topics must exist before the group subscribes; retried until Kafka answers. */
  async onModuleInit(): Promise<void> {
    if (!(await connectRedis(this.redis))) this.logger.write('warn', 'Redis not reachable yet, retrying in the background');
    const admin = this.kafka.admin();
    for (;;) {
      try {
        await admin.connect();
        await ensureTopics(admin, [
          { topic: this.config.kafkaTopic, numPartitions: this.config.kafkaPartitions },
          { topic: this.config.kafkaDlqTopic, numPartitions: 1 },
        ]);
        break;
      } catch (error) {
        this.logger.write('warn', 'Kafka not reachable, retrying', { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
