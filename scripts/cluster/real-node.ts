import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { httpStatus } from '../stack/readiness';
import { readVersions, ROOT } from '../stack/stack-config';
import { ClusterConfig, clusterPaths } from './cluster-config';
import { ComponentContext, ComponentSpec, SERVICE_CLUSTER_IP_RANGE } from './components';
import { REAL_NODE_NAME } from './pki';

const run = promisify(execFile);

/**
 * A real node for the offline cluster (cluster:up --real): containerd + runc with the CNI bridge
 * plugin, a kubelet, kube-proxy (iptables), a NetworkPolicy controller (kube-router's: iptables
 * and ipsets), CoreDNS and Traefik (the ingress controller, for Ingress and Gateway API routes),
 * all on this machine's root network
 * namespace, as on a one-node kubeadm cluster. One real node per machine: its bridge, pod subnet
 * and iptables rules are machine-wide.
 *
 * The node's address is the pod bridge's gateway: pods reach it (CoreDNS listens there), the API
 * server reaches the kubelet there, and nothing listens on the machine's other interfaces.
 */
export const BRIDGE = 'rate-cni0';
export const POD_SUBNET = '10.244.0.0/24';
export const NODE_IP = '10.244.0.1';
const CNI_NETWORK = 'rate';
const CNI_BIN_DIR = '/usr/lib/cni';
/** Marks the FORWARD rules the node adds (Docker sets FORWARD's policy to DROP). */
const RULE_COMMENT = 'rate-real-node';
/** Where the running node records its run directory, so a second one is refused by name. */
const OWNER_FILE = '/run/rate-real-node.owner';

export const nodePaths = (config: ClusterConfig) => {
  const dir = join(config.runDir, 'node');
  return {
    dir,
    containerdConfig: join(dir, 'containerd.toml'),
    containerdRoot: join(dir, 'containerd', 'root'),
    containerdState: join(dir, 'containerd', 'state'),
    socket: join(dir, 'containerd.sock'),
    cniConf: join(dir, 'cni', 'net.d'),
    cniIpam: join(dir, 'cni', 'ipam'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeletConfig: join(dir, 'kubelet.yaml'),
    podLogs: join(dir, 'pod-logs'),
    resolvConf: join(dir, 'resolv.conf'),
    kubeProxyConfig: join(dir, 'kube-proxy.yaml'),
    corefile: join(dir, 'Corefile'),
    ingressToken: join(dir, 'ingress.token'),
    networkPolicyToken: join(dir, 'network-policy.token'),
  };
};

/** The chart's images on this machine (k8s/local-images-values.yaml) and the pod sandbox's. */
export function nodeImages(): { sandbox: string; chart: string[] } {
  const values = parse(readFileSync(join(ROOT, 'k8s', 'local-images-values.yaml'), 'utf8'));
  const chart = [
    `${values.image.api.repository}:${values.image.api.tag}`,
    `${values.image.consumer.repository}:${values.image.consumer.tag}`,
    `${values.kafka.image.repository}:${values.kafka.image.tag}`,
    `${values.redis.image.repository}:${values.redis.image.tag}`,
    String(values.tests.image),
  ];
  return { sandbox: `rate-local/pause:${readVersions().KUBERNETES_VERSION}`, chart };
}

/** The name containerd (and so the kubelet) knows a Docker image reference by. */
export function qualified(image: string): string {
  const [first, ...rest] = image.split('/');
  if (rest.length === 0) return `docker.io/library/${image}`;
  return first.includes('.') || first.includes(':') || first === 'localhost' ? image : `docker.io/${image}`;
}

/** What a real node needs before it starts: its tools (kubelet, CoreDNS, …) and the images it runs. */
export function prepareRealNode(): void {
  const unsupported = realNodeUnsupported();
  if (unsupported) throw new Error(`a real node cannot run here: ${unsupported}`);
  execFileSync('bash', [join(ROOT, 'scripts', 'install-tools.sh'), 'real'], { stdio: 'inherit' });
  execFileSync('bash', [join(ROOT, 'scripts', 'images', 'build.sh')], { stdio: 'inherit' });
}

/** Why this machine cannot run a real node (its kernel, cgroups or privileges), or null when it can. */
export function realNodeUnsupported(): string | null {
  if (process.platform !== 'linux') return `a real node needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'a real node needs root (containerd, the kubelet, iptables and the CNI bridge)';
  for (const controller of ['cpu', 'memory', 'pids', 'cpuset'])
    if (!existsSync(`/sys/fs/cgroup/${controller}`) && !existsSync('/sys/fs/cgroup/cgroup.controllers'))
      return `no cgroup ${controller} controller is mounted under /sys/fs/cgroup`;
  if (!existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables'))
    return 'the kernel has no br_netfilter (kube-proxy needs bridged traffic to pass iptables): modprobe br_netfilter';
  // Missing packages (containerd, runc, CNI plugins, iptables, ipset) are no reason: prepareRealNode installs them.
  return null;
}

export function writeNodeConfigs(ctx: ComponentContext): void {
  const { config } = ctx;
  const paths = nodePaths(config);
  // A unix socket path has room for 107 bytes; containerd adds ".ttrpc" to its own.
  if (paths.socket.length > 100)
    throw new Error(`the run directory ${config.runDir} is too long for containerd's socket path (${paths.socket})`);
  for (const dir of [
    paths.dir,
    paths.containerdRoot,
    paths.containerdState,
    paths.cniConf,
    paths.cniIpam,
    paths.kubeletRoot,
    paths.podLogs,
  ])
    mkdirSync(dir, { recursive: true });
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  writeFileSync(paths.containerdConfig, containerdConfig(paths));
  writeFileSync(join(paths.cniConf, '10-rate.conflist'), json(cniConflist(paths)));
  writeFileSync(paths.resolvConf, `nameserver ${NODE_IP}\n`);
  writeFileSync(paths.kubeletConfig, json(kubeletConfig(ctx, paths)));
  writeFileSync(paths.kubeProxyConfig, json(kubeProxyConfig(ctx)));
  writeFileSync(paths.corefile, corefile(ctx));
}

type NodePaths = ReturnType<typeof nodePaths>;

function containerdConfig(paths: NodePaths): string {
  const sandbox = qualified(nodeImages().sandbox);
  return [
    'version = 2',
    `root = ${JSON.stringify(paths.containerdRoot)}`,
    `state = ${JSON.stringify(paths.containerdState)}`,
    // Plugins this node has no use for, so the log holds only what matters.
    'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]',
    '[grpc]',
    `  address = ${JSON.stringify(paths.socket)}`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${JSON.stringify(sandbox)}`,
    '  enable_selinux = false',
    // This machine withholds CAP_SYS_RESOURCE even from root: no process may lower its OOM score
    // below containerd's own, and runc failed every pod sandbox at -998 ("can't get final
    // child's PID from pipe"). Scores are clamped to containerd's instead.
    '  restrict_oom_score_adj = true',
    '[plugins."io.containerd.grpc.v1.cri".containerd]',
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '  runtime_type = "io.containerd.runc.v2"',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    '  SystemdCgroup = false',
    '[plugins."io.containerd.grpc.v1.cri".cni]',
    `  bin_dir = ${JSON.stringify(CNI_BIN_DIR)}`,
    `  conf_dir = ${JSON.stringify(paths.cniConf)}`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(join(paths.dir, 'containerd', 'opt'))}`,
    '',
  ].join('\n');
}

function cniConflist(paths: NodePaths) {
  return {
    cniVersion: '1.0.0',
    name: CNI_NETWORK,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        isGateway: true,
        // Pods only talk to each other and to the node: nothing to masquerade.
        ipMasq: false,
        // A pod reaching its own Service lands back on itself.
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: paths.cniIpam,
          ranges: [[{ subnet: POD_SUBNET, gateway: NODE_IP }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

function kubeletConfig({ config, pki }: ComponentContext, paths: NodePaths) {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: NODE_IP,
    port: config.kubeletPort,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: config.kubeletHealthzPort,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: pki.caCert } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${paths.socket}`,
    // This machine's cgroups are v1 and no systemd manages them.
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    failSwapOn: false,
    // Its own score stays as started (see restrict_oom_score_adj above).
    oomScoreAdj: 0,
    clusterDNS: [NODE_IP],
    clusterDomain: 'cluster.local',
    resolvConf: paths.resolvConf,
    podLogsDir: paths.podLogs,
    // The node shares a disk with everything else on this machine: never evict the chart's
    // pods or collect its images (no registry could pull them back).
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // The machine's iptables belong to its owner: the kubelet adds no chains of its own.
    makeIPTablesUtilChains: false,
    rotateCertificates: false,
    serializeImagePulls: false,
  };
}

function kubeProxyConfig(ctx: ComponentContext) {
  const { config } = ctx;
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: ctx.kubeconfigOf('kube-proxy') },
    hostnameOverride: REAL_NODE_NAME,
    mode: 'iptables',
    oomScoreAdj: 0,
    clusterCIDR: POD_SUBNET,
    detectLocalMode: 'ClusterCIDR',
    healthzBindAddress: `127.0.0.1:${config.kubeProxyHealthzPort}`,
    metricsBindAddress: `127.0.0.1:${config.kubeProxyMetricsPort}`,
    // Node ports on the node address only: listening on loopback would need route_localnet.
    nodePortAddresses: [`${NODE_IP}/32`],
    // Replies of a Service's pod to a client on the same bridge come back through the node.
    iptables: { masqueradeAll: true, syncPeriod: '30s', minSyncPeriod: '1s' },
    // Zero: the machine's conntrack settings are left as they are.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  };
}

function corefile(ctx: ComponentContext): string {
  const { config } = ctx;
  return [
    '.:53 {',
    `    bind ${NODE_IP}`,
    '    errors',
    `    health 127.0.0.1:${config.corednsHealthPort}`,
    '    kubernetes cluster.local in-addr.arpa ip6.arpa {',
    `        kubeconfig ${ctx.kubeconfigOf('admin')} rate`,
    '        pods insecure',
    '        fallthrough in-addr.arpa ip6.arpa',
    '        ttl 5',
    '    }',
    '    cache 5',
    '}',
    '',
  ].join('\n');
}

async function sh(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`, { cause: error });
  }
}

const quiet = (command: string, args: string[]) =>
  sh(command, args).then(
    () => true,
    () => false,
  );

/** The run directory of another real node that holds this machine, or null. */
function otherOwner(config: ClusterConfig): string | null {
  if (!existsSync(OWNER_FILE)) return null;
  const owner = readFileSync(OWNER_FILE, 'utf8').trim();
  return owner !== config.runDir && existsSync(join(owner, 'node')) ? owner : null;
}

function claimMachine(config: ClusterConfig): void {
  const owner = otherOwner(config);
  if (owner)
    throw new Error(
      `a real node of ${owner} holds this machine (bridge ${BRIDGE}, pod subnet ${POD_SUBNET}): run cluster:down there first (RATE_CLUSTER_DIR=${owner})`,
    );
  writeFileSync(OWNER_FILE, `${config.runDir}\n`);
}

/** The node's network before anything starts: the bridge holding the node address, FORWARD open to pods. */
async function prepareNetwork(config: ClusterConfig): Promise<void> {
  claimMachine(config);
  if (!(await quiet('ip', ['link', 'show', BRIDGE]))) await sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  const addresses = await sh('ip', ['-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addresses.includes(`${NODE_IP}/24`)) await sh('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', BRIDGE]);
  await sh('ip', ['link', 'set', BRIDGE, 'up']);
  for (const direction of ['-s', '-d']) {
    const rule = ['FORWARD', direction, POD_SUBNET, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'ACCEPT'];
    if (!(await quiet('iptables', ['-C', ...rule]))) await sh('iptables', ['-I', ...rule]);
  }
}

const ctr = (config: ClusterConfig, args: string[]) => sh('ctr', ['--address', nodePaths(config).socket, '--namespace', 'k8s.io', ...args]);

/**
 * The images containerd lacks or holds in another build than the Docker engine's (a rebuilt image
 * keeps its tag: comparing tags alone would run yesterday's code). Both sides name an image by its
 * config digest (Docker's image id, the CRI's image id).
 */
export function staleImages(built: Map<string, string>, present: { id: string; repoTags: string[] }[]): string[] {
  const idOf = new Map(present.flatMap((image) => image.repoTags.map((tag) => [tag, image.id] as const)));
  return [...built].filter(([image, id]) => idOf.get(qualified(image)) !== id).map(([image]) => image);
}

/** Loads the images containerd lacks (or holds in an older build) from the Docker engine scripts/images/build.sh built them in. */
async function importImages(config: ClusterConfig, log: (line: string) => void): Promise<void> {
  const { sandbox, chart } = nodeImages();
  const built = new Map<string, string>();
  for (const image of [sandbox, ...chart]) {
    const id = await sh('docker', ['image', 'inspect', '-f', '{{.Id}}', image]).catch(() => '');
    if (!id)
      throw new Error(`image ${image} is not in the Docker engine: run bash scripts/install-tools.sh real && bash scripts/images/build.sh`);
    built.set(image, id.trim());
  }
  const crictl = [clusterPaths(config).bin('crictl'), '--runtime-endpoint', `unix://${nodePaths(config).socket}`] as const;
  const { images } = JSON.parse(await sh(crictl[0], [...crictl.slice(1), 'images', '-o', 'json'])) as {
    images: { id: string; repoTags: string[] }[];
  };
  const missing = staleImages(built, images);
  if (missing.length === 0) return;
  const started = Date.now();
  // docker save | ctr images import, through a file: both ends report their own errors.
  const archive = join(nodePaths(config).dir, 'images.tar');
  await sh('docker', ['save', '-o', archive, ...missing]);
  try {
    await ctr(config, ['images', 'import', archive]);
  } finally {
    rmSync(archive, { force: true });
  }
  log(`loaded ${missing.length} image(s) into containerd in ${((Date.now() - started) / 1000).toFixed(1)} s: ${missing.join(', ')}`);
}

export function containerd(ctx: ComponentContext): ComponentSpec {
  const paths = nodePaths(ctx.config);
  return {
    name: 'containerd',
    command: 'containerd',
    args: ['--config', paths.containerdConfig],
    port: null,
    prepare: async () => {
      writeNodeConfigs(ctx);
      await prepareNetwork(ctx.config);
    },
    ready: () => quiet('ctr', ['--address', paths.socket, 'version']),
    afterReady: (log) => importImages(ctx.config, log),
    startTimeoutMs: 60_000,
  };
}

export function coredns(ctx: ComponentContext): ComponentSpec {
  return {
    name: 'coredns',
    command: clusterPaths(ctx.config).bin('coredns'),
    args: ['-conf', nodePaths(ctx.config).corefile],
    port: 53,
    ready: async () => (await httpStatus(`http://127.0.0.1:${ctx.config.corednsHealthPort}/health`)) === 200,
    startTimeoutMs: 60_000,
  };
}

export function kubeProxy(ctx: ComponentContext): ComponentSpec {
  return {
    name: 'kube-proxy',
    command: clusterPaths(ctx.config).bin('kube-proxy'),
    args: [`--config=${nodePaths(ctx.config).kubeProxyConfig}`],
    port: null,
    ready: async () => (await httpStatus(`http://127.0.0.1:${ctx.config.kubeProxyHealthzPort}/livez`)) === 200,
    startTimeoutMs: 60_000,
  };
}

export function kubelet(ctx: ComponentContext): ComponentSpec {
  const paths = nodePaths(ctx.config);
  return {
    name: 'kubelet',
    command: clusterPaths(ctx.config).bin('kubelet'),
    args: [
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${ctx.kubeconfigOf('kubelet')}`,
      `--root-dir=${paths.kubeletRoot}`,
      `--cert-dir=${join(paths.kubeletRoot, 'pki')}`,
      `--hostname-override=${REAL_NODE_NAME}`,
      `--node-ip=${NODE_IP}`,
      '--node-labels=topology.kubernetes.io/zone=zone-a',
      '--v=1',
    ],
    port: ctx.config.kubeletPort,
    ready: async () => (await httpStatus(`http://127.0.0.1:${ctx.config.kubeletHealthzPort}/healthz`)) === 200,
    startTimeoutMs: 120_000,
  };
}

export const INGRESS_CLASS = 'traefik';
/** The Gateway cluster:up --real creates for HTTPRoutes (k8s/real-node-values.yaml attaches to it). */
export const GATEWAY = { name: 'rate-gateway', namespace: 'default' };
const INGRESS_ACCOUNT = { name: 'rate-ingress', namespace: 'kube-system' };
const NETWORK_POLICY_ACCOUNT = { name: 'rate-network-policy', namespace: 'kube-system' };

type Account = typeof INGRESS_ACCOUNT;
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** A node component's identity: a ServiceAccount bound to a ClusterRole of its own name. */
function accountObjects(account: Account, rules: Rule[]): object[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: account },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: account.name }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: account.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account.name },
      subjects: [{ kind: 'ServiceAccount', ...account }],
    },
  ];
}

/** Applies a component's objects and writes a token of its ServiceAccount (0600). */
async function applyWithToken(ctx: ComponentContext, objects: object[], account: Account, tokenFile: string): Promise<void> {
  const kubectl = (args: string[]) => sh(clusterPaths(ctx.config).bin('kubectl'), [`--kubeconfig=${ctx.kubeconfigOf('admin')}`, ...args]);
  const manifest = join(nodePaths(ctx.config).dir, `${account.name}.json`);
  writeFileSync(manifest, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=cluster-up', '-f', manifest]);
  const token = await kubectl(['create', 'token', account.name, '-n', account.namespace, '--duration=8760h']);
  writeFileSync(tokenFile, token.trim(), { mode: 0o600 });
}

const READ = ['get', 'list', 'watch'];

/** What the NetworkPolicy controller reads: the policies, the pods and namespaces they select, its Node. */
export function networkPolicyObjects(): object[] {
  return accountObjects(NETWORK_POLICY_ACCOUNT, [
    { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: READ },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: READ },
  ]);
}

/**
 * Enforces NetworkPolicy on the pod bridge: kube-router's network-policy controller (built alone,
 * scripts/cluster/go/network-policy). Kube-router because it builds from Go modules here and
 * enforces with iptables and ipsets, which this kernel has; kube-network-policies needs nfqueue,
 * which it lacks. After kube-proxy: both keep chains in the filter table, kube-router's first.
 */
export function networkPolicy(ctx: ComponentContext): ComponentSpec {
  const { config, pki, server } = ctx;
  const paths = nodePaths(config);
  return {
    name: 'network-policy',
    command: clusterPaths(config).bin('network-policy'),
    args: [
      `--server=${server}`,
      `--ca-file=${pki.caCert}`,
      `--token-file=${paths.networkPolicyToken}`,
      `--node-name=${REAL_NODE_NAME}`,
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      `--health-addr=127.0.0.1:${config.networkPolicyHealthPort}`,
    ],
    port: null,
    prepare: () => applyWithToken(ctx, networkPolicyObjects(), NETWORK_POLICY_ACCOUNT, paths.networkPolicyToken),
    ready: async () => (await httpStatus(`http://127.0.0.1:${config.networkPolicyHealthPort}/healthz`)) === 200,
    startTimeoutMs: 60_000,
  };
}

/** What the ingress controller needs in the cluster: its identity and rights, its classes, the Gateway. */
export function ingressObjects(config: ClusterConfig): object[] {
  const gatewayKinds = ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants', 'backendtlspolicies'];
  return [
    ...accountObjects(INGRESS_ACCOUNT, [
      { apiGroups: [''], resources: ['services', 'endpoints', 'secrets', 'nodes', 'namespaces', 'configmaps'], verbs: READ },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: READ },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
      { apiGroups: ['gateway.networking.k8s.io'], resources: gatewayKinds, verbs: READ },
      { apiGroups: ['gateway.networking.k8s.io'], resources: gatewayKinds.map((kind) => `${kind}/status`), verbs: ['update', 'patch'] },
    ]),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: INGRESS_CLASS },
      spec: { controller: 'traefik.io/ingress-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: INGRESS_CLASS },
      spec: { controllerName: 'traefik.io/gateway-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: GATEWAY,
      spec: {
        gatewayClassName: INGRESS_CLASS,
        // Traefik serves a listener on the entry point of the same port.
        listeners: [{ name: 'http', protocol: 'HTTP', port: config.ingressPort, allowedRoutes: { namespaces: { from: 'All' } } }],
      },
    },
  ];
}

export function ingressController(ctx: ComponentContext): ComponentSpec {
  const { config, pki, server } = ctx;
  const provider = (name: string) => [
    `--providers.${name}=true`,
    `--providers.${name}.endpoint=${server}`,
    `--providers.${name}.token=${nodePaths(config).ingressToken}`,
    `--providers.${name}.certAuthFilePath=${pki.caCert}`,
  ];
  return {
    name: 'traefik',
    command: clusterPaths(config).bin('traefik'),
    args: [
      `--entryPoints.web.address=127.0.0.1:${config.ingressPort}`,
      `--entryPoints.traefik.address=127.0.0.1:${config.ingressPingPort}`,
      '--ping=true',
      '--ping.entryPoint=traefik',
      ...provider('kubernetesIngress'),
      ...provider('kubernetesGateway'),
      '--global.checkNewVersion=false',
      '--global.sendAnonymousUsage=false',
      '--log.level=INFO',
    ],
    port: config.ingressPort,
    prepare: () => applyWithToken(ctx, ingressObjects(config), INGRESS_ACCOUNT, nodePaths(config).ingressToken),
    ready: async () => (await httpStatus(`http://127.0.0.1:${config.ingressPingPort}/ping`)) === 200,
    startTimeoutMs: 60_000,
  };
}

/** The real node's components in start order (after the control plane). */
// kube-proxy and the NetworkPolicy controller after the kubelet: they read its Node object's address.
export const REAL_NODE = [containerd, coredns, kubelet, kubeProxy, networkPolicy, ingressController];

/**
 * Stops and removes every pod sandbox (their containers, network namespaces, CNI addresses and
 * mounts) while containerd still runs; the kubelet is already stopped, so nothing recreates them.
 */
export async function removePods(config: ClusterConfig, log: (line: string) => void): Promise<void> {
  const crictl = clusterPaths(config).bin('crictl');
  const endpoint = `unix://${nodePaths(config).socket}`;
  const pods = (await sh(crictl, ['--runtime-endpoint', endpoint, 'pods', '--quiet']).catch(() => '')).split('\n').filter(Boolean);
  if (pods.length === 0) return;
  await sh(crictl, ['--runtime-endpoint', endpoint, '--timeout', '60s', 'rmp', '--force', ...pods]);
  log(`removed ${pods.length} pod sandbox(es)`);
}

/** Shims of this node's containerd left behind (containerd died before the pods were removed). */
export function strayShims(config: ClusterConfig): number[] {
  const socket = nodePaths(config).socket;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv[0].endsWith('containerd-shim-runc-v2') && argv[argv.indexOf('-address') + 1] === socket;
      } catch {
        return false;
      }
    });
}

/** Mount points under the node's directory, deepest first. */
export function nodeMounts(config: ClusterConfig): string[] {
  const dir = nodePaths(config).dir;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point && (point === dir || point.startsWith(`${dir}/`)))
    .map((point) => point.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

/** The kubelet's pod cgroups (cgroupfs driver, cgroup root /), removed leaves first. */
function removeCgroups(): number {
  let removed = 0;
  const prune = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) prune(join(dir, entry.name));
    try {
      rmdirSync(dir);
      removed++;
    } catch {
      // A cgroup that still holds a process stays; the caller reports what is left.
    }
  };
  for (const controller of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', controller, 'kubepods');
    if (existsSync(dir) && statSync(dir).isDirectory()) prune(dir);
  }
  return removed;
}

/**
 * Removes the iptables rules of this node: kube-proxy's (its own --cleanup), any KUBE-* chain left
 * by it, the NetworkPolicy controller or the kubelet (e.g. KUBE-FIREWALL, which the kubelet makes
 * even without its utility chains), in IPv4 and IPv6, the controller's ipsets once no rule refers
 * to them, and the FORWARD rules prepareNetwork added. Only one real node runs per machine, so
 * every KUBE-* chain and set here is this node's.
 */
async function removeRules(config: ClusterConfig): Promise<void> {
  const kubeProxy = clusterPaths(config).bin('kube-proxy');
  if (existsSync(kubeProxy)) await quiet(kubeProxy, ['--cleanup', `--config=${nodePaths(config).kubeProxyConfig}`]);
  for (const family of ['iptables', 'ip6tables'])
    for (const table of ['filter', 'nat', 'mangle']) {
      const dump = (await sh(`${family}-save`, ['-t', table]).catch(() => '')).split('\n');
      // A jump into a KUBE-* chain from a chain that is not one; iptables-save quotes as a shell does.
      for (const rule of dump.filter((line) => /^-A (?!KUBE-)\S+ .*-j KUBE-/.test(line)))
        await quiet('sh', ['-c', `${family} -t ${table} -D ${rule.slice(3)}`]);
      const chains = dump.filter((line) => line.startsWith(':KUBE-')).map((line) => line.slice(1).split(' ')[0]);
      for (const chain of chains) await quiet(family, ['-t', table, '-F', chain]);
      for (const chain of chains) await quiet(family, ['-t', table, '-X', chain]);
    }
  const sets = (await sh('ipset', ['list', '-n']).catch(() => '')).split('\n').filter((name) => name.startsWith('KUBE-'));
  for (const set of sets) await quiet('ipset', ['destroy', set]);
  for (const direction of ['-s', '-d'])
    while (await quiet('iptables', ['-D', 'FORWARD', direction, POD_SUBNET, '-m', 'comment', '--comment', RULE_COMMENT, '-j', 'ACCEPT']));
}

/**
 * After every process stopped: what the node made outside its processes — stray shims, mounts,
 * pod cgroups, iptables rules, the bridge — is removed. Returns what could not be removed.
 */
export async function cleanupNode(config: ClusterConfig, log: (line: string) => void): Promise<string[]> {
  const left: string[] = [];
  for (const pid of strayShims(config)) {
    process.kill(pid, 'SIGKILL');
    log(`killed containerd-shim ${pid} (its containerd was gone)`);
  }
  for (const point of nodeMounts(config)) if (!(await quiet('umount', [point]))) await quiet('umount', ['-l', point]);
  const mounts = nodeMounts(config);
  if (mounts.length > 0) left.push(`mounts: ${mounts.join(', ')}`);
  const owner = otherOwner(config);
  if (owner) {
    // The machine-wide parts (pod cgroups, rules, bridge) are another node's now.
    log(`real node: pod cgroups, iptables rules and bridge left to the real node of ${owner}`);
    return left;
  }
  removeCgroups();
  await removeRules(config);
  if (await quiet('ip', ['link', 'show', BRIDGE])) await sh('ip', ['link', 'delete', BRIDGE]);
  // The Docker engine scripts/images/build.sh started for the images (one that was already running stays).
  await sh('bash', [join(ROOT, 'scripts', 'images', 'docker-engine.sh'), 'down']).then((out) => out.trim() && log(out.trim()));
  if (existsSync(OWNER_FILE) && readFileSync(OWNER_FILE, 'utf8').trim() === config.runDir) rmSync(OWNER_FILE, { force: true });
  log(
    left.length === 0
      ? 'real node cleaned up (pods, mounts, cgroups, iptables rules, bridge, Docker engine)'
      : `real node: could not remove ${left.join('; ')}`,
  );
  return left;
}
