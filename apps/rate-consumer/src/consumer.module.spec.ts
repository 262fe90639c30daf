import { Test } from '@nestjs/testing';
import { loadConfig, RATE_CONFIG } from '@rate/config';
import { JsonLogger } from '@rate/observability';
import { RedisIndicator } from '@rate/redis';
import { AggregationController } from './aggregation/aggregation.controller';
import { AggregationService } from './aggregation/aggregation.service';
import { ConsumerModule } from './consumer.module';
import { ConsumerLiveness } from './health/consumer-liveness';
import { HealthController } from './health/health.controller';
import { ConsumerState } from './kafka/consumer-state';
import { MetricsController } from './metrics/metrics.controller';
import { KAFKA_CLIENT } from './rate-consumer.constants';

describe('ConsumerModule wiring', () => {
  it('resolves every controller and provider from the core module and the feature modules, one state for all', async () => {
    const config = loadConfig('rate-consumer', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379', CONSUMER_STALL_S: '45' });
    const module = await Test.createTestingModule({
      imports: [ConsumerModule.forRoot(config, new JsonLogger('error', { app: 'test' }))],
    }).compile();
    try {
      for (const token of [
        AggregationController,
        HealthController,
        MetricsController,
        AggregationService,
        ConsumerLiveness,
        RedisIndicator,
        KAFKA_CLIENT,
      ]) {
        expect(module.get(token, { strict: false })).toBeDefined();
      }
      expect(module.get(RATE_CONFIG, { strict: false })).toBe(config);
      // The config reached the state (its stall limit), and health and metrics share that one state.
      expect(module.get(ConsumerState, { strict: false }).stuckAfterMs).toBe(45_000);
    } finally {
      await module.close();
    }
  });
});
