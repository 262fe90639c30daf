import { Module } from '@nestjs/common';
import { KafkaModule } from '../kafka/kafka.module';
import { MetricsModule } from '../metrics/metrics.module';
import { AggregationController } from './aggregation.controller';
import { AggregationService } from './aggregation.service';
import { DeadLetterProducer } from './dead-letter.producer';
import { PartitionOffsets } from './partition-offsets';

/** Partition batches into Redis exactly once, poison to the dead-letter topic, resumes where Redis stands. */
@Module({
  imports: [KafkaModule, MetricsModule],
  controllers: [AggregationController],
  providers: [AggregationService, DeadLetterProducer, PartitionOffsets],
  exports: [AggregationService],
})
export class AggregationModule {}
