import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { JsonLogger } from '@rate/observability';
import { RedisModule } from '@rate/redis';
import { HealthController } from './health/health.controller';
import { RateProducer } from './kafka/rate.producer';
import { ApiMetrics } from './metrics/api.metrics';
import { MetricsController } from './metrics/metrics.controller';
import { RateController } from './rate/rate.controller';
import { RateService } from './rate/rate.service';

@Module({})
export class AppModule {
  static forRoot(config: RateConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        RedisModule.forRoot({ url: config.redisUrl, password: config.redisPassword }, logger),
      ],
      controllers: [RateController, HealthController, MetricsController],
      providers: [
        { provide: RATE_CONFIG, useValue: config },
        { provide: JSON_LOGGER, useValue: logger },
        ApiMetrics,
        RateProducer,
        RateService,
      ],
    };
  }
}
