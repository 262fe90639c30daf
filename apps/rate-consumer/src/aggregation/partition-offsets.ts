import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { KAFKA_CLIENT } from '../rate-consumer.constants';
import { PartitionBounds } from './partition-position';

/**
 * The bounds of each partition's log, from the Kafka admin API: one client for the process, until
 * it fails — kafkajs does not heal an admin whose connection broke (a broker restarted under it),
 * so a failed one is dropped and the next call connects a fresh one.
 */
@Injectable()
export class PartitionOffsets implements OnApplicationShutdown {
  private admin: Admin | null = null;

  constructor(@Inject(KAFKA_CLIENT) private readonly kafka: Kafka) {}

  async of(topic: string): Promise<Map<number, PartitionBounds>> {
    const admin = (this.admin ??= this.kafka.admin());
    try {
      await admin.connect(); // cheap once connected
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
    } catch (error) {
      if (this.admin === admin) this.admin = null;
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async partition(topic: string, partition: number): Promise<PartitionBounds> {
    const bounds = (await this.of(topic)).get(partition);
    if (!bounds) throw new Error(`Kafka knows no partition ${partition} of ${topic}`);
    return bounds;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }
}
