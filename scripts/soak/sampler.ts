import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { offsetKey } from '@rate/redis';
import { brokerName, brokerPort } from '../stack/services';
import { StackConfig } from '../stack/stack-config';

const TOPIC_DIR = /^rates(\.dlq)?-\d+$/;

/**
 * Bytes of the ratings topics' segments on the broker's disk (the topic and its dead-letter topic).
 * Segments only: the broker preallocates each index at 10 MiB (sparse), which would hide the growth.
 */
export function kafkaLogBytes(config: StackConfig): number {
  const data = join(config.runDir, brokerName(1), 'data');
  let total = 0;
  for (const dir of readdirSync(data)) if (TOPIC_DIR.test(dir)) total += segmentBytes(join(data, dir));
  return total;
}

function segmentBytes(dir: string): number {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.log'))
    .reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
}

/** Bytes of each partition of the topic `rates`, by partition. */
export function partitionBytes(config: StackConfig): Map<number, number> {
  const data = join(config.runDir, brokerName(1), 'data');
  const sizes = new Map<number, number>();
  for (const dir of readdirSync(data)) {
    const match = /^rates-(\d+)$/.exec(dir);
    if (!match) continue;
    sizes.set(Number(match[1]), segmentBytes(join(data, dir)));
  }
  return sizes;
}

/**
 * Reads what fills over time on a running stack: Redis' used memory and the consumers' lag (the
 * records Kafka holds beyond the offsets Redis stored), each null while its source does not answer.
 */
export class StackProbe {
  private readonly redis: Redis;
  private readonly admin: Admin;
  private adminConnected = false;

  constructor(redisUrl: string, config: StackConfig) {
    // No offline queue: during a Redis restart a probe answers null at once instead of piling up.
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: false });
    this.redis.on('error', () => undefined);
    this.admin = new Kafka({ clientId: 'rate-soak', brokers: [`127.0.0.1:${brokerPort(config, 1)}`], logLevel: logLevel.NOTHING }).admin();
  }

  async redisInfo(): Promise<{ usedBytes: number; maxBytes: number } | null> {
    try {
      const info = await this.redis.info('memory');
      const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
      return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
    } catch {
      return null;
    }
  }

  async lag(topic = 'rates'): Promise<number | null> {
    try {
      if (!this.adminConnected) {
        await this.admin.connect();
        this.adminConnected = true;
      }
      const offsets = await this.admin.fetchTopicOffsets(topic);
      const stored = await this.redis.mget(offsets.map((o) => offsetKey(o.partition)));
      return offsets.reduce((sum, o, i) => {
        const next = Math.max(Number(stored[i] ?? -1) + 1, Number(o.low));
        return sum + Math.max(0, Number(o.high) - next);
      }, 0);
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.admin.disconnect().catch(() => undefined);
  }
}
