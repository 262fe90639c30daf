import { Test } from '@nestjs/testing';
import { HealthCheckService } from '@nestjs/terminus';
import { loadConfig, RATE_CONFIG } from '@rate/config';
import { JsonLogger } from '@rate/observability';
import { AggregateRepository } from '@rate/redis';
import { AppModule } from './app.module';
import { HealthController } from './health/health.controller';
import { RateProducer } from './kafka/rate.producer';
import { MetricsController } from './metrics/metrics.controller';
import { RateController } from './rate/rate.controller';

describe('AppModule wiring', () => {
  it('resolves every controller and provider from the core module and the feature modules, one of each', async () => {
    const config = loadConfig('rate-api', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379' });
    // Compiling instantiates every provider without starting anything (no connection is made).
    const module = await Test.createTestingModule({
      imports: [AppModule.forRoot(config, new JsonLogger('error', { app: 'test' }))],
    }).compile();
    try {
      for (const token of [RateController, HealthController, MetricsController, RateProducer, AggregateRepository, HealthCheckService]) {
        expect(module.get(token, { strict: false })).toBeDefined();
      }
      expect(module.get(RATE_CONFIG, { strict: false })).toBe(config);
      expect(module.get(RateProducer, { strict: false })).toBe(module.get(RateProducer, { strict: false }));
    } finally {
      await module.close();
    }
  });
});
