import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import Redis from 'ioredis';
import { JSON_LOGGER, RATE_CONFIG } from '../../../libs/config/src';
import type { RateConfig } from '../../../libs/config/src';
import { JsonLogger } from '../../../libs/observability/src';
import { AggregateRepository, connectRedis, createRedis, RedisIndicator } from '../../../libs/redis/src';
import { HealthController } from './health/health.controller';
import { RateProducer } from './kafka/rate.producer';
import { ApiMetrics } from './metrics/api.metrics';
import { MetricsController } from './metrics/metrics.controller';
import { RateController } from './rate/rate.controller';
import { RateService } from './rate/rate.service';
import { REDIS_CLIENT } from './rate-api.constants';

@Module({})
export class AppModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(JSON_LOGGER) private readonly logger: JsonLogger,
  ) {}

  static forRoot(config: RateConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [RateController, HealthController, MetricsController],
      providers: [
        { provide: RATE_CONFIG, useValue: config },
        { provide: JSON_LOGGER, useValue: logger },
        {
          provide: REDIS_CLIENT,
          useFactory: () => createRedis(config.redisUrl, (error) => logger.write('warn', 'Redis error', { error: error.message })),
        },
        { provide: AggregateRepository, useFactory: (redis: Redis) => new AggregateRepository(redis), inject: [REDIS_CLIENT] },
        ApiMetrics,
        RateProducer,
        RateService,
        RedisIndicator,
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    if (!(await connectRedis(this.redis))) this.logger.write('warn', 'Redis not reachable yet, retrying in the background');
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
