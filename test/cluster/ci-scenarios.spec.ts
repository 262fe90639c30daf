import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl } from '../harness/cluster';
import { CHART, helm, HELM_TIMEOUT, kubectlResult, ok, restrictedNamespace, testCluster } from './test-cluster';

// Every values scenario of charts/rate/ci: the rendered manifests (test hook included) pass the
// API server's strict field validation and admission without a warning, then install with --wait.
const config = testCluster();
// helm --wait is bounded by HELM_TIMEOUT (3 min); Jest must not give up before helm does.
jest.setTimeout(300_000);
const scenarios = readdirSync(join(CHART, 'ci'))
  .filter((f) => f.endsWith('-values.yaml'))
  .sort();

describe('charts/rate/ci scenarios on a real control plane (restricted namespace)', () => {
  it('finds the scenarios', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  describe.each(scenarios)('%s', (file) => {
    const namespace = `rate-ci-${file.replace(/-values\.yaml$/, '')}`;
    const values = join(CHART, 'ci', file);

    beforeAll(async () => {
      await restrictedNamespace(config, namespace);
    });

    afterAll(async () => {
      await helm(config, ['uninstall', 'rate', '-n', namespace, '--wait', '--timeout', HELM_TIMEOUT]);
      await kubectl(config, ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
    });

    it('passes server-side strict validation and admission without warnings', async () => {
      const manifests = await ok(helm(config, ['template', 'rate', CHART, '-n', namespace, '-f', values]));
      const result = await kubectlResult(config, ['apply', '--dry-run=server', '--validate=strict', '-n', namespace, '-f', '-'], manifests);
      expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 0, stderr: '' });
    });

    it('installs with --wait', async () => {
      await ok(helm(config, ['install', 'rate', CHART, '-n', namespace, '-f', values, '--wait', '--timeout', HELM_TIMEOUT]));
      const release = JSON.parse(await ok(helm(config, ['status', 'rate', '-n', namespace, '-o', 'json']))) as { info: { status: string } };
      expect(release.info.status).toBe('deployed');
    });
  });
});
