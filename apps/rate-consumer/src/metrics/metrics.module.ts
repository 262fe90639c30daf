import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { ConsumerMetrics } from './consumer.metrics';
import { MetricsController } from './metrics.controller';

@Module({ imports: [KafkaModule], controllers: [MetricsController], providers: [ConsumerMetrics], exports: [ConsumerMetrics] })
export class MetricsModule {}
