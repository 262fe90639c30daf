import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { KAFKA_CLIENT } from '../rate-consumer.constants';
import { LogBounds } from './log-position';

/** The bounds of each partition's log, from the Kafka admin API (one client for the process). */
@Injectable()
export class LogOffsets implements OnApplicationShutdown {
  private readonly admin: Admin;

  constructor(@Inject(KAFKA_CLIENT) kafka: Kafka) {
    this.admin = kafka.admin();
  }

  async of(topic: string): Promise<Map<number, LogBounds>> {
    await this.admin.connect(); // cheap once connected
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  }

  async partition(topic: string, partition: number): Promise<LogBounds> {
    const bounds = (await this.of(topic)).get(partition);
    if (!bounds) throw new Error(`Kafka knows no partition ${partition} of ${topic}`);
    return bounds;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }
}
