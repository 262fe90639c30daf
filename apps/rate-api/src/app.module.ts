import { DynamicModule, Module } from '@nestjs/common';
import type { RateConfig } from '@rate/config';
import { CoreModule } from '@rate/core';
import { JsonLogger } from '@rate/observability';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { RateModule } from './rate/rate.module';

@Module({})
export class AppModule {
  static forRoot(config: RateConfig, logger: JsonLogger): DynamicModule {
    return { module: AppModule, imports: [CoreModule.forRoot(config, logger), MetricsModule, RateModule, HealthModule] };
  }
}
