import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { checkReadiness } from '../../../../libs/observability/src';
import { RedisIndicator } from '../../../../libs/redis/src';
import { REDIS_CLIENT } from '../rate-api.constants';
import { RateProducer } from '../kafka/rate.producer';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redisIndicator: RedisIndicator,
    private readonly producer: RateProducer,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const kafkaProblem = () => (this.producer.health.ok ? null : this.producer.health.reason);
    return checkReadiness(this.health, this.indicators, kafkaProblem, () => this.redisIndicator.check(this.redis));
  }
}
