import { Inject, Injectable } from '@nestjs/common';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { RateAggregate, RateEvent } from '@rate/contracts';
import { AggregateRepository } from '@rate/redis';
import { RateProducer } from '../kafka/rate.producer';
import { Rating } from './rate-input';

@Injectable()
export class RateService {
  constructor(
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
    private readonly producer: RateProducer,
    private readonly aggregates: AggregateRepository,
  ) {}

  submit(rating: Rating, traceparent: string): Promise<RateEvent> {
    return this.producer.produce(rating, traceparent);
  }

  read(subject: string): Promise<RateAggregate> {
    return this.aggregates.read(subject, this.producer.partitions, this.config.rateMin, this.config.rateMax);
  }
}
