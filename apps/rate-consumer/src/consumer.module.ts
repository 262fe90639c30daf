import { DynamicModule, Inject, Module, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Kafka } from 'kafkajs';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { createKafka, ensureTopics, TopicSettingsError } from '@rate/kafka';
import { JsonLogger } from '@rate/observability';
import { RedisModule } from '@rate/redis';
import { AggregationController } from './aggregation/aggregation.controller';
import { AggregationService } from './aggregation/aggregation.service';
import { DeadLetterProducer } from './aggregation/dead-letter.producer';
import { PartitionOffsets } from './aggregation/partition-offsets';
import { ConsumerLiveness } from './health/consumer-liveness';
import { HealthController } from './health/health.controller';
import { ConsumerState } from './kafka/consumer-state';
import { ConsumerMetrics } from './metrics/consumer.metrics';
import { MetricsController } from './metrics/metrics.controller';
import { KAFKA_CLIENT } from './rate-consumer.constants';
import { setTimeout as sleep } from 'node:timers/promises';

@Module({})
export class ConsumerModule implements OnModuleInit {
  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
  ) {}

  static forRoot(config: RateConfig, logger: JsonLogger): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        RedisModule.forRoot({ url: config.redisUrl, password: config.redisPassword }, logger),
      ],
      controllers: [AggregationController, HealthController, MetricsController],
      providers: [
        { provide: RATE_CONFIG, useValue: config },
        { provide: JSON_LOGGER, useValue: logger },
        { provide: KAFKA_CLIENT, useFactory: () => createKafka(config, logger, `rate-consumer-${config.replicaName}`) },
        AggregationService,
        ConsumerLiveness,
        ConsumerMetrics,
        ConsumerState,
        DeadLetterProducer,
        PartitionOffsets,
      ],
    };
  }

  /**
   * The topics must exist before the group subscribes; retried until Kafka answers. A topic whose
   * replication breaks the configured guarantee fails the start.
   */
  async onModuleInit(): Promise<void> {
    const admin = this.kafka.admin();
    const durability = { replicationFactor: this.config.kafkaReplicationFactor, minInsyncReplicas: this.config.kafkaMinInsyncReplicas };
    for (;;) {
      try {
        await admin.connect();
        await ensureTopics(
          admin,
          [
            { topic: this.config.kafkaTopic, numPartitions: this.config.kafkaPartitions },
            { topic: this.config.kafkaDlqTopic, numPartitions: 1 },
          ],
          durability,
        );
        break;
      } catch (error) {
        if (error instanceof TopicSettingsError) throw error;
        this.logger.write('warn', 'Kafka not reachable, retrying', { error: (error as Error).message });
        await sleep(1000);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }
}
