import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from '../../scripts/stack/process-control';
import { portOpen } from '../../scripts/stack/readiness';
import { ROOT } from '../../scripts/stack/stack-config';

/** A second, separate stack driven through the CLI exactly as npm run stack:* drives it. */
const ENV = {
  ...process.env,
  RATE_RUN_DIR: join(ROOT, '.run', 'test-lifecycle'),
  RATE_NGINX_PORT: '28080',
  RATE_API_BASE_PORT: '28081',
  RATE_KAFKA_PORT: '39092',
  RATE_REDIS_PORT: '36379',
  RATE_CONSUMER_PORT: '29101',
};
const PORTS = [28080, 28081, 28082, 39092, 39093, 36379, 29101];

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'stack', 'cli.js'), ...args], { env: ENV, encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

function pids(out: string): Map<string, number> {
  const rows = [...out.matchAll(/^(\S+)\s+(\d+)\s+\d+\s+ready$/gm)];
  return new Map(rows.map((m) => [m[1], Number(m[2])]));
}

/** Running, not a zombie waiting for a reaper that this container's pid 1 may never be. */
function alive(pid: number): boolean {
  return processStartTime(pid) !== null;
}

describe('stack:up / stack:status / stack:down', () => {
  afterAll(() => {
    cli('down', '--purge');
  });

  it('rejects a bad --replicas with a clear message', () => {
    const result = cli('up', '--replicas', 'zero');
    expect(result.status).toBe(1);
    expect(result.out).toContain('--replicas takes a positive integer, got "zero"');
  });

  it('starts, says so when already up, restarts a killed process, and stops leaving nothing behind', async () => {
    const first = cli('up', '--replicas', '2');
    expect(first.status).toBe(0);
    expect(first.out).toMatch(/ready: http:\/\/127\.0\.0\.1:28080\/rate with 2 API replica\(s\)/);
    const running = pids(first.out);
    expect([...running.keys()].sort()).toEqual(['api-1', 'api-2', 'consumer', 'kafka', 'nginx', 'redis']);

    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await fetch('http://127.0.0.1:28080/health/ready');
      expect(response.status).toBe(200);
      answers.add(response.headers.get('x-replica') ?? '');
    }
    expect([...answers].sort()).toEqual(['api-1', 'api-2']);

    const again = cli('up', '--replicas', '2');
    expect(again.status).toBe(0);
    expect(again.out).toContain('already running with 2 API replica(s)');
    expect(pids(again.out)).toEqual(running);

    process.kill(running.get('api-2')!, 'SIGKILL');
    const status = cli('status');
    expect(status.out).toMatch(/^api-2\s+-\s+28082\s+not running$/m);
    const healed = cli('up');
    expect(healed.out).toMatch(/started api-2/);
    const after = pids(healed.out);
    expect(after.get('api-2')).not.toBe(running.get('api-2'));
    expect(after.get('kafka')).toBe(running.get('kafka'));

    const down = cli('down');
    expect(down.status).toBe(0);
    // Every process, the consumer and the API replicas included, ended on SIGTERM by itself.
    expect(down.out).toMatch(/consumer: stopped/);
    expect(down.out).toMatch(/api-1: stopped/);
    expect(down.out).not.toMatch(/killed/);
    for (const pid of after.values()) expect(alive(pid)).toBe(false);
    for (const port of PORTS) expect(await portOpen(port)).toBe(false);
    expect(existsSync(join(ENV.RATE_RUN_DIR, 'kafka', 'data', 'meta.properties'))).toBe(true);
    expect(cli('status').out).toContain('not running (npm run stack:up)');
    // Three Kafka-bearing CLI runs in a row: on a loaded machine each may take a minute or more.
  }, 600_000);
});
