import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { AggregateRepository } from './aggregate.repository';
import type { RedisClient } from './redis-client';
import { REDIS_CLIENT } from './redis.constants';

/** Readiness of this process's own Redis client (not a fresh connection per probe). */
@Injectable()
export class RedisIndicator {
  /** The client's last connection error (a wrong password shows here, not in the ping's error). */
  private lastError: string | null = null;

  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly aggregates: AggregateRepository,
  ) {
    redis.on('error', (error: Error) => (this.lastError = error.message));
    redis.on('ready', () => (this.lastError = null));
  }

  async check(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('redis');
    try {
      await this.redis.ping();
    } catch (error) {
      const cause = this.lastError ? ` (${this.lastError})` : '';
      return session.down({ message: `Redis does not answer: ${error instanceof Error ? error.message : String(error)}${cause}` });
    }
    if (this.aggregates.lastApplyError) return session.down({ message: `Redis refused the last batch: ${this.aggregates.lastApplyError}` });
    return session.up();
  }
}
