import { Module } from '@nestjs/common';
import { RateProducer } from '../kafka/rate.producer';
import { MetricsModule } from '../metrics/metrics.module';
import { RateController } from './rate.controller';
import { RateService } from './rate.service';

/** POST and GET /rate, and the way into Kafka they share with readiness. */
@Module({ imports: [MetricsModule], controllers: [RateController], providers: [RateProducer, RateService], exports: [RateProducer] })
export class RateModule {}
