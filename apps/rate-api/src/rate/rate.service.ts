import { Inject, Injectable } from '@nestjs/common';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { eventIdForIdempotencyKey, RateAggregate, RateEvent } from '@rate/contracts';
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

  /** With an Idempotency-Key, a retried request yields the same event id (the consumer applies it once). */
  submit(rating: Rating, traceparent: string, idempotencyKey?: string): Promise<RateEvent> {
    return this.producer.produce(rating, traceparent, idempotencyKey === undefined ? undefined : eventIdForIdempotencyKey(idempotencyKey));
  }

  read(subject: string): Promise<RateAggregate> {
    return this.aggregates.read(subject, this.producer.partitions, this.config.rateMin, this.config.rateMax);
  }
}
