import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Kafka, Producer } from 'kafkajs';
import { RATE_CONFIG } from '@rate/config';
import type { RateConfig } from '@rate/config';
import { createProducer } from '@rate/kafka';
import { KAFKA_CLIENT } from '../rate-consumer.constants';

export interface DeadLetter {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
}

/** Copies poison records to the dead-letter topic with the reason and their origin in headers. */
@Injectable()
export class DeadLetterProducer implements OnApplicationShutdown {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    @Inject(KAFKA_CLIENT) kafka: Kafka,
    @Inject(RATE_CONFIG) private readonly config: RateConfig,
  ) {
    this.producer = createProducer(kafka);
  }

  async send(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    this.connected ??= this.producer.connect().catch((error: Error) => {
      this.connected = null;
      throw error;
    });
    await this.connected;
    await this.producer.send({
      topic: this.config.kafkaDlqTopic,
      acks: -1,
      messages: letters.map((l) => ({
        key: l.key,
        value: l.value,
        headers: {
          'dlq-reason': l.reason,
          'dlq-topic': this.config.kafkaTopic,
          'dlq-partition': String(l.partition),
          'dlq-offset': l.offset,
        },
      })),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
