import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import { fullest, parseInfoMemory, registerRedisMetrics } from './redis.metrics';

const INFO = '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:201326592\r\nmaxmemory_policy:noeviction\r\n';

describe('Redis metrics', () => {
  it('reads used_memory and maxmemory from INFO memory', () => {
    expect(parseInfoMemory(INFO)).toEqual({ used: 1048576, max: 201326592 });
    expect(parseInfoMemory('# Memory\r\n')).toBeNull();
  });

  it("reports a cluster's fullest primary: the first to refuse writes", () => {
    expect(
      fullest([
        { used: 90, max: 100 },
        { used: 150, max: 1000 },
      ]),
    ).toEqual({ used: 90, max: 100 });
    expect(
      fullest([
        { used: 5, max: 0 },
        { used: 7, max: 0 },
      ]),
    ).toEqual({ used: 7, max: 0 });
    expect(fullest([])).toBeNull();
  });

  it('exports readiness and memory from one INFO per scrape', async () => {
    const registry = new Registry();
    const info = jest.fn().mockResolvedValue(INFO);
    registerRedisMetrics(registry, { info } as unknown as Redis);
    const text = await registry.metrics();
    expect(text).toContain('rate_redis_ready 1');
    expect(text).toContain('rate_redis_memory_used_bytes 1048576');
    expect(text).toContain('rate_redis_memory_max_bytes 201326592');
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('says 0 when Redis does not answer, and keeps no stale memory figure', async () => {
    const registry = new Registry();
    const info = jest.fn().mockResolvedValueOnce(INFO).mockRejectedValue(new Error('Connection is closed.'));
    registerRedisMetrics(registry, { info } as unknown as Redis);
    await registry.metrics();
    const text = await registry.metrics();
    expect(text).toContain('rate_redis_ready 0');
    expect(text).not.toContain('1048576');
    expect(info).toHaveBeenCalledTimes(2);
  });
});
