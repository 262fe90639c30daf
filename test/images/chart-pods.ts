import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCpuQuantity } from '../harness/stack';
import { K8sObject } from '../chart/render';

/**
 * The chart's pods run under `docker run` the way a kubelet would run them: the rendered pod
 * spec's security contexts (user, read-only root, dropped capabilities, no privilege escalation),
 * environment (ConfigMaps, Secrets, the downward API's pod name), volumes (emptyDir and claims as
 * world-writable host directories, as the kubelet makes an emptyDir), resource limits, command/args, and the Services that select a pod as DNS names on a
 * Docker network — so clients reach Kafka and Redis by the names the chart gives them.
 */
export interface ChartPod {
  name: string;
  component: string;
  labels: Record<string, string>;
  spec: any;
  container: any;
}

export function chartPods(objects: K8sObject[]): ChartPod[] {
  const pods: ChartPod[] = [];
  for (const o of objects) {
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') {
      const template = o.spec.template;
      const claims = (o.spec.volumeClaimTemplates ?? []).map((c: any) => ({ name: c.metadata.name, emptyDir: {} }));
      const spec = { ...template.spec, volumes: [...(template.spec.volumes ?? []), ...claims] };
      for (let i = 0; i < (o.spec.replicas ?? 1); i++) {
        pods.push(pod(`${o.metadata.name}-${o.kind === 'StatefulSet' ? i : `r${i}`}`, template.metadata.labels, spec));
      }
    } else if (o.kind === 'Pod') {
      pods.push(pod(o.metadata.name, o.metadata.labels ?? {}, o.spec));
    }
  }
  return pods;
}

function pod(name: string, labels: Record<string, string>, spec: any): ChartPod {
  if (spec.containers.length !== 1) throw new Error(`pod ${name}: only single-container pods are translated`);
  return { name, component: labels['app.kubernetes.io/component'] ?? name, labels, spec, container: spec.containers[0] };
}

/** DNS names of the Services whose selector matches the pod: `svc` and `svc.<ns>.svc.cluster.local`. */
export function serviceNames(objects: K8sObject[], target: ChartPod, namespace: string): string[] {
  return objects
    .filter((o) => o.kind === 'Service' && o.spec.selector)
    .filter((s) => Object.entries(s.spec.selector as Record<string, string>).every(([k, v]) => target.labels[k] === v))
    .flatMap((s) => [s.metadata.name, `${s.metadata.name}.${namespace}.svc.cluster.local`]);
}

/** Every variable the container gets, resolved as the kubelet would. */
export function containerEnv(objects: K8sObject[], target: ChartPod): Record<string, string> {
  const source = (kind: string, name: string) => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name) as any;
    if (!o) throw new Error(`pod ${target.name}: no ${kind} ${name} in the release`);
    if (kind === 'ConfigMap') return o.data ?? {};
    const decoded: Record<string, string> = { ...(o.stringData ?? {}) };
    for (const [k, v] of Object.entries(o.data ?? {})) decoded[k] = Buffer.from(v as string, 'base64').toString('utf8');
    return decoded;
  };
  const env: Record<string, string> = {};
  for (const from of target.container.envFrom ?? []) {
    Object.assign(env, from.configMapRef ? source('ConfigMap', from.configMapRef.name) : source('Secret', from.secretRef.name));
  }
  for (const e of target.container.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = target.name;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = source('Secret', e.valueFrom.secretKeyRef.name)[e.valueFrom.secretKeyRef.key];
    else if (e.valueFrom?.configMapKeyRef)
      env[e.name] = source('ConfigMap', e.valueFrom.configMapKeyRef.name)[e.valueFrom.configMapKeyRef.key];
    else throw new Error(`pod ${target.name}: env ${e.name} has an unsupported source`);
  }
  return env;
}

const MEMORY_UNITS: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
export function parseMemoryQuantity(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G|)$/.exec(String(quantity));
  if (!m) throw new Error(`unsupported memory quantity ${quantity}`);
  return Number(m[1]) * MEMORY_UNITS[m[2]];
}

/** `docker run` arguments (before the image's arguments) that reproduce the pod's runtime settings. */
export function dockerRunArgs(
  objects: K8sObject[],
  target: ChartPod,
  options: { namespace: string; network: string; prefix: string; label: string; volumesDir: string },
): string[] {
  const podSecurity = target.spec.securityContext ?? {};
  const security = { ...podSecurity, ...(target.container.securityContext ?? {}) };
  const args = [
    '--name',
    `${options.prefix}-${target.name}`,
    '--hostname',
    target.name,
    '--network',
    options.network,
    '--label',
    options.label,
  ];
  for (const alias of serviceNames(objects, target, options.namespace)) args.push('--network-alias', alias);

  if (security.runAsUser !== undefined) args.push('--user', `${security.runAsUser}:${security.runAsGroup ?? security.runAsUser}`);
  if (security.runAsNonRoot && security.runAsUser === 0) throw new Error(`pod ${target.name}: runAsNonRoot with runAsUser 0`);
  if (podSecurity.fsGroup !== undefined) args.push('--group-add', String(podSecurity.fsGroup));
  if (security.readOnlyRootFilesystem) args.push('--read-only');
  if (security.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  for (const cap of security.capabilities?.drop ?? []) args.push('--cap-drop', cap);
  for (const cap of security.capabilities?.add ?? []) args.push('--cap-add', cap);
  const seccomp = security.seccompProfile?.type;
  if (seccomp && seccomp !== 'RuntimeDefault') throw new Error(`pod ${target.name}: seccomp ${seccomp} is not translated`);

  const volumes = new Map<string, any>((target.spec.volumes ?? []).map((v: any) => [v.name, v]));
  for (const mount of target.container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume?.emptyDir) throw new Error(`pod ${target.name}: volume ${mount.name} is not an emptyDir or a claim`);
    // An emptyDir (and a fresh claim) is an empty host directory every user of the pod can write,
    // as the kubelet makes it (a Docker tmpfs over a directory of the image keeps the image's mode).
    const dir = join(options.volumesDir, target.name, mount.name);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    args.push('--mount', `type=bind,source=${dir},destination=${mount.mountPath}`);
  }

  const limits = target.container.resources?.limits ?? {};
  if (limits.cpu !== undefined) args.push('--cpus', String(parseCpuQuantity(limits.cpu) / 1000));
  if (limits.memory !== undefined) args.push('--memory', String(parseMemoryQuantity(limits.memory)));

  for (const [name, value] of Object.entries(containerEnv(objects, target))) args.push('--env', `${name}=${value}`);
  if (target.container.command) args.push('--entrypoint', target.container.command[0]);
  return args;
}

/** What follows the image on the `docker run` line: the rest of `command`, then `args`. */
export function imageArgs(target: ChartPod): string[] {
  return [...(target.container.command ?? []).slice(1), ...(target.container.args ?? [])];
}

export function containerPort(target: ChartPod, port: string | number): number {
  if (typeof port === 'number') return port;
  const found = (target.container.ports ?? []).find((p: any) => p.name === port);
  if (!found) throw new Error(`pod ${target.name}: no port named ${port}`);
  return found.containerPort;
}

/**
 * The command that answers a probe as the kubelet would: exec runs inside the container;
 * httpGet and tcpSocket are tried from a prober container on the same network.
 */
export function probeCommand(target: ChartPod, probe: any, containerName: string, prober: string): string[] {
  if (probe.exec) return ['exec', containerName, ...probe.exec.command];
  if (probe.httpGet) {
    const url = `http://${containerName}:${containerPort(target, probe.httpGet.port)}${probe.httpGet.path ?? '/'}`;
    return ['exec', prober, 'curl', '-fsS', '-o', '/dev/null', '--max-time', String(probe.timeoutSeconds ?? 1), url];
  }
  if (probe.tcpSocket) {
    const port = containerPort(target, probe.tcpSocket.port);
    return ['exec', prober, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${containerName}/${port}`];
  }
  throw new Error(`pod ${target.name}: unsupported probe ${JSON.stringify(probe)}`);
}

export function docker(args: string[], timeout = 120_000) {
  const result = spawnSync('docker', args, { encoding: 'utf8', timeout });
  return { status: result.status, stdout: (result.stdout ?? '').trim(), stderr: (result.stderr ?? '').trim() };
}
