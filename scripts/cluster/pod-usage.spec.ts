import { componentUsage, CrictlPods, CrictlStats, usageTable } from './pod-usage';

const container = (id: string, pod: string, namespace: string, at: number, cpuNs: number, memory: number) => ({
  attributes: { id, labels: { 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.namespace': namespace } },
  cpu: { timestamp: String(at), usageCoreNanoSeconds: { value: String(cpuNs) } },
  memory: { workingSetBytes: { value: String(memory) } },
});
const pod = (name: string, namespace: string, component?: string) => ({
  metadata: { name, namespace },
  labels: (component ? { 'app.kubernetes.io/component': component } : {}) as Record<string, string>,
});
const S = 1e9;

describe('pod usage', () => {
  const pods: CrictlPods = {
    items: [pod('rate-kafka-0', 'rate', 'kafka'), pod('rate-kafka-1', 'rate', 'kafka'), pod('coredns', 'kube-system')],
  };
  const before: CrictlStats = {
    stats: [
      container('k0', 'rate-kafka-0', 'rate', 0, 1 * S, 0),
      container('s0', 'rate-kafka-0', 'rate', 0, 0, 0),
      container('k1', 'rate-kafka-1', 'rate', 0, 5 * S, 0),
      container('dns', 'coredns', 'kube-system', 0, 0, 0),
      container('gone', 'rate-kafka-1', 'rate', 0, 0, 0),
    ],
  };
  const after: CrictlStats = {
    stats: [
      // 10 s apart: 0.5 + 0.1 + 0.2 cores for the kafka component, over 2 pods and 3 containers.
      container('k0', 'rate-kafka-0', 'rate', 10 * S, 6 * S, 500 * 2 ** 20),
      container('s0', 'rate-kafka-0', 'rate', 10 * S, 1 * S, 40 * 2 ** 20),
      container('k1', 'rate-kafka-1', 'rate', 10 * S, 7 * S, 400 * 2 ** 20),
      container('dns', 'coredns', 'kube-system', 10 * S, 0.1 * S, 20 * 2 ** 20),
      // Started between the readings: no rate can be known yet.
      container('new', 'rate-kafka-1', 'rate', 10 * S, 3 * S, 10 * 2 ** 20),
    ],
  };

  it('sums CPU cores over the window and the working set per component, leaving out containers not seen twice', () => {
    const rows = componentUsage(before, after, pods);
    expect(rows).toEqual([
      { namespace: 'kube-system', component: 'coredns', pods: 1, containers: 1, cpuCores: 0.01, memoryBytes: 20 * 2 ** 20 },
      { namespace: 'rate', component: 'kafka', pods: 2, containers: 3, cpuCores: expect.closeTo(0.8, 9), memoryBytes: 940 * 2 ** 20 },
    ]);
  });

  it('prints a Markdown table with a total per namespace', () => {
    const table = usageTable(componentUsage(before, after, pods), 10);
    expect(table.split('\n')).toEqual([
      '| namespace | component | pods | CPU (mean over 10 s) | memory (working set) |',
      '|---|---|---|---|---|',
      '| kube-system | coredns | 1 | 10m | 20 MiB |',
      '| kube-system | **total** | 1 | 10m | 20 MiB |',
      '| rate | kafka | 2 | 800m | 940 MiB |',
      '| rate | **total** | 2 | 800m | 940 MiB |',
    ]);
  });
});
