import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SOAK_TEST_STACK_ENV } from '../harness/soak';
import { newReports, runCli } from '../harness/run-cli';
import { down } from '../harness/stack';
import { ROOT, stackConfig } from '../harness/stack';

const ENV = { ...process.env, ...SOAK_TEST_STACK_ENV };

/**
 * npm run soak's short form, end to end on its own stack: the consumer absence, the Redis restart
 * and the rolling change all happen within 2 minutes, every subject is audited, and the report's
 * files and keys are there. The growth figures of so short a run are not judged here (npm run soak is).
 */
describe('npm run soak -- --minutes 2', () => {
  afterAll(async () => {
    await down(stackConfig(ENV), true);
    rmSync(ENV.RATE_RUN_DIR, { recursive: true, force: true });
  });

  it('loses and duplicates nothing through an absence, a Redis restart and a rolling change, and writes its report', async () => {
    const created = newReports();
    const { code, output } = await runCli('soak', ['--minutes', '2', '--rate', '100', '--keyed-share', '0.1'], ENV);
    const dir = created().find((d) => d.startsWith('soak-'));
    if (!dir) throw new Error(`no soak report written (exit ${code}):\n${output.slice(-3000)}`);
    const summary = JSON.parse(readFileSync(join(ROOT, 'reports', dir, 'summary.json'), 'utf8'));
    expect(summary).toEqual(
      expect.objectContaining({
        minutes: 2,
        rate: 100,
        lost: 0,
        duplicated: 0,
        sum_mismatches: 0,
        catch_up_s: expect.any(Number),
        kafka_bytes_per_hour: expect.any(Number),
        ok: true,
      }),
    );
    for (const key of ['redis_bytes_per_hour', 'hours_to_redis_limit', 'hours_to_disk_limit'])
      expect([key, summary[key] === null || typeof summary[key] === 'number']).toEqual([key, true]);
    // Open load: every request of 2 minutes at 100/s was sent, and nearly all accepted (none of
    // the faults touches the API; a loaded CI machine may time out a few).
    expect(summary.requests).toBeGreaterThanOrEqual(11_900);
    expect(summary.accepted).toBeGreaterThanOrEqual(Math.floor(summary.requests * 0.99));
    expect(summary.faults.map((f: { name: string }) => f.name)).toEqual([
      'consumer absence',
      'Redis SIGKILL + restart',
      'rolling config change of the consumers',
    ]);
    for (const file of ['report.md', 'report.html', 'samples.json']) expect(existsSync(join(ROOT, 'reports', dir, file))).toBe(true);
    expect(readFileSync(join(ROOT, 'reports', dir, 'report.html'), 'utf8')).toMatch(/<svg[^>]*aria-label="Redis used memory"/);
    expect(code).toBe(0);
  }, 600_000);
});
