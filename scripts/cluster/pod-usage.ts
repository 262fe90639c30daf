/**
 * CPU and memory of the pods on the real node, from the container runtime's own counters (the
 * numbers the kubelet reports): CPU as cores averaged over a window between two `crictl stats`
 * readings, memory as the working set (what the kernel would not reclaim; what limits count) at the
 * end of it. Grouped by namespace and the chart's component label.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ClusterConfig, clusterPaths } from './cluster-config';
import { nodePaths } from './real-node';

interface CrictlValue {
  value: string;
}

export interface CrictlStats {
  stats: {
    attributes: { id: string; labels: Record<string, string> };
    cpu?: { timestamp: string; usageCoreNanoSeconds?: CrictlValue };
    memory?: { workingSetBytes?: CrictlValue };
  }[];
}

export interface CrictlPods {
  items: { metadata: { name: string; namespace: string }; labels: Record<string, string> }[];
}

export interface ComponentUsage {
  namespace: string;
  component: string;
  pods: number;
  containers: number;
  cpuCores: number;
  memoryBytes: number;
}

const POD = 'io.kubernetes.pod.name';
const NAMESPACE = 'io.kubernetes.pod.namespace';

/** Usage per (namespace, component) between two readings; a container missing from either is left out. */
export function componentUsage(before: CrictlStats, after: CrictlStats, pods: CrictlPods): ComponentUsage[] {
  const earlier = new Map(before.stats.map((s) => [s.attributes.id, s]));
  const componentOf = new Map(
    pods.items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.labels['app.kubernetes.io/component'] ?? p.metadata.name]),
  );
  const groups = new Map<string, ComponentUsage & { podNames: Set<string> }>();
  for (const now of after.stats) {
    const then = earlier.get(now.attributes.id);
    const cpu = (s: typeof now) => Number(s.cpu?.usageCoreNanoSeconds?.value ?? NaN);
    const at = (s: typeof now) => Number(s.cpu?.timestamp ?? NaN);
    if (!then || !(at(now) > at(then)) || Number.isNaN(cpu(now) - cpu(then))) continue;
    const namespace = now.attributes.labels[NAMESPACE];
    const pod = now.attributes.labels[POD];
    const component = componentOf.get(`${namespace}/${pod}`) ?? pod;
    const key = `${namespace}/${component}`;
    const group = groups.get(key) ?? { namespace, component, pods: 0, containers: 0, cpuCores: 0, memoryBytes: 0, podNames: new Set() };
    group.podNames.add(pod);
    group.pods = group.podNames.size;
    group.containers++;
    group.cpuCores += (cpu(now) - cpu(then)) / (at(now) - at(then));
    group.memoryBytes += Number(now.memory?.workingSetBytes?.value ?? 0);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map(({ podNames: _, ...usage }) => usage)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.component.localeCompare(b.component));
}

/** A Markdown table, one row per component and a total per namespace. */
export function usageTable(rows: ComponentUsage[], seconds: number): string {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const cores = (value: number) => `${(value * 1000).toFixed(0)}m`;
  const lines = [`| namespace | component | pods | CPU (mean over ${seconds} s) | memory (working set) |`, '|---|---|---|---|---|'];
  for (const namespace of [...new Set(rows.map((r) => r.namespace))]) {
    const own = rows.filter((r) => r.namespace === namespace);
    for (const r of own) lines.push(`| ${namespace} | ${r.component} | ${r.pods} | ${cores(r.cpuCores)} | ${mib(r.memoryBytes)} |`);
    const sum = (pick: (r: ComponentUsage) => number) => own.reduce((total, r) => total + pick(r), 0);
    lines.push(
      `| ${namespace} | **total** | ${sum((r) => r.pods)} | ${cores(sum((r) => r.cpuCores))} | ${mib(sum((r) => r.memoryBytes))} |`,
    );
  }
  return lines.join('\n');
}

/** Reads the real node's counters twice, `seconds` apart. */
export async function measurePodUsage(config: ClusterConfig, seconds: number, namespace?: string): Promise<ComponentUsage[]> {
  const socket = nodePaths(config).socket;
  if (!existsSync(socket)) throw new Error(`no real node is running (no ${socket}): npm run cluster:up -- --real`);
  const crictl = async <T>(args: string[]): Promise<T> => {
    const { stdout } = await promisify(execFile)(
      clusterPaths(config).bin('crictl'),
      ['--runtime-endpoint', `unix://${socket}`, ...args, '-o', 'json'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return JSON.parse(stdout) as T;
  };
  const before = await crictl<CrictlStats>(['stats']);
  await sleep(seconds * 1000);
  const [after, pods] = await Promise.all([crictl<CrictlStats>(['stats']), crictl<CrictlPods>(['pods', '--state', 'ready'])]);
  const rows = componentUsage(before, after, pods);
  return namespace === undefined ? rows : rows.filter((r) => r.namespace === namespace);
}
