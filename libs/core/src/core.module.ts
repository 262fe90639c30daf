import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JSON_LOGGER, RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import type { JsonLogger } from '@rate/observability';
import { RedisModule } from '@rate/redis';

/**
 * What both apps are built on, provided once and globally: the validated config and the logger
 * (their tokens), Terminus for the health checks, and the Redis client with its repository and
 * health indicator. The apps' root modules import this and their feature modules, nothing else.
 */
@Module({})
export class CoreModule {
  static forRoot(config: RateConfig, logger: JsonLogger): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        RedisModule.forRoot({ url: config.redisUrl, password: config.redisPassword, mode: config.redisMode }, logger),
      ],
      providers: [
        { provide: RATE_CONFIG, useValue: config },
        { provide: JSON_LOGGER, useValue: logger },
      ],
      exports: [RATE_CONFIG, JSON_LOGGER, TerminusModule],
    };
  }
}
