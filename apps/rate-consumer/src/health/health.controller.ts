import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { checkReadiness } from '../../../../libs/observability/src';
import { RedisIndicator } from '../../../../libs/redis/src';
import { ConsumerState } from '../kafka/consumer-state';
import { REDIS_CLIENT } from '../rate-consumer.constants';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redisIndicator: RedisIndicator,
    private readonly state: ConsumerState,
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
    return checkReadiness(this.health, this.indicators, () => this.state.problem(), () => this.redisIndicator.check(this.redis));
  }
}
