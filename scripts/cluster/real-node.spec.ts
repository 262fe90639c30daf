import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readVersions, ROOT } from '../stack/stack-config';
import { clusterConfig } from './cluster-config';
import { pkiPaths } from './pki';
import { ComponentContext, SERVICE_CLUSTER_IP_RANGE } from './components';
import { REAL_NODE_NAME } from './pki';
import {
  BRIDGE,
  NODE_IP,
  nodeImages,
  nodePaths,
  networkPolicy,
  networkPolicyObjects,
  POD_SUBNET,
  qualified,
  REAL_NODE,
  staleImages,
  writeNodeConfigs,
} from './real-node';

function context(runDir: string): ComponentContext {
  const config = {
    ...clusterConfig({ RATE_CLUSTER_DIR: runDir, RATE_CLUSTER_KUBELET_PORT: '31001', RATE_CLUSTER_KUBELET_HEALTHZ_PORT: '31002' }),
    nodes: 0,
  };
  return {
    config,
    pki: pkiPaths(join(runDir, 'pki')),
    admin: {} as ComponentContext['admin'],
    server: 'https://127.0.0.1:1',
    kubeconfigOf: (client) => join(runDir, `${client}.kubeconfig`),
  };
}

describe('real node', () => {
  it('names images as containerd does for Docker references', () => {
    expect(qualified('rate-api:0.1.0')).toBe('docker.io/library/rate-api:0.1.0');
    expect(qualified('rate-local/kafka:4.1.1')).toBe('docker.io/rate-local/kafka:4.1.1');
    expect(qualified('ghcr.io/org/app:1')).toBe('ghcr.io/org/app:1');
    expect(qualified('localhost:5000/app:1')).toBe('localhost:5000/app:1');
  });

  it('lets the node itself through the chart policy: Traefik and CoreDNS run on the node, not in pods', () => {
    const { networkPolicy } = parse(readFileSync(join(ROOT, 'k8s', 'real-node-values.yaml'), 'utf8'));
    for (const peers of [networkPolicy.extraIngressFrom, networkPolicy.gatewayFrom, networkPolicy.dns])
      expect(peers).toEqual([{ ipBlock: { cidr: `${NODE_IP}/32` } }]);
  });

  it('runs the NetworkPolicy controller for this node, the Service range and its own health port, with read-only rights', () => {
    const ctx = context('/tmp/rate-node-netpol');
    const spec = networkPolicy(ctx);
    expect(spec.args).toEqual(
      expect.arrayContaining([
        `--node-name=${REAL_NODE_NAME}`,
        `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
        `--health-addr=127.0.0.1:${ctx.config.networkPolicyHealthPort}`,
        `--token-file=${nodePaths(ctx.config).networkPolicyToken}`,
      ]),
    );
    const role = networkPolicyObjects().find((o) => (o as { kind: string }).kind === 'ClusterRole') as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    expect(role.rules.flatMap((r) => r.resources).sort()).toEqual(['namespaces', 'networkpolicies', 'nodes', 'pods']);
    expect(new Set(role.rules.flatMap((r) => r.verbs))).toEqual(new Set(['get', 'list', 'watch']));
    // The wrapper the binary is built from pins kube-router at the version versions.env names.
    const build = readFileSync(join(ROOT, 'scripts', 'cluster', 'build-node-tools.sh'), 'utf8');
    expect(build).toContain('-require="$KUBE_ROUTER_MODULE@$KUBE_ROUTER_VERSION"');
    expect(readVersions().KUBE_ROUTER_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  it('reloads an image rebuilt under the same tag, and only what containerd lacks or holds in another build', () => {
    const built = new Map([
      ['rate-api:0.1.0', 'sha256:new'],
      ['rate-consumer:0.1.0', 'sha256:same'],
      ['rate-local/kafka:4.1.1', 'sha256:kafka'],
    ]);
    const present = [
      { id: 'sha256:old', repoTags: ['docker.io/library/rate-api:0.1.0'] },
      { id: 'sha256:same', repoTags: ['docker.io/library/rate-consumer:0.1.0'] },
    ];
    expect(staleImages(built, present)).toEqual(['rate-api:0.1.0', 'rate-local/kafka:4.1.1']);
    expect(staleImages(new Map([['rate-consumer:0.1.0', 'sha256:same']]), present)).toEqual([]);
  });

  it('loads the images the local chart values name, and the sandbox image build.sh makes', () => {
    const values = parse(readFileSync(join(ROOT, 'k8s', 'local-images-values.yaml'), 'utf8'));
    const { sandbox, chart } = nodeImages();
    expect(chart).toContain(`${values.kafka.image.repository}:${values.kafka.image.tag}`);
    expect(chart).toContain(values.tests.image);
    expect(sandbox).toBe(`rate-local/pause:${readVersions().KUBERNETES_VERSION}`);
    expect(readFileSync(join(ROOT, 'scripts', 'images', 'build.sh'), 'utf8')).toContain(
      'pause_image="rate-local/pause:$KUBERNETES_VERSION"',
    );
  });

  it('writes containerd, CNI, kubelet and kube-proxy configurations that agree on socket, subnet, node address and ports', () => {
    const ctx = context(mkdtempSync(join(tmpdir(), 'rate-node-')));
    writeNodeConfigs(ctx);
    const paths = nodePaths(ctx.config);
    const kubelet = JSON.parse(readFileSync(paths.kubeletConfig, 'utf8'));
    expect(kubelet).toMatchObject({
      containerRuntimeEndpoint: `unix://${paths.socket}`,
      clusterDNS: [NODE_IP],
      address: NODE_IP,
      port: 31001,
      healthzPort: 31002,
      cgroupDriver: 'cgroupfs',
    });
    const proxy = JSON.parse(readFileSync(paths.kubeProxyConfig, 'utf8'));
    expect(proxy).toMatchObject({ clusterCIDR: POD_SUBNET, mode: 'iptables' });
    const cni = JSON.parse(readFileSync(join(paths.cniConf, '10-rate.conflist'), 'utf8'));
    expect(cni.plugins[0]).toMatchObject({
      type: 'bridge',
      bridge: BRIDGE,
      ipam: { ranges: [[{ subnet: POD_SUBNET, gateway: NODE_IP }]] },
    });
    const containerd = readFileSync(paths.containerdConfig, 'utf8');
    expect(containerd).toContain(`address = ${JSON.stringify(paths.socket)}`);
    expect(containerd).toContain(`conf_dir = ${JSON.stringify(paths.cniConf)}`);
    expect(containerd).toContain(`sandbox_image = "docker.io/${nodeImages().sandbox}"`);
    expect(readFileSync(paths.corefile, 'utf8')).toContain(`bind ${NODE_IP}`);
  });

  it('refuses a run directory too long for containerd socket path, before writing anything', () => {
    const ctx = context(join(tmpdir(), 'x'.repeat(90)));
    expect(() => writeNodeConfigs(ctx)).toThrow(/too long for containerd's socket path/);
  });

  it('starts kube-proxy and the NetworkPolicy controller after the kubelet registered the node', () => {
    const names = REAL_NODE.map((factory) => factory(context('/tmp/rate-node-order')).name);
    expect(names).toEqual(['containerd', 'coredns', 'kubelet', 'kube-proxy', 'network-policy', 'traefik']);
  });
});
