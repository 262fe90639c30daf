import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apiCpuLimitMillis,
  apiNodeFlags,
  apiShutdownDrainMs,
  DEFAULT_REDIS_MAXMEMORY,
  idempotencyWindowS,
  parseCpuQuantity,
  parseRedisMemory,
  redisMaxmemory,
} from './chart-values';
import { ROOT } from './stack-config';

describe('chart values', () => {
  it.each([
    ['250m', 250],
    ['0.5', 500],
    ['1', 1000],
    ['1.5', 1500],
    [2, 2000],
  ])('reads CPU quantity %p as %p millicores', (quantity, millis) => {
    expect(parseCpuQuantity(quantity)).toBe(millis);
  });

  it.each(['', 'abc', '250x', '-1', '0m', '0.0001'])('rejects CPU quantity %p', (quantity) => {
    expect(() => parseCpuQuantity(quantity)).toThrow(/resources\.limits\.cpu/);
  });

  it('takes the local per-replica quota from the chart values', () => {
    expect(apiCpuLimitMillis(join(ROOT, 'charts', 'rate', 'values.yaml'))).toBe(500);
  });

  it('reads the API Node flags, none by default, and refuses what is not a flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rate-values-'));
    writeFileSync(join(dir, 'bad.yaml'), 'api:\n  nodeFlags: ["--ok", "rm -rf"]\n');
    expect(apiNodeFlags(join(ROOT, 'charts', 'rate', 'values.yaml'))).toEqual([]);
    expect(apiNodeFlags(join(ROOT, 'charts', 'rate', 'ci', 'experiment-values.yaml'))).toEqual(['--single-threaded-gc']);
    expect(() => apiNodeFlags(join(dir, 'bad.yaml'))).toThrow(/api\.nodeFlags=\["--ok","rm -rf"\] is not a list of flags/);
  });

  it.each([
    ['1', 1],
    ['100k', 100_000],
    ['64kb', 65_536],
    ['192mb', 201_326_592],
    ['1GB', 1_073_741_824],
  ])('reads Redis memory size %p as %p bytes', (size, bytes) => {
    expect(parseRedisMemory(size)).toBe(bytes);
  });

  it.each(['', '0', '192Mi', '1.5gb', '-1mb'])('rejects Redis memory size %p', (size) => {
    expect(() => parseRedisMemory(size)).toThrow(/redis\.maxmemory/);
  });

  it('takes Redis maxmemory from the values, with a fallback for values without it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rate-values-'));
    writeFileSync(join(dir, 'with.yaml'), 'redis:\n  maxmemory: 64mb\n');
    writeFileSync(join(dir, 'without.yaml'), 'replicas: 1\n');
    expect(redisMaxmemory(join(dir, 'with.yaml'))).toBe('64mb');
    expect(redisMaxmemory(join(dir, 'without.yaml'))).toBe(DEFAULT_REDIS_MAXMEMORY);
    expect(() => parseRedisMemory(redisMaxmemory(join(ROOT, 'charts', 'rate', 'values.yaml')))).not.toThrow();
  });

  it("takes the API's SHUTDOWN_DRAIN_MS from the values (0, the app's default, without it)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rate-values-'));
    writeFileSync(join(dir, 'with.yaml'), 'config:\n  shutdownDrainMs: 1500\n');
    writeFileSync(join(dir, 'without.yaml'), 'replicas: 1\n');
    writeFileSync(join(dir, 'bad.yaml'), 'config:\n  shutdownDrainMs: soon\n');
    expect(apiShutdownDrainMs(join(dir, 'with.yaml'))).toBe(1500);
    expect(apiShutdownDrainMs(join(dir, 'without.yaml'))).toBe(0);
    expect(() => apiShutdownDrainMs(join(dir, 'bad.yaml'))).toThrow(/config\.shutdownDrainMs/);
    expect(apiShutdownDrainMs(join(ROOT, 'charts', 'rate', 'values.yaml'))).toBeGreaterThan(0);
  });

  it("takes the consumer's IDEMPOTENCY_WINDOW_S from the values; the experiment's keep a full run's ids within Redis' limit", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rate-values-'));
    writeFileSync(join(dir, 'without.yaml'), 'replicas: 1\n');
    writeFileSync(join(dir, 'bad.yaml'), 'config:\n  idempotencyWindowS: -1\n');
    expect(idempotencyWindowS(join(dir, 'without.yaml'))).toBeNull();
    expect(() => idempotencyWindowS(join(dir, 'bad.yaml'))).toThrow(/config\.idempotencyWindowS/);
    const experiment = join(ROOT, 'charts', 'rate', 'ci', 'experiment-values.yaml');
    expect(idempotencyWindowS(experiment)).not.toBeNull();
    // ~180 bytes per rating in the window, at the ~2000 rps the sweeps reach: within maxmemory.
    expect(idempotencyWindowS(experiment)! * 2000 * 180).toBeLessThan(parseRedisMemory(redisMaxmemory(experiment)));
  });
});
