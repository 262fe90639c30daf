import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

/**
 * Readiness of either app: its own Kafka client's state (a reason when not usable) and a Redis
 * ping. terminus answers 503 naming the failing dependency.
 */
export function checkReadiness(
  health: HealthCheckService,
  indicators: HealthIndicatorService,
  kafkaProblem: () => string | null,
  redisCheck: () => Promise<HealthIndicatorResult>,
): Promise<HealthCheckResult> {
  return health.check([
    () => {
      const problem = kafkaProblem();
      const session = indicators.check('kafka');
      return problem === null ? session.up() : session.down({ message: problem });
    },
    redisCheck,
  ]);
}
