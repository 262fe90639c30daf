import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baselinePorts } from '../harness/experiment';
import { PROFILE_ENV } from '../harness/experiment';
import { cgroupSupport } from '../harness/stack';
import { portOpen } from '../harness/stack';
import { ROOT, stackConfig } from '../harness/stack';

/**
 * npm run experiment -- --profile --baseline: the bare-Fastify replica measured as the API replica
 * is (CPU idle and under load from /proc, per request above idle, the profiler's top frames), so
 * app/baseline CPU per request comes from two runs of one command. No CPU figure is asserted.
 */
describe('npm run experiment -- --profile --baseline', () => {
  it('writes profile.md and profile.json for the baseline replica, then stops it and removes its cgroup', async () => {
    const reports = join(ROOT, 'reports');
    const before = new Set(existsSync(reports) ? readdirSync(reports) : []);
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'scripts', 'experiment', 'cli.js'), '--profile', '--baseline', '--seconds', '3', '--rate', '50'],
      { encoding: 'utf8', timeout: 240_000 },
    );
    if (run.status !== 0)
      throw new Error(`--profile --baseline exited ${run.status}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);

    const created = readdirSync(reports).filter((d) => !before.has(d) && d.startsWith('profile-'));
    expect(created).toHaveLength(1);
    const dir = join(reports, created[0]);
    const result = JSON.parse(readFileSync(join(dir, 'profile.json'), 'utf8'));
    expect(result).toMatchObject({ target: 'baseline', rate: 50, seconds: 3 });
    expect(Object.keys(result.cpu.load).sort()).toEqual(['baseline-1', 'nginx']);
    expect(result.cpuPerRequestMs['baseline-1']).toEqual(expect.any(Number));
    // The profile written on the replica's way out covers the load window.
    expect(result['baseline-1'].load.top.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'profile.md'), 'utf8')).toMatch(
      /^# CPU profile of the bare-Fastify baseline replica — idle and at 50 rps/,
    );

    const config = stackConfig({ ...process.env, ...PROFILE_ENV });
    const ports = baselinePorts(config);
    expect({ nginx: await portOpen(ports.nginx), replica: await portOpen(ports.replica) }).toEqual({ nginx: false, replica: false });
    const support = cgroupSupport();
    if (support.version !== null) expect(existsSync(join(support.base, `rate-${config.id}`))).toBe(false);
  }, 300_000);
});
