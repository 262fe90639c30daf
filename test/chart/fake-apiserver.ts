import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Just enough of a Kubernetes API for helm's lookup under `helm template --dry-run=server`:
 * discovery of Secrets and StatefulSets, and GET of the objects given. It stands for "what an
 * earlier release left in the cluster", so upgrade-time template logic can be tested offline.
 */
export interface FakeApiServer {
  kubeconfig: string;
  requests: string[];
  close(): Promise<void>;
}

const RESOURCES: Record<string, { name: string; singularName: string; kind: string }[]> = {
  v1: [{ name: 'secrets', singularName: 'secret', kind: 'Secret' }],
  'apps/v1': [
    { name: 'statefulsets', singularName: 'statefulset', kind: 'StatefulSet' },
    { name: 'deployments', singularName: 'deployment', kind: 'Deployment' },
  ],
};

function path(object: any): string {
  const plural = Object.values(RESOURCES)
    .flat()
    .find((r) => r.kind === object.kind)!.name;
  const base = object.apiVersion === 'v1' ? '/api/v1' : `/apis/${object.apiVersion}`;
  return `${base}/namespaces/${object.metadata.namespace}/${plural}/${object.metadata.name}`;
}

function resourceList(groupVersion: string) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: RESOURCES[groupVersion].map((r) => ({ ...r, namespaced: true, verbs: ['get', 'list'] })),
  };
}

export async function startFakeApiServer(objects: any[]): Promise<FakeApiServer> {
  const store = new Map(objects.map((o) => [path(o), o]));
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    requests.push(`${request.method} ${url.pathname}`);
    const reply = (code: number, body: unknown) => {
      response.writeHead(code, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const p = url.pathname;
    if (p === '/version') return reply(200, { major: '1', minor: '31', gitVersion: 'v1.31.0' });
    if (p === '/api') return reply(200, { kind: 'APIVersions', versions: ['v1'] });
    if (p === '/apis') {
      return reply(200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'apps',
            versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
          },
        ],
      });
    }
    if (p === '/api/v1') return reply(200, resourceList('v1'));
    if (p === '/apis/apps/v1') return reply(200, resourceList('apps/v1'));
    // helm's release history lives in Secrets; an empty list = a release not installed through helm here.
    if (/^\/api\/v1\/namespaces\/[^/]+\/secrets$/.test(p))
      return reply(200, { kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: [] });
    const found = store.get(p);
    if (found) return reply(200, found);
    return reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${p} not found` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'rate-fake-api-')), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: fake, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      'users: [{name: fake, user: {token: fake}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: fake, namespace: rate}}]',
      'current-context: fake',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { kubeconfig, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
