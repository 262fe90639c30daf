import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../harness/stack';
import { find, renderWith } from './render';
import { routed } from './routing';

const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'kind.yml'), 'utf8'));
const job = workflow.jobs.scale;
const steps: { name?: string; if?: string; run?: string; uses?: string }[] = job.steps;
const script = (name: string) => steps.find((s) => s.name === name)?.run ?? '';

describe('kind workflow: ingress-nginx and the Gateway API path', () => {
  it('runs both routes as matrix entries', () => {
    expect(job.strategy.matrix.route).toEqual(['ingress-nginx', 'gateway-api']);
    expect(steps.find((s) => s.name === 'Install ingress-nginx')?.if).toBe("matrix.route == 'ingress-nginx'");
    expect(steps.find((s) => s.name === 'Run cloud-provider-kind and create the Gateway')?.if).toBe("matrix.route == 'gateway-api'");
    expect(script('Run cloud-provider-kind and create the Gateway')).toContain('k8s/install-cloud-provider-kind.sh');
    expect(script('Run cloud-provider-kind and create the Gateway')).toContain('-f k8s/kind-gateway-values.yaml');
  });

  it('checks through the real route that only /rate is public, on both entries', () => {
    const check = script('Only /rate is public');
    for (const path of ['/metrics', '/health/ready', '/health/live', '/openapi.json']) expect(check).toContain(path);
    expect(check).toContain('"404"');
    expect(check).toContain('-X POST "${BASE_URL}/rate?rate=5"');
    expect(steps.find((s) => s.name === 'Only /rate is public')?.if).toBeUndefined();
  });

  it('attaches the HTTPRoute to the Gateway the workflow creates, and lets that Gateway through the NetworkPolicy', () => {
    const gateway = parse(readFileSync(join(ROOT, 'k8s', 'gateway.yaml'), 'utf8'));
    const objects = renderWith([
      '-f',
      join(ROOT, 'k8s', 'kind-gateway-values.yaml'),
      '--set-json',
      'networkPolicy.gatewayFrom=[{"ipBlock":{"cidr":"172.18.0.0/16"}}]',
    ]);
    expect(objects.some((o) => o.kind === 'Ingress')).toBe(false);
    const route = find(objects, 'HTTPRoute', 'rate');
    expect(route.spec.parentRefs).toEqual([{ name: gateway.metadata.name }]);
    expect(routed(route, '/rate') && !routed(route, '/metrics')).toBe(true);
    expect(gateway.spec.gatewayClassName).toBe('cloud-provider-kind');
    expect(find(objects, 'NetworkPolicy', 'rate-api').spec.ingress[0].from).toContainEqual({ ipBlock: { cidr: '172.18.0.0/16' } });
  });

  it('pins the last ingress-nginx release and cloud-provider-kind', () => {
    const nginx = readFileSync(join(ROOT, 'k8s', 'install-ingress-nginx.sh'), 'utf8');
    expect(nginx).toContain('VERSION="${INGRESS_NGINX_VERSION:-controller-v1.15.1}"');
    expect(nginx).toContain('/ingress-nginx/${VERSION}/deploy/static/provider/kind/deploy.yaml');
    expect(readFileSync(join(ROOT, 'k8s', 'install-cloud-provider-kind.sh'), 'utf8')).toMatch(
      /CLOUD_PROVIDER_KIND_VERSION:-v\d+\.\d+\.\d+/,
    );
  });
});
