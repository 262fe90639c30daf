import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { createKafka, ensureTopics, TopicSettingsError } from '@rate/kafka';
import { JsonLogger } from '@rate/observability';
import { KAFKA_CLIENT } from '../rate-consumer.constants';
import { ConsumerState } from './consumer-state';

/** The consumer's Kafka client and its own view of it; the topics exist before anyone subscribes. */
@Module({
  providers: [
    {
      provide: KAFKA_CLIENT,
      useFactory: (config: RateConfig, logger: JsonLogger) => createKafka(config, logger, `rate-consumer-${config.replicaName}`),
      inject: [RATE_CONFIG, JSON_LOGGER],
    },
    ConsumerState,
  ],
  exports: [KAFKA_CLIENT, ConsumerState],
})
export class KafkaModule implements OnModuleInit {
  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
  ) {}

  /**
   * The topics must exist before the group subscribes; retried until Kafka answers. A topic whose
   * replication breaks the configured guarantee fails the start.
   */
  async onModuleInit(): Promise<void> {
    const admin = this.kafka.admin();
    const durability = { replicationFactor: this.config.kafkaReplicationFactor, minInsyncReplicas: this.config.kafkaMinInsyncReplicas };
    const topics = [
      { topic: this.config.kafkaTopic, numPartitions: this.config.kafkaPartitions },
      { topic: this.config.kafkaDlqTopic, numPartitions: 1 },
    ];
    for (;;) {
      try {
        await admin.connect();
        await ensureTopics(admin, topics, durability);
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
