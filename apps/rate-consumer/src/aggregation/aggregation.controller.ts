import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import type { BatchOutcome, PartitionRecords, PartitionsAssigned, PartitionSeek } from '../kafka/partition-batch';
import { PARTITIONS_ASSIGNED_PATTERN, RATE_BATCH_PATTERN } from '../rate-consumer.constants';
import { AggregationService } from './aggregation.service';

@Controller()
export class AggregationController {
  constructor(private readonly aggregation: AggregationService) {}

  @EventPattern(RATE_BATCH_PATTERN)
  apply(@Payload() batch: PartitionRecords): Promise<BatchOutcome> {
    return this.aggregation.apply(batch);
  }

  @EventPattern(PARTITIONS_ASSIGNED_PATTERN)
  resume(@Payload() assigned: PartitionsAssigned): Promise<PartitionSeek[]> {
    return this.aggregation.resumePositions(assigned);
  }
}
