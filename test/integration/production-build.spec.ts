import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/stack';
import { eventually, TEST_STACK_ENV, testRedisUrl } from './test-stack';

/**
 * What the Dockerfile's runtime stage holds: production dependencies only (npm ci --omit=dev)
 * and the compiled dist/. Without a Docker engine here, the same layout is assembled in a
 * temporary directory and started with plain node, as the image's CMD does.
 */
describe('production build (the Dockerfile layout)', () => {
  it('starts from production dependencies only and answers /health/live', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rate-prod-'));
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, file), join(dir, file));
    const install = spawnSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect({ status: install.status, stderr: install.stderr }).toMatchObject({ status: 0 });
    const installed = spawnSync('npm', ['ls', '--omit=dev', '--depth=0', '--json'], { cwd: dir, encoding: 'utf8' });
    const deps = Object.keys((JSON.parse(installed.stdout) as { dependencies?: object }).dependencies ?? {});
    expect(deps).not.toContain('typescript');
    expect(deps).not.toContain('jest');
    cpSync(join(ROOT, 'dist', 'libs'), join(dir, 'dist', 'libs'), { recursive: true });
    cpSync(join(ROOT, 'dist', 'apps', 'rate-api'), join(dir, 'dist', 'apps', 'rate-api'), { recursive: true });

    const port = 18098;
    const child = spawn(process.execPath, ['dist/apps/rate-api/src/main.js'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        KAFKA_BROKERS: `127.0.0.1:${TEST_STACK_ENV.RATE_KAFKA_PORT}`,
        REDIS_URL: testRedisUrl(),
      },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const status = await eventually(
        'production build answers',
        async () => (await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => null))?.status ?? 0,
        (s) => s === 200,
        60_000,
      );
      expect(status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
