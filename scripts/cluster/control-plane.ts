import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isRunning, readRecord, removeIfExists, startProcess, stopProcess } from '../stack/process-control';
import { waitFor } from '../stack/readiness';
import { ClusterConfig, clusterPaths } from './cluster-config';
import { ComponentContext, ComponentSpec, controlPlane, KWOK_NODE_ANNOTATION } from './components';
import { KubeClient } from './kube-client';
import { CLIENTS, ensurePki, renderKubeconfig } from './pki';
import { cleanupNode, nodePaths, REAL_NODE, removePods } from './real-node';
import { REAL_NODE_NAME } from './pki';
import { defaultStorageClass } from './volume-provisioner';

const run = promisify(execFile);

export type ComponentFactory = (context: ComponentContext) => ComponentSpec;

export interface UpOptions {
  log?: (line: string) => void;
  /** Started after the control plane, in order (e.g. a containerd and a real kubelet). */
  extraComponents?: ComponentFactory[];
}

export interface ComponentStatus {
  name: string;
  pid: number | null;
  port: number | null;
  running: boolean;
  health: string;
}

/** What cluster:up last started, so status and down know the extra components too. */
interface ClusterState {
  components: string[];
  ports: Record<string, number | null>;
}

const pidFile = (config: ClusterConfig, name: string) => join(clusterPaths(config).pids, `${name}.pid`);
const logFile = (config: ClusterConfig, name: string) => join(clusterPaths(config).logs, `${name}.log`);

export function clusterServer(config: ClusterConfig): string {
  return `https://127.0.0.1:${config.apiserverPort}`;
}

function context(config: ClusterConfig): ComponentContext {
  const paths = clusterPaths(config);
  const pki = ensurePki(paths.pki);
  const server = clusterServer(config);
  const kubeconfigOf = (client: string) => (client === 'admin' ? paths.kubeconfig : join(paths.pki, `${client}.kubeconfig`));
  for (const client of CLIENTS) writeFileSync(kubeconfigOf(client.name), renderKubeconfig(pki, client.name, server), { mode: 0o600 });
  return { config, pki, server, kubeconfigOf, admin: new KubeClient(server, pki, 'admin') };
}

function requireTools(config: ClusterConfig): void {
  const missing = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok'].filter(
    (bin) => !existsSync(clusterPaths(config).bin(bin)),
  );
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not built: run bash scripts/install-tools.sh cluster`);
}

/** kubectl against the cluster as admin; rejects with kubectl's own message. */
export async function kubectl(config: ClusterConfig, args: string[], input?: string): Promise<string> {
  const paths = clusterPaths(config);
  const child = run(paths.bin('kubectl'), [`--kubeconfig=${paths.kubeconfig}`, ...args], { maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    return (await child).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${(e.stderr || e.message).trim()}`, { cause: error });
  }
}

/** Fake nodes kwok keeps Ready, one zone each so the chart's topology spreading is exercised. */
export function kwokNodes(count: number): object[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `kwok-node-${i + 1}`;
    const resources = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'topology.kubernetes.io/zone': `zone-${String.fromCharCode(97 + (i % 26))}`,
          type: 'kwok',
        },
      },
      // No nodeInfo: its schema requires every field a kubelet reports (machineID, bootID, …), and
      // kwok's node-initialize Stage fills it in.
      status: { allocatable: resources, capacity: resources },
    };
  });
}

/** The CRD manifests cluster:up installs, read from the module sources install-tools.sh copied. */
export function crdFiles(config: ClusterConfig): string[] {
  const assets = join(config.toolsDir, 'cluster');
  const dirs = [
    join(assets, `gateway-api-${config.gatewayApiVersion}`, 'config', 'crd', 'standard'),
    join(assets, `prometheus-operator-${config.prometheusOperatorVersion}`, 'example', 'prometheus-operator-crd'),
  ];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(dir, f)),
  );
}

/** Cluster-wide objects every run needs: CRDs, the default StorageClass, the fake nodes. */
/**
 * The Nodes the cluster should have: its kwok nodes, and the real node when it runs one. Others
 * are left in the kept etcd by a cluster:up of the other kind: they look Ready until the node
 * controller notices (minutes), the scheduler puts pods on them, and a StatefulSet pod evicted from
 * one stays Terminating for good. Deleting the Node lets the pod garbage collector remove its pods.
 */
export function foreignNodes(existing: string[], kwokNodeCount: number, realNode: boolean): string[] {
  const expected = new Set([
    ...Array.from({ length: kwokNodeCount }, (_, i) => `kwok-node-${i + 1}`),
    ...(realNode ? [REAL_NODE_NAME] : []),
  ]);
  return existing.filter((name) => !expected.has(name));
}

async function removeForeignNodes(config: ClusterConfig, realNode: boolean, log: (line: string) => void): Promise<void> {
  const nodes = JSON.parse(await kubectl(config, ['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
  const foreign = foreignNodes(
    nodes.items.map((n) => n.metadata.name),
    config.nodes,
    realNode,
  );
  if (foreign.length === 0) return;
  await kubectl(config, ['delete', 'node', ...foreign, '--wait=true']);
  log(`deleted node(s) ${foreign.join(', ')} left by a cluster:up ${realNode ? 'without' : 'with'} --real (their pods go with them)`);
}

async function applyBootstrapObjects(config: ClusterConfig, realNode: boolean, log: (line: string) => void): Promise<void> {
  const crds = crdFiles(config);
  // Server-side apply: some CRDs are larger than client-side apply's last-applied annotation allows.
  await kubectl(config, ['apply', '--server-side', '--force-conflicts', '--field-manager=cluster-up', ...crds.flatMap((f) => ['-f', f])]);
  await kubectl(config, ['wait', '--for=condition=Established', '--timeout=60s', ...crds.flatMap((f) => ['-f', f])]);
  const objects = { apiVersion: 'v1', kind: 'List', items: [defaultStorageClass(), ...kwokNodes(config.nodes)] };
  await kubectl(config, ['apply', '--server-side', '--force-conflicts', '--field-manager=cluster-up', '-f', '-'], JSON.stringify(objects));
  log(`installed ${crds.length} CRDs, the default StorageClass${config.nodes > 0 ? ` and ${config.nodes} kwok node(s)` : ''}`);
  await removeForeignNodes(config, realNode, log);
}

async function startComponent(config: ClusterConfig, spec: ComponentSpec, log: (line: string) => void): Promise<void> {
  const file = pidFile(config, spec.name);
  let record = readRecord(file);
  if (!isRunning(record)) {
    const started = Date.now();
    await spec.prepare?.();
    record = startProcess({
      command: spec.command,
      args: spec.args,
      env: { ...process.env, ...spec.env },
      logFile: logFile(config, spec.name),
      pidFile: file,
      cwd: config.runDir,
    });
    await waitFor(spec.name, spec.ready, spec.startTimeoutMs, () => isRunning(record)).catch((error: Error) => {
      throw new Error(`${error.message}; see ${logFile(config, spec.name)}`);
    });
    log(`${spec.name} ready (pid ${record.pid}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } else if (!(await spec.ready())) {
    await waitFor(spec.name, spec.ready, spec.startTimeoutMs, () => isRunning(record));
  }
  await spec.afterReady?.(log);
}

/**
 * Starts whatever of the cluster is not running, each component once the previous is ready, and
 * returns when the nodes are Ready and the default ServiceAccount exists (pods can be created).
 */
export async function up(config: ClusterConfig, options: UpOptions = {}): Promise<void> {
  const log = options.log ?? (() => undefined);
  requireTools(config);
  const paths = clusterPaths(config);
  for (const dir of [config.runDir, paths.pids, paths.logs, paths.volumes]) mkdirSync(dir, { recursive: true });
  const ctx = context(config);
  const specs = [...controlPlane(config), ...(options.extraComponents ?? [])].map((factory) => factory(ctx));
  const state: ClusterState = { components: specs.map((s) => s.name), ports: Object.fromEntries(specs.map((s) => [s.name, s.port])) };
  writeFileSync(paths.state, JSON.stringify(state, null, 2));
  const apiserverIndex = specs.findIndex((s) => s.name === 'kube-apiserver');
  for (const [i, spec] of specs.entries()) {
    await startComponent(config, spec, log);
    if (i === apiserverIndex)
      await applyBootstrapObjects(
        config,
        specs.some((s) => s.name === 'kubelet'),
        log,
      );
  }
  // A kubelet is ready before its Node is registered, and `wait --all` refuses an empty list.
  await waitFor(
    'a registered node',
    async () => (await ctx.admin.get<{ items: unknown[] }>('/api/v1/nodes')).items.length > 0,
    60_000,
    () => true,
  );
  await kubectl(config, ['wait', '--for=condition=Ready', 'node', '--all', '--timeout=60s']);
  await waitFor(
    'the default ServiceAccount',
    async () => (await ctx.admin.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    60_000,
    () => true,
  );
  log(`ready: KUBECONFIG=${paths.kubeconfig} (${clusterServer(config)})`);
}

function readState(config: ClusterConfig): ClusterState | null {
  try {
    return JSON.parse(readFileSync(clusterPaths(config).state, 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

/** Every component with a pid file, in start order (the recorded ones first, strays after). */
function knownComponents(config: ClusterConfig): string[] {
  const recorded = readState(config)?.components ?? [];
  const dir = clusterPaths(config).pids;
  const withPid = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.pid'))
        .map((f) => f.slice(0, -4))
    : [];
  return [...recorded, ...withPid.filter((name) => !recorded.includes(name))];
}

/** Stops every process cluster:up started, newest first, by pid; --purge also deletes the cluster's data. */
export async function down(config: ClusterConfig, purge: boolean, log: (line: string) => void = () => undefined): Promise<void> {
  const realNode = existsSync(nodePaths(config).dir);
  for (const name of knownComponents(config).reverse()) {
    // The kubelet stopped first, so the pods can go while containerd still runs.
    if (name === 'containerd' && isRunning(readRecord(pidFile(config, name)))) await removePods(config, log);
    const result = await stopProcess(pidFile(config, name), 20_000);
    if (result !== 'not running') log(`${name} ${result}`);
  }
  const left = realNode ? await cleanupNode(config, log) : [];
  if (purge && left.length > 0) throw new Error(`not deleting ${config.runDir}: ${left.join('; ')}`);
  if (purge) removeIfExists(config.runDir);
}

export async function status(config: ClusterConfig): Promise<ComponentStatus[]> {
  const state = readState(config);
  const names = knownComponents(config);
  if (names.length === 0) return [];
  const ctx = existsSync(clusterPaths(config).pki) ? context(config) : null;
  const factories = [...controlPlane(config), ...(existsSync(nodePaths(config).dir) ? REAL_NODE : [])];
  const specs = new Map(ctx ? factories.map((factory) => factory(ctx)).map((s) => [s.name, s] as const) : []);
  return Promise.all(
    names.map(async (name) => {
      const record = readRecord(pidFile(config, name));
      const running = isRunning(record);
      const spec = specs.get(name);
      const health = !running ? 'stopped' : !spec ? 'running' : (await spec.ready()) ? 'ready' : 'not ready';
      return { name, pid: running ? record.pid : null, port: state?.ports[name] ?? spec?.port ?? null, running, health };
    }),
  );
}
