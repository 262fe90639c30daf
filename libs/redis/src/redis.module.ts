import { DynamicModule, Inject, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { JsonLogger } from '@rate/observability';
import { AggregateRepository } from './aggregate.repository';
import { connectRedis, createRedis } from './redis-client';
import type { RedisClient, RedisTarget } from './redis-client';
import { REDIS_CLIENT } from './redis.constants';
import { RedisIndicator } from './redis.indicator';

const REDIS_LOGGER = Symbol('REDIS_LOGGER');

/**
 * The Redis providers both processes share: one client (connected at start, retried in the
 * background while Redis is down, closed on shutdown), the aggregate repository over it and its
 * health indicator.
 */
@Module({})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(REDIS_LOGGER) private readonly logger: JsonLogger,
  ) {}

  static forRoot(target: RedisTarget, logger: JsonLogger): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      imports: [TerminusModule],
      providers: [
        { provide: REDIS_LOGGER, useValue: logger },
        {
          provide: REDIS_CLIENT,
          useFactory: () => createRedis(target, (error) => logger.write('warn', 'Redis error', { error: error.message })),
        },
        { provide: AggregateRepository, useFactory: (redis: RedisClient) => new AggregateRepository(redis), inject: [REDIS_CLIENT] },
        RedisIndicator,
      ],
      exports: [REDIS_CLIENT, AggregateRepository, RedisIndicator],
    };
  }

  async onModuleInit(): Promise<void> {
    if (!(await connectRedis(this.redis))) this.logger.write('warn', 'Redis not reachable yet, retrying in the background');
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
