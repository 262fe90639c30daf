import { Module } from '@nestjs/common';
import { AggregationModule } from '../aggregation/aggregation.module';
import { KafkaModule } from '../kafka/kafka.module';
import { ConsumerLiveness } from './consumer-liveness';
import { HealthController } from './health.controller';

@Module({ imports: [KafkaModule, AggregationModule], controllers: [HealthController], providers: [ConsumerLiveness] })
export class HealthModule {}
