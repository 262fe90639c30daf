import { DynamicModule, Module } from '@nestjs/common';
import type { RateConfig } from '@rate/config';
import { CoreModule } from '@rate/core';
import { JsonLogger } from '@rate/observability';
import { AggregationModule } from './aggregation/aggregation.module';
import { HealthModule } from './health/health.module';
import { KafkaModule } from './kafka/kafka.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({})
export class ConsumerModule {
  static forRoot(config: RateConfig, logger: JsonLogger): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [CoreModule.forRoot(config, logger), KafkaModule, MetricsModule, AggregationModule, HealthModule],
    };
  }
}
