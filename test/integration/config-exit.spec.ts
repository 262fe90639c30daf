import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../harness/stack';

const MAIN = {
  'rate-api': join(ROOT, 'dist', 'apps', 'rate-api', 'src', 'main.js'),
  'rate-consumer': join(ROOT, 'dist', 'apps', 'rate-consumer', 'src', 'main.js'),
};

const GOOD = { KAFKA_BROKERS: '127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1' };

describe('bad configuration', () => {
  it.each([
    [
      'rate-api',
      {},
      /^rate-api: invalid configuration: KAFKA_BROKERS is missing \(expected comma-separated host:port list.*REDIS_URL is missing/,
    ],
    [
      'rate-api',
      { ...GOOD, PORT: 'eighty' },
      /^rate-api: invalid configuration: PORT="eighty" is invalid \(expected TCP port 1\.\.65535\)$/,
    ],
    ['rate-api', { ...GOOD, RATE_MIN: '9', RATE_MAX: '2' }, /RATE_MIN=9 is above RATE_MAX=2/],
    [
      'rate-api',
      { ...GOOD, KAFKA_REPLICATION_FACTOR: '1', KAFKA_MIN_INSYNC_REPLICAS: '2' },
      /KAFKA_MIN_INSYNC_REPLICAS=2 is above KAFKA_REPLICATION_FACTOR=1/,
    ],
    [
      'rate-consumer',
      { ...GOOD, KAFKA_BROKERS: 'nohostport' },
      /^rate-consumer: invalid configuration: KAFKA_BROKERS="nohostport" is invalid/,
    ],
    [
      'rate-consumer',
      { ...GOOD, LOG_LEVEL: 'loud', KAFKA_PARTITIONS: '-3' },
      /KAFKA_PARTITIONS="-3" is invalid.*LOG_LEVEL="loud" is invalid \(expected one of error, warn, info, debug\)/,
    ],
  ] as const)('%s with %j exits 1 with one clear line', (app, env, line) => {
    const result = spawnSync(process.execPath, [MAIN[app]], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });
});
