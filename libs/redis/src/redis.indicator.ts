import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';

@Injectable()
export class RedisIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  async check(redis: Redis): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('redis');
    try {
      await redis.ping();
      return session.up();
    } catch (error) {
      return session.down({ message: `Redis does not answer: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
}
