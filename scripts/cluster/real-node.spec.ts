import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readVersions, ROOT } from '../stack/stack-config';
import { clusterConfig } from './cluster-config';
import { ComponentContext } from './components';
import { pkiPaths } from './pki';
import { BRIDGE, NODE_IP, nodeImages, nodePaths, POD_SUBNET, qualified, REAL_NODE, staleImages, writeNodeConfigs } from './real-node';

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

  it('starts kube-proxy after the kubelet registered the node', () => {
    const names = REAL_NODE.map((factory) => factory(context('/tmp/rate-node-order')).name);
    expect(names).toEqual(['containerd', 'coredns', 'kubelet', 'kube-proxy', 'traefik']);
  });
});
