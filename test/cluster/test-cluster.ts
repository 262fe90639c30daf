import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClusterConfig, clusterConfig, clusterPaths } from '../harness/cluster';
import { kubectl } from '../harness/cluster';
import { ROOT } from '../harness/stack';
import { TEST_CLUSTERS } from '../test-ports';
import { setTimeout as sleep } from 'node:timers/promises';

const run = promisify(execFile);

/** The cluster the tests start: its own run directory and ports, so a user's cluster:up can run beside it. */
export function testCluster(): ClusterConfig {
  return clusterConfig({
    ...process.env,
    RATE_CLUSTER_DIR: join(ROOT, '.run', 'cluster-test'),
    ...TEST_CLUSTERS.controlPlane,
    RATE_CLUSTER_NODES: '3',
  });
}

export const CHART = join(ROOT, 'charts', 'rate');
/** How long helm --wait may take; a kwok pod is Ready within seconds, so this only bounds a hang. */
export const HELM_TIMEOUT = '3m';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function capture(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> {
  const child = run(command, args, { env, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

function clientEnv(config: ClusterConfig): NodeJS.ProcessEnv {
  const helmHome = join(config.runDir, 'helm');
  return {
    ...process.env,
    KUBECONFIG: clusterPaths(config).kubeconfig,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
}

/** helm against the test cluster; resolves with the exit code and output (a refusal is a result, not an error). */
export function helm(config: ClusterConfig, args: string[]): Promise<Result> {
  return capture(clusterPaths(config).bin('helm'), args, clientEnv(config));
}

/** kubectl against the test cluster, same contract as helm(). */
export function kubectlResult(config: ClusterConfig, args: string[], input?: string): Promise<Result> {
  return capture(clusterPaths(config).bin('kubectl'), args, clientEnv(config), input);
}

/** helm or kubectl that must succeed: its stdout, or an error carrying its stderr. */
export async function ok(result: Promise<Result>): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** A namespace enforcing the restricted Pod Security Standard (latest version), created fresh. */
export async function restrictedNamespace(config: ClusterConfig, name: string): Promise<void> {
  await kubectl(config, ['delete', 'namespace', name, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  const namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    },
  };
  await kubectl(config, ['create', '-f', '-'], JSON.stringify(namespace));
  // Pods need the namespace's default ServiceAccount, which the controller-manager creates.
  const deadline = Date.now() + 60_000;
  while ((await kubectlResult(config, ['get', 'serviceaccount', 'default', '-n', name])).code !== 0) {
    if (Date.now() > deadline) throw new Error(`no default ServiceAccount in ${name} after 60 s`);
    await sleep(250);
  }
}

interface ObjectList {
  items: { kind: string; metadata: { name: string; namespace?: string } }[];
}

/** Objects a namespace holds besides what Kubernetes puts in every namespace (and Events). */
export async function leftovers(config: ClusterConfig, namespace: string): Promise<string[]> {
  const kinds = (await kubectl(config, ['api-resources', '--namespaced=true', '--verbs=list', '-o', 'name']))
    .split('\n')
    .filter((k) => k && k !== 'events' && k !== 'events.events.k8s.io');
  const list = JSON.parse(await kubectl(config, ['get', kinds.join(','), '-n', namespace, '-o', 'json'])) as ObjectList;
  const builtIn = (o: ObjectList['items'][number]) =>
    (o.kind === 'ConfigMap' && o.metadata.name === 'kube-root-ca.crt') || (o.kind === 'ServiceAccount' && o.metadata.name === 'default');
  return list.items.filter((o) => !builtIn(o)).map((o) => `${o.kind}/${o.metadata.name}`);
}

/** Polls until check() returns true; the last value of describe() explains a timeout. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  describe: () => Promise<string>,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(500);
  }
  throw new Error(`${what} not true after ${timeoutMs / 1000} s: ${await describe()}`);
}
