import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { checkReadiness } from '@rate/observability';
import { RedisIndicator } from '@rate/redis';
import { ConsumerState } from '../kafka/consumer-state';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redisIndicator: RedisIndicator,
    private readonly state: ConsumerState,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return checkReadiness(this.health, this.indicators, () => this.state.problem(), () => this.redisIndicator.check());
  }
}
