import { parseAllDocuments } from 'yaml';
import { CHART, helm, kubectlResult, ok, restrictedNamespace, testCluster } from './test-cluster';

// Proof that the control plane bites: the same server that accepts the chart refuses a pod the
// restricted profile forbids and a manifest with a field its schema does not know.
const config = testCluster();
// helm --wait is bounded by HELM_TIMEOUT (3 min); Jest must not give up before helm does.
jest.setTimeout(300_000);
const NS = 'rate-admission';

interface Manifest {
  kind: string;
  metadata: { name: string };
  // Rendered manifests are edited freely below; their shape is the API server's to judge.
  spec: Record<string, any>;
}

let manifests: Manifest[] = [];

// A stream of documents, not a v1 List: kubectl validates a List on the client (OpenAPI v2), so the
// server's strict field validation would never be reached.
const apply = (objects: object[], extra: string[] = []) =>
  kubectlResult(
    config,
    ['apply', '--dry-run=server', '--validate=strict', '-n', NS, ...extra, '-f', '-'],
    objects.map((o) => JSON.stringify(o)).join('\n---\n'),
  );

function apiDeployment(): Manifest {
  const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name.endsWith('-api'));
  if (!deployment) throw new Error('the chart rendered no API Deployment');
  return JSON.parse(JSON.stringify(deployment)) as Manifest;
}

/** The chart's own API pod, as a bare Pod, so PodSecurity admission (which checks Pods) sees it. */
function apiPod(): Manifest & { apiVersion: string } {
  const template = apiDeployment().spec.template;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'rate-api-probe', ...template.metadata }, spec: template.spec };
}

describe('the control plane enforces admission and schemas', () => {
  beforeAll(async () => {
    await restrictedNamespace(config, NS);
    const rendered = await ok(helm(config, ['template', 'rate', CHART, '-n', NS]));
    manifests = parseAllDocuments(rendered)
      .map((d) => d.toJS() as Manifest | null)
      .filter((m): m is Manifest => m !== null);
    // Admission looks the pod's ServiceAccount up: it must exist for real, not only in a dry run.
    const accounts = manifests.filter((m) => m.kind === 'ServiceAccount');
    expect(accounts).not.toEqual([]);
    await ok(kubectlResult(config, ['apply', '-n', NS, '-f', '-'], accounts.map((o) => JSON.stringify(o)).join('\n---\n')));
  });

  it("admits the chart's API pod under the restricted profile", async () => {
    const result = await apply([apiPod()]);
    expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 0, stderr: '' });
  });

  it('refuses the same pod once it may run as root and escalate privileges', async () => {
    const pod = apiPod();
    delete pod.spec.securityContext;
    for (const container of pod.spec.containers) delete container.securityContext;
    const result = await apply([pod]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(result.stderr).toMatch(/allowPrivilegeEscalation != false/);
    expect(result.stderr).toMatch(/runAsNonRoot != true/);
  });

  it('refuses a privileged pod', async () => {
    const pod = apiPod();
    // allowPrivilegeEscalation=false beside privileged=true is a plain validation error; PodSecurity is the point here.
    pod.spec.containers[0].securityContext = {
      ...pod.spec.containers[0].securityContext,
      privileged: true,
      allowPrivilegeEscalation: true,
    };
    const result = await apply([pod]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/privileged \(container "[^"]+" must not set securityContext.privileged=true\)/);
  });

  it("accepts the chart's API Deployment under strict field validation", async () => {
    const result = await apply([apiDeployment()]);
    expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({ code: 0, stderr: '' });
  });

  it('refuses a field the schema does not know (strict validation)', async () => {
    const deployment = apiDeployment();
    const container = deployment.spec.template.spec.containers[0];
    container.imagePullPolcy = container.imagePullPolicy;
    const result = await apply([deployment]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolcy"/);
  });

  it('refuses an unknown field in a custom resource: the installed CRDs carry their schemas', async () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'typo' },
      spec: { parentRefs: [{ name: 'eg' }], rules: [{ backendRefs: [{ name: 'rate-api', port: 80 }], matchs: [] }] },
    };
    const result = await apply([route]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown field "spec\.rules\[0\]\.matchs"/);
  });
});
