import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { checkReadiness } from '@rate/observability';
import { RedisIndicator } from '@rate/redis';
import { RateProducer } from '../kafka/rate.producer';

/** terminus' report: { status, info, error, details }, each dependency by name. */
const HEALTH_REPORT = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'error', 'shutting_down'] } },
};

@Controller('health')
@ApiOkResponse({ schema: HEALTH_REPORT, description: 'healthy' })
@ApiServiceUnavailableResponse({ schema: HEALTH_REPORT, description: 'the failing dependency is named under "error"' })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly redisIndicator: RedisIndicator,
    private readonly producer: RateProducer,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([
      () => {
        const problem = this.producer.livenessProblem;
        const session = this.indicators.check('kafka');
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
      () => this.producer.readinessProblem,
      () => this.redisIndicator.check(),
    );
  }
}
