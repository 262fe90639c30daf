import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { checkReadiness } from '@rate/observability';
import { RedisIndicator } from '@rate/redis';
import { ConsumerState } from '../kafka/consumer-state';
import { ConsumerLiveness } from './consumer-liveness';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redisIndicator: RedisIndicator,
    private readonly state: ConsumerState,
    private readonly liveness: ConsumerLiveness,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([
      async () => {
        const problem = await this.liveness.problem();
        const session = this.indicators.check('consumer');
        return problem === null ? session.up() : session.down({ message: problem });
      },
    ]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return checkReadiness(
      this.health,
      this.indicators,
      () => this.state.problem(),
      () => this.redisIndicator.check(),
    );
  }
}
