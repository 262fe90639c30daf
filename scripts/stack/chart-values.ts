import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Kubernetes CPU quantity ("250m", "0.5", "1") to millicores. */
export function parseCpuQuantity(quantity: unknown): number {
  const text = String(quantity ?? '').trim();
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text);
  if (!match) throw new Error(`resources.limits.cpu=${JSON.stringify(quantity)} is not a CPU quantity like 250m or 0.5`);
  const millis = match[2] === 'm' ? Number(match[1]) : Number(match[1]) * 1000;
  if (!Number.isInteger(millis) || millis < 1) throw new Error(`resources.limits.cpu=${text} must be at least 1m`);
  return millis;
}

/** The API's per-replica CPU limit, read from the chart values the cluster deployment uses. */
export function apiCpuLimitMillis(valuesFile: string): number {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { resources?: { limits?: { cpu?: unknown } } } | null;
  const cpu = values?.resources?.limits?.cpu;
  if (cpu === undefined) throw new Error(`${valuesFile} sets no resources.limits.cpu`);
  return parseCpuQuantity(cpu);
}

/** The API's Node flags (api.nodeFlags), which the chart puts before the image's script. */
export function apiNodeFlags(valuesFile: string): string[] {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { api?: { nodeFlags?: unknown } } | null;
  const flags = values?.api?.nodeFlags ?? [];
  if (!Array.isArray(flags) || !flags.every((f) => typeof f === 'string' && /^--[a-z0-9][a-z0-9-]*(=.+)?$/.test(f)))
    throw new Error(`${valuesFile}: api.nodeFlags=${JSON.stringify(flags)} is not a list of flags like --single-threaded-gc`);
  return flags;
}

/** Redis' own memory syntax (bytes, or k/kb/m/mb/g/gb as redis.conf reads them) to bytes. */
export function parseRedisMemory(value: unknown): number {
  const text = String(value ?? '')
    .trim()
    .toLowerCase();
  const match = /^(\d+)(k|kb|m|mb|g|gb)?$/.exec(text);
  const unit = { '': 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[match?.[2] ?? ''];
  if (!match || unit === undefined || Number(match[1]) < 1) {
    throw new Error(`redis.maxmemory=${JSON.stringify(value)} is not a Redis memory size like 192mb`);
  }
  return Number(match[1]) * unit;
}

/** Used when the values file sets no redis.maxmemory (an older chart): below its 256Mi limit. */
export const DEFAULT_REDIS_MAXMEMORY = '192mb';

/** Redis' memory limit (redis.maxmemory in the chart values), in Redis syntax for redis.conf. */
export function redisMaxmemory(valuesFile: string): string {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { redis?: { maxmemory?: unknown } } | null;
  const maxmemory = values?.redis?.maxmemory ?? DEFAULT_REDIS_MAXMEMORY;
  parseRedisMemory(maxmemory);
  return String(maxmemory).trim();
}

/**
 * config.shutdownDrainMs of the chart values: how long an API pod keeps serving after SIGTERM while
 * the balancer drops it. Stacks that play a rollout (npm run chaos) run the API with it.
 */
export function apiShutdownDrainMs(valuesFile: string): number {
  return configCount(valuesFile, 'shutdownDrainMs', 'milliseconds') ?? 0;
}

/**
 * config.idempotencyWindowS of the chart values, or null when they leave the app's default. The
 * experiment's values shorten it: a keyed rating keeps ~180 bytes of Redis for the window.
 */
export function idempotencyWindowS(valuesFile: string): number | null {
  return configCount(valuesFile, 'idempotencyWindowS', 'seconds');
}

function configCount(valuesFile: string, key: string, unit: string): number | null {
  const values = parse(readFileSync(valuesFile, 'utf8')) as { config?: Record<string, unknown> } | null;
  const value = values?.config?.[key];
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new Error(`config.${key}=${JSON.stringify(value)} is not a number of ${unit}`);
  return value as number;
}

/** A Kubernetes byte quantity ("2Gi", "1.5Gi", "500M", "1073741824") to bytes, as the chart's rate.bytes reads it. */
export function parseByteQuantity(quantity: unknown): number {
  const match = /^(\d+(?:\.\d+)?)(k|K|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(quantity ?? '').trim());
  if (!match) throw new Error(`kafka.persistence.size=${JSON.stringify(quantity)} is not a byte quantity such as 2Gi or 500M`);
  const unit = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 }[match[2] ?? ''] ?? 1;
  return Math.trunc(Number(match[1]) * unit);
}

export interface KafkaRetention {
  hours: number;
  /** log.retention.bytes of one partition */
  retentionBytes: number;
  /** log.segment.bytes */
  segmentBytes: number;
  /** kafka.persistence.size: the disk the log lives on */
  volumeBytes: number;
  /** Partitions the cap is shared by: the topic's and the dead-letter topic's one. */
  partitions: number;
}

/**
 * The in-chart broker's retention (templates/_helpers.tpl rate.kafkaRetentionBytes), for the local
 * broker too: volumePercent of the volume over the topic's partitions and the dead-letter topic's,
 * less the active segment each partition keeps beyond the cap. Integer arithmetic as Helm's.
 */
export function kafkaRetention(valuesFile: string): KafkaRetention {
  const values = parse(readFileSync(valuesFile, 'utf8')) as {
    config?: { kafkaPartitions?: number };
    kafka?: { persistence?: { size?: unknown }; retention?: { hours?: number; volumePercent?: number } };
  } | null;
  const volumeBytes = parseByteQuantity(values?.kafka?.persistence?.size ?? '2Gi');
  const partitions = Number(values?.config?.kafkaPartitions ?? 6) + 1;
  const logs = Math.floor((volumeBytes * Number(values?.kafka?.retention?.volumePercent ?? 60)) / 100);
  const share = Math.floor(logs / partitions);
  const segmentBytes = Math.max(1024 ** 2, Math.min(1024 ** 3, Math.floor(share / 5)));
  return {
    hours: Number(values?.kafka?.retention?.hours ?? 168),
    retentionBytes: share - segmentBytes,
    segmentBytes,
    volumeBytes,
    partitions,
  };
}
