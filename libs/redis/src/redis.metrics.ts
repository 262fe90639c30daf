import { Gauge, Registry } from 'prom-client';
import { primaries, RedisClient } from './redis-client';

/** used_memory and maxmemory from an INFO memory reply (0 = no limit). */
export function parseInfoMemory(info: string): { used: number; max: number } | null {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:(\\d+)\\r?$`, 'm').exec(info);
    return match ? Number(match[1]) : null;
  };
  const used = field('used_memory');
  const max = field('maxmemory');
  return used === null || max === null ? null : { used, max };
}

type Memory = { used: number; max: number };

/**
 * A cluster is as full as its fullest primary: that one refuses the writes of its slots first.
 * Without limits (max 0), the one using most.
 */
export function fullest(readings: Memory[]): Memory | null {
  const share = (m: Memory) => (m.max > 0 ? m.used / m.max : 0);
  return readings.reduce<Memory | null>(
    (a, b) => (a === null || share(b) > share(a) || (share(b) === share(a) && b.used > a.used) ? b : a),
    null,
  );
}

/**
 * Redis as this process sees it, read with one INFO memory per primary per scrape: whether it
 * answers, and how close it is to maxmemory (with noeviction, a full Redis refuses the consumer's
 * writes). A cluster answers when every primary does.
 */
export function registerRedisMetrics(registry: Registry, redis: RedisClient): void {
  let last: { used: number; max: number } | null = null;
  // prom-client collects all metrics of a scrape concurrently: they share one INFO round trip.
  let pending: Promise<void> | null = null;
  const refresh = () =>
    (pending ??= Promise.all(primaries(redis).map((node) => node.info('memory')))
      .then((infos) => {
        const readings = infos.map(parseInfoMemory);
        last = readings.length === 0 || readings.includes(null) ? null : fullest(readings as Memory[]);
      })
      .catch(() => {
        last = null;
      })
      .finally(() => {
        pending = null;
      }));
  new Gauge({
    name: 'rate_redis_ready',
    help: '1 when Redis answered this process at the last scrape',
    registers: [registry],
    async collect() {
      await refresh();
      this.set(last === null ? 0 : 1);
    },
  });
  new Gauge({
    name: 'rate_redis_memory_used_bytes',
    help: 'Redis used_memory at the last scrape',
    registers: [registry],
    async collect() {
      await refresh();
      if (last) this.set(last.used);
      else this.reset();
    },
  });
  new Gauge({
    name: 'rate_redis_memory_max_bytes',
    help: 'Redis maxmemory at the last scrape (0 = no limit)',
    registers: [registry],
    async collect() {
      await refresh();
      if (last) this.set(last.max);
      else this.reset();
    },
  });
}
