import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/stack-config';
import { ClusterConfig, clusterPaths } from './cluster-config';
import { httpStatus } from '../stack/readiness';
import { httpsStatus, KubeClient } from './kube-client';
import { Pki } from './pki';

/**
 * One supervised process of the cluster. cluster:up starts the components in order, each once the
 * previous one is ready; cluster:down stops them in reverse order. Node components (a real kubelet,
 * a container runtime) are added the same way through UpOptions.extraComponents.
 */
export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Port shown by cluster:status (null when the component listens on none). */
  port: number | null;
  ready: () => Promise<boolean>;
  startTimeoutMs: number;
  /** Run before the process starts (not when it is already running): its files, its network. */
  prepare?: () => Promise<void>;
  /** Run once it is ready, at every cluster:up (idempotent): e.g. loading images into containerd. */
  afterReady?: (log: (line: string) => void) => Promise<void>;
}

/** Context handed to component factories, the built-in ones and extra ones alike. */
export interface ComponentContext {
  config: ClusterConfig;
  pki: Pki;
  admin: KubeClient;
  server: string;
  /** Kubeconfig path of each client identity (admin, kube-controller-manager, kube-scheduler). */
  kubeconfigOf: (client: string) => string;
}

export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

const loopback = (port: number) => `http://127.0.0.1:${port}`;

export function etcd({ config }: ComponentContext): ComponentSpec {
  const paths = clusterPaths(config);
  return {
    name: 'etcd',
    command: paths.bin('etcd'),
    args: [
      '--name=rate',
      `--data-dir=${paths.etcdData}`,
      `--listen-client-urls=${loopback(config.etcdPort)}`,
      `--advertise-client-urls=${loopback(config.etcdPort)}`,
      `--listen-peer-urls=${loopback(config.etcdPeerPort)}`,
      `--initial-advertise-peer-urls=${loopback(config.etcdPeerPort)}`,
      `--initial-cluster=rate=${loopback(config.etcdPeerPort)}`,
      '--log-level=warn',
      // A throwaway single-member store: durability across power loss buys nothing here.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=2147483648',
    ],
    port: config.etcdPort,
    ready: async () => (await httpStatus(`${loopback(config.etcdPort)}/health`)) === 200,
    startTimeoutMs: 30_000,
  };
}

export function kubeApiserver({ config, pki, admin }: ComponentContext): ComponentSpec {
  return {
    name: 'kube-apiserver',
    command: clusterPaths(config).bin('kube-apiserver'),
    args: [
      `--etcd-servers=${loopback(config.etcdPort)}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${config.apiserverPort}`,
      `--tls-cert-file=${pki.apiserverCert}`,
      `--tls-private-key-file=${pki.apiserverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--authorization-mode=Node,RBAC',
      // How it authenticates to a real node's kubelet (logs, exec, port-forward).
      `--kubelet-client-certificate=${pki.clientCert('apiserver-kubelet-client')}`,
      `--kubelet-client-key=${pki.clientKey('apiserver-kubelet-client')}`,
      '--kubelet-preferred-address-types=InternalIP',
      // As kubeadm and kind do: privileged pods are PodSecurity's to refuse, per namespace. Without
      // this flag validation refuses them everywhere ("disallowed by cluster policy"), so a
      // restricted namespace would prove nothing about privileged containers.
      '--allow-privileged=true',
      // The API server listens on loopback only, which no pod can reach: the kubernetes Service
      // gets no endpoints (pods of this chart never call the API).
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      '--v=0',
    ],
    port: config.apiserverPort,
    ready: async () => {
      try {
        return (await admin.request('GET', '/readyz', undefined, 2000)).status === 200;
      } catch {
        return false;
      }
    },
    startTimeoutMs: 120_000,
  };
}

/** --kubeconfig plus the delegated authentication/authorization the secure port needs. */
const delegated = (kubeconfig: string) => [
  `--kubeconfig=${kubeconfig}`,
  `--authentication-kubeconfig=${kubeconfig}`,
  `--authorization-kubeconfig=${kubeconfig}`,
];

export function kubeControllerManager({ config, pki, kubeconfigOf }: ComponentContext): ComponentSpec {
  const port = config.controllerManagerPort;
  return {
    name: 'kube-controller-manager',
    command: clusterPaths(config).bin('kube-controller-manager'),
    args: [
      ...delegated(kubeconfigOf('kube-controller-manager')),
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(pki.dir, 'kube-controller-manager')}`,
      '--leader-elect=false',
      // Each controller acts as its own ServiceAccount, so RBAC applies as in a real cluster
      // (and the token controller creates the default ServiceAccount pods need).
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      '--profiling=false',
    ],
    port,
    ready: async () => (await httpsStatus(`https://127.0.0.1:${port}/healthz`)) === 200,
    startTimeoutMs: 60_000,
  };
}

export function kubeScheduler({ config, pki, kubeconfigOf }: ComponentContext): ComponentSpec {
  const port = config.schedulerPort;
  return {
    name: 'kube-scheduler',
    command: clusterPaths(config).bin('kube-scheduler'),
    args: [
      ...delegated(kubeconfigOf('kube-scheduler')),
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(pki.dir, 'kube-scheduler')}`,
      '--leader-elect=false',
      '--profiling=false',
    ],
    port,
    ready: async () => (await httpsStatus(`https://127.0.0.1:${port}/healthz`)) === 200,
    startTimeoutMs: 60_000,
  };
}

/** kwok's Stage files: the module's node and pod stages, plus this project's own (stages/). */
export function kwokStageFiles(config: ClusterConfig): string[] {
  const moduleStages = join(config.toolsDir, 'cluster', `kwok-${config.kwokVersion}`, 'kustomize', 'stage');
  const fromModule = ['node/fast', 'node/heartbeat-with-lease', 'pod/fast'].flatMap((dir) =>
    readdirSync(join(moduleStages, dir))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .map((f) => join(moduleStages, dir, f)),
  );
  const ownDir = join(ROOT, 'scripts', 'cluster', 'stages');
  const own = readdirSync(ownDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ownDir, f));
  return [...fromModule, ...own];
}

export function kwok({ config, kubeconfigOf }: ComponentContext): ComponentSpec {
  const port = config.kwokPort;
  return {
    name: 'kwok',
    command: clusterPaths(config).bin('kwok'),
    args: [
      `--kubeconfig=${kubeconfigOf('admin')}`,
      // Only the fake nodes cluster:up creates: a real kubelet's node (cluster:up --real) is left alone.
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      // Without node leases the node lifecycle controller sees every node as silent and never
      // leaves "master disruption mode": pods would never turn Ready.
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${port}`,
      ...kwokStageFiles(config).map((file) => `--config=${file}`),
    ],
    port,
    ready: async () => (await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200,
    startTimeoutMs: 30_000,
  };
}

export function volumeProvisioner({ config, pki, server }: ComponentContext): ComponentSpec {
  return {
    name: 'volume-provisioner',
    command: process.execPath,
    // The compiled script (npm run build), also when cluster:up runs from the Jest setup.
    args: [join(ROOT, 'dist', 'scripts', 'cluster', 'volume-provisioner.js'), server, pki.dir, clusterPaths(config).volumes],
    port: null,
    // Its readiness is the claims it binds; the cluster tests check that end to end.
    ready: async () => true,
    startTimeoutMs: 5_000,
  };
}

/** The control plane in start order (kwok only with fake nodes). Extra (node) components follow these. */
export const CONTROL_PLANE = [etcd, kubeApiserver, kubeControllerManager, kubeScheduler, kwok, volumeProvisioner];

export const controlPlane = (config: ClusterConfig) => CONTROL_PLANE.filter((factory) => factory !== kwok || config.nodes > 0);
