import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRedisPassword, readRedisPassword, redisPasswordFile, redisUrl, renderRedisConf, writeRedisConf } from './redis-conf';
import { stackConfig } from './stack-config';

describe('local Redis password and config', () => {
  const config = stackConfig({ RATE_RUN_DIR: mkdtempSync(join(tmpdir(), 'rate-redis-conf-')), RATE_REDIS_PORT: '26399' });

  it('generates the password once, owner-only, and keeps it', () => {
    expect(readRedisPassword(config)).toBeNull();
    const password = ensureRedisPassword(config);
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(statSync(redisPasswordFile(config)).mode & 0o777).toBe(0o600);
    expect(ensureRedisPassword(config)).toBe(password);
    expect(redisUrl(config, 1)).toBe(`redis://:${password}@127.0.0.1:26399/1`);
  });

  it('requires the password and refuses writes at the memory limit instead of evicting', () => {
    const conf = renderRedisConf({ dir: '/d', port: 1, password: 'p4ss', maxmemory: '64mb' });
    expect(conf).toContain('\nrequirepass p4ss\n');
    expect(conf).toContain('\nmaxmemory 64mb\n');
    expect(conf).toContain('\nmaxmemory-policy noeviction\n');
    expect(conf).toContain('\nbind 127.0.0.1\n');
    expect(conf).toContain('\nappendonly yes\n');
  });

  it('makes a cluster node gossip on its own bus port and keep serving its slots while another primary is down', () => {
    const standalone = renderRedisConf({ dir: '/d', port: 1, password: 'p4ss', maxmemory: '64mb' });
    expect(standalone).not.toContain('cluster');
    const node = renderRedisConf({ dir: '/d', port: 17379, password: 'p4ss', maxmemory: '64mb', busPort: 17479 });
    expect(node).toContain('\ncluster-enabled yes\n');
    expect(node).toContain('\ncluster-port 17479\n');
    expect(node).toContain('\ncluster-require-full-coverage no\n');
    expect(node).toContain('\nmasterauth p4ss\n');
  });

  it('writes the config (it holds the password) owner-only', () => {
    const file = writeRedisConf(config, '192mb');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
