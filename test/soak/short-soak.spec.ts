import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SOAK_TEST_STACK_ENV } from '../../scripts/soak/soak-ports';
import { down } from '../../scripts/stack/stack';
import { ROOT, stackConfig } from '../../scripts/stack/stack-config';

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
    const before = new Set(existsSync(join(ROOT, 'reports')) ? readdirSync(join(ROOT, 'reports')) : []);
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'soak', 'cli.js'), '--minutes', '2', '--rate', '100', '--keyed-share', '0.1'], {
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));

    const dir = readdirSync(join(ROOT, 'reports')).find((d) => d.startsWith('soak-') && !before.has(d));
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
    for (const key of ['redis_bytes_per_hour', 'hours_to_redis_limit', 'hours_to_disk_limit']) expect([key, summary[key] === null || typeof summary[key] === 'number']).toEqual([key, true]);
    // Open load: every request of 2 minutes at 100/s was sent and nearly all were accepted.
    expect(summary.requests).toBeGreaterThanOrEqual(11_900);
    expect(summary.accepted).toBe(summary.requests);
    expect(summary.faults.map((f: { name: string }) => f.name)).toEqual(['consumer absence', 'Redis SIGKILL + restart', 'rolling config change of the consumers']);
    for (const file of ['report.md', 'report.html', 'samples.json']) expect(existsSync(join(ROOT, 'reports', dir, file))).toBe(true);
    expect(readFileSync(join(ROOT, 'reports', dir, 'report.html'), 'utf8')).toMatch(/<svg[^>]*aria-label="Redis used memory"/);
    expect(code).toBe(0);
  }, 600_000);
});
