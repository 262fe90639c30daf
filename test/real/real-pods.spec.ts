import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { clusterPaths } from '../harness/cluster';
import { down } from '../harness/cluster';
import { BRIDGE, nodeMounts, nodePaths, realNodeUnsupported, strayShims } from '../harness/cluster';
import { isRunning, readRecord } from '../harness/stack';
import { REAL_NODE_NAME } from '../harness/cluster';
import { ROOT } from '../harness/stack';
import { CHART, eventually, helm, kubectlResult, ok, restrictedNamespace } from '../cluster/test-cluster';
import { realTestCluster } from './real-cluster';
import { Answer, auditedLoop, call, expectAggregated } from './http';
import { scaleOutTests } from './scale-out';
import { PolicyMatrix } from './network-policy';
import { kafkaAuthTests } from './kafka-auth';
import { REAL_NODE_VALUES, upgradeRelease } from './release';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The chart on a real node: the images built from the project's Dockerfile run as pods under
 * containerd with the chart's own security contexts (the namespace enforces the restricted Pod
 * Security Standard), reach Kafka and Redis by Service DNS (CoreDNS), and a rating goes in through
 * the API Service's ClusterIP (kube-proxy) and comes out aggregated.
 */
const config = realTestCluster();
const NAMESPACE = 'rate';
const RUN = randomUUID().slice(0, 8);
/** How long after an API pod is killed a request may still be routed to it (see the kill test). */
const REFUSAL_WINDOW_MS = 5_000;
const unsupported = realNodeUnsupported();
const podNetns = () => (existsSync('/var/run/netns') ? readdirSync('/var/run/netns').filter((name) => name.startsWith('cni-')) : []);
/** Network namespaces of pods before any pod of this suite ran (the node is up, no pod yet). */
const netnsBefore = podNetns();

const kubectlJson = async <T>(args: string[]): Promise<T> =>
  JSON.parse(await ok(kubectlResult(config, [...args, '-n', NAMESPACE, '-o', 'json']))) as T;

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string };
    spec: { nodeName?: string };
    status: { phase: string; conditions?: { type: string; status: string }[] };
  }[];
}

const ready = (pod: PodList['items'][number]) =>
  !pod.metadata.deletionTimestamp && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const apiPods = () => kubectlJson<PodList>(['get', 'pods', '-l', 'app.kubernetes.io/component=api']);

async function apiUrl(): Promise<string> {
  const service = await kubectlJson<{ spec: { clusterIP: string; ports: { port: number }[] } }>(['get', 'service', 'rate-api']);
  return `http://${service.spec.clusterIP}:${service.spec.ports[0].port}`;
}

// Where the suite is expected to run (CI, or RATE_REAL_REQUIRED=1), a machine that cannot run it
// fails loudly; elsewhere (a laptop without root) it is skipped with the reason.
const required = process.env.CI === 'true' || process.env.RATE_REAL_REQUIRED === '1';
const describeReal = unsupported ? describe.skip : describe;
if (unsupported) console.warn(`real pods skipped: ${unsupported}`);
if (unsupported && required) {
  describe('the chart on a real node', () => {
    it('runs on this machine, where it is expected to', () => {
      throw new Error(`the real-node suite cannot run here: ${unsupported}`);
    });
  });
}

describeReal(`the chart on a real node${unsupported ? ` (skipped: ${unsupported})` : ''}`, () => {
  jest.setTimeout(900_000);
  let base = '';

  it('helm install --set replicas=3 --wait starts every pod on the kubelet, under the restricted Pod Security Standard', async () => {
    await restrictedNamespace(config, NAMESPACE);
    const install = await helm(config, [
      'install',
      'rate',
      CHART,
      '-n',
      NAMESPACE,
      ...REAL_NODE_VALUES,
      '--set',
      'replicas=3',
      '--wait',
      '--timeout',
      '10m',
    ]);
    if (install.code !== 0) {
      const pods = await kubectlResult(config, ['get', 'pods', '-n', NAMESPACE, '-o', 'wide']);
      const events = await kubectlResult(config, ['get', 'events', '-n', NAMESPACE, '--sort-by=.lastTimestamp']);
      throw new Error(`helm install failed: ${install.stderr}\n${pods.stdout}\n${events.stdout.split('\n').slice(-30).join('\n')}`);
    }
    const pods = (await kubectlJson<PodList>(['get', 'pods'])).items;
    expect(pods.filter((p) => p.metadata.name.startsWith('rate-api-') && ready(p))).toHaveLength(3);
    for (const component of ['rate-consumer-', 'rate-kafka-0', 'rate-redis-0'])
      expect(pods.some((p) => p.metadata.name.startsWith(component) && ready(p))).toBe(true);
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set([REAL_NODE_NAME]));
    base = await apiUrl();
  });

  it('takes ratings through the API Service (kube-proxy), from all 3 replicas, and aggregates each exactly once', async () => {
    expect(base).not.toBe('');
    const accepted = new Map<string, number>();
    const replicas = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const subject = `real-${RUN}-a${i}`;
      const rate = 1 + (i % 5);
      const answer = await call('POST', `${base}/rate?rate=${rate}&subject=${subject}`);
      expect({ subject, status: answer.status, body: answer.body }).toMatchObject({ status: 202 });
      accepted.set(subject, rate);
      if (answer.replica) replicas.add(answer.replica);
    }
    expect(replicas.size).toBe(3);
    await expectAggregated(base, accepted);
  });

  it.each(['ingress', 'gateway'])(
    'takes ratings through the %s route of the ingress controller (Traefik), from all 3 replicas',
    async (route) => {
      const values = parse(readFileSync(join(ROOT, 'k8s', 'real-node-values.yaml'), 'utf8'));
      const host: string = route === 'ingress' ? values.ingress.host : values.gateway.hostnames[0];
      const edge = `http://127.0.0.1:${config.ingressPort}`;
      const accepted = new Map<string, number>();
      const replicas = new Set<string>();
      let sent = 0;
      let last: Answer | null = null;
      const post = async () => {
        const subject = `real-${RUN}-${route}${sent++}`;
        last = await call('POST', `${edge}/rate?rate=4&subject=${subject}`, host);
        if (last.status === 202) accepted.set(subject, 4);
        if (last.status === 202 && last.replica) replicas.add(last.replica);
        return last.status === 202;
      };
      // The controller programs a route, and learns each endpoint, some time after it appears.
      await eventually(`a 202 through the ${route} route`, post, async () => JSON.stringify(last), 60_000);
      for (let i = 0; i < 300 && (accepted.size < 30 || replicas.size < 3); i++) {
        expect({ status: (await post()) ? 202 : last }).toEqual({ status: 202 });
        if (replicas.size < 3) await sleep(100);
      }
      expect(replicas.size).toBe(3);
      // Routed by the route's host name, not a catch-all: another host reaches nothing.
      expect((await call('POST', `${edge}/rate?rate=4&subject=real-${RUN}-nowhere`, 'nowhere.rate.test')).status).toBe(404);
      if (route === 'gateway') {
        const status = await kubectlJson<{ status: { parents: { conditions: { type: string; status: string }[] }[] } }>([
          'get',
          'httproute',
          'rate',
        ]);
        expect(status.status.parents[0].conditions).toEqual(
          expect.arrayContaining([expect.objectContaining({ type: 'Accepted', status: 'True' })]),
        );
      }
      await expectAggregated(base, accepted);
    },
  );

  it('rolls the API (kubectl rollout restart) under audited load through the ingress controller without failing one request', async () => {
    const values = parse(readFileSync(join(ROOT, 'k8s', 'real-node-values.yaml'), 'utf8'));
    const before = (await apiPods()).items.map((p) => p.metadata.name);
    const load = auditedLoop(`http://127.0.0.1:${config.ingressPort}`, `real-${RUN}-roll`, {
      clients: 8,
      host: values.ingress.host,
      pauseMs: 20,
    });
    await sleep(3000);
    await ok(kubectlResult(config, ['rollout', 'restart', 'deployment/rate-api', '-n', NAMESPACE]));
    await ok(kubectlResult(config, ['rollout', 'status', 'deployment/rate-api', '-n', NAMESPACE, '--timeout=5m']));
    // The last old pod drains and exits after the rollout reports done: keep the load on until it is gone.
    await eventually(
      'the old API pods gone',
      async () => (await apiPods()).items.every((p) => !before.includes(p.metadata.name)),
      async () => JSON.stringify((await apiPods()).items.map((p) => p.metadata.name)),
      120_000,
    );
    await sleep(3000);
    await load.stop();
    console.log(
      `rollout restart through the ingress: ${load.sent()} requests, ${load.accepted.size} accepted, ${load.other.length} not` +
        load.other
          .slice(0, 10)
          .map((o) => `; ${o.subject} at ${new Date(o.at).toISOString()}: ${o.answer}`)
          .join(''),
    );
    expect(load.other).toEqual([]);
    await expectAggregated(base, load.accepted);
  });

  it('passes helm test (the chart test pod, for real)', async () => {
    const result = await helm(config, ['test', 'rate', '-n', NAMESPACE, '--timeout', '5m']);
    expect({ code: result.code, out: result.stdout + result.stderr }).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/Phase:\s+Succeeded/);
    // Its rating went in under a subject of its own, and it took it out again.
    const uid = (await kubectlJson<{ metadata: { uid: string } }>(['get', 'pod', 'rate-test'])).metadata.uid;
    const logs = await ok(kubectlResult(config, ['logs', 'rate-test', '-n', NAMESPACE, '--all-containers']));
    expect(logs).toContain('rating aggregated');
    expect(logs).toContain(`deleted subject helm-test.${uid}`);
    const left = await call('GET', `${base}/rate?subject=helm-test.${uid}`);
    expect({ status: left.status, count: JSON.parse(left.body).count }).toEqual({ status: 200, count: 0 });
  });

  describe('NetworkPolicy, enforced on the node (kube-router)', () => {
    const matrix = new PolicyMatrix(config);

    it("refuses Redis, Kafka, the consumer's health port and the API's /metrics to pods outside the allowed set; the ingress controller and the apps get through", async () => {
      await matrix.start();
      console.log(await matrix.expectMatrix((probe) => probe.allowed, 'policies on'));
    });

    it('lets the same probes through with networkPolicy.enabled=false (so the test above can fail), and refuses them again once back on', async () => {
      await upgradeRelease(config, ['networkPolicy.enabled=false']);
      console.log(await matrix.expectMatrix(() => true, 'networkPolicy.enabled=false'));
      await upgradeRelease(config, ['networkPolicy.enabled=true']);
      await matrix.expectMatrix((probe) => probe.allowed, 'policies on again');
      await matrix.stop();
    });
  });

  it('restarts an API container killed with SIGKILL and replaces a force-deleted API pod, losing no accepted rating', async () => {
    const before = (await apiPods()).items.filter(ready).map((p) => p.metadata.name);
    expect(before).toHaveLength(3);
    const [killed, deleted] = before;
    const accepted = new Map<string, number>();
    const refused: { subject: string; sentAt: number; why: string }[] = [];
    let recovered = false;
    let sent = 0;
    const load = (async () => {
      // Until the killed container is back, the deleted pod replaced, and a few seconds more.
      for (let extra = 0; extra < 40;) {
        const subject = `real-${RUN}-k${sent}`;
        const rate = 1 + (sent % 5);
        sent++;
        const sentAt = Date.now();
        const answer = await call('POST', `${base}/rate?rate=${rate}&subject=${subject}`);
        if (answer.status === 202) accepted.set(subject, rate);
        else refused.push({ subject, sentAt, why: `${answer.status} ${answer.body.slice(0, 80)}` });
        if (recovered) extra++;
        await sleep(50);
      }
    })();
    await sleep(3000);
    // SIGKILL the API process itself, as the kernel's OOM killer would: no drain, sockets reset.
    const crictl = (args: string[]) =>
      execFileSync(clusterPaths(config).bin('crictl'), ['--runtime-endpoint', `unix://${nodePaths(config).socket}`, ...args], {
        encoding: 'utf8',
      });
    const container = crictl(['ps', '--quiet', '--label', `io.kubernetes.pod.name=${killed}`]).trim();
    const pid = (JSON.parse(crictl(['inspect', '--output', 'json', container])) as { info: { pid: number } }).info.pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await ok(kubectlResult(config, ['delete', 'pod', deleted, '-n', NAMESPACE, '--grace-period=0', '--force']));
    const restarts = async () =>
      (await kubectlJson<{ status: { containerStatuses: { restartCount: number }[] } }>(['get', 'pod', killed])).status.containerStatuses[0]
        .restartCount;
    await eventually(
      `${killed} restarted and a replacement for ${deleted}`,
      async () => {
        const now = (await apiPods()).items.filter(ready).map((p) => p.metadata.name);
        return now.length === 3 && now.includes(killed) && !now.includes(deleted) && (await restarts()) >= 1;
      },
      async () => JSON.stringify((await apiPods()).items.map((p) => [p.metadata.name, p.status.phase, ready(p)])),
      300_000,
    ).finally(() => (recovered = true));
    await load;
    const offsets = refused.map((r) => ((r.sentAt - killedAt) / 1000).toFixed(1));
    console.log(
      `SIGKILLed ${killed} (pid ${pid}), deleted ${deleted}: ${sent} requests, ${accepted.size} accepted, ${refused.length} refused, sent ${offsets.join(', ')} s after the kill${
        refused.length
          ? ` (e.g. ${refused
              .slice(0, 3)
              .map((r) => `${r.subject}: ${r.why}`)
              .join('; ')})`
          : ''
      }`,
    );
    // Two dead endpoints stay in kube-proxy's rules until the kubelet saw the container die (PLEG,
    // ≈ 1 s) or the pod object was deleted, the EndpointSlice changed and kube-proxy resynced
    // (≈ 1 s more): a request sent to one of them then is refused at once (the pod's port closed,
    // or no pod behind the address). Nothing else may fail: no 5xx, no hang, nothing after that window.
    const late = refused.filter((r) => r.sentAt - killedAt > REFUSAL_WINDOW_MS);
    const notRefusals = refused.filter((r) => !/^0 (connect ECONNREFUSED|read ECONNRESET|socket hang up)/.test(r.why));
    expect({ late, notRefusals }).toEqual({ late: [], notRefusals: [] });
    await expectAggregated(base, accepted);
  });

  // Last on the default release (the scale-out tests replace it): its brokers restart with new listeners.
  kafkaAuthTests(config, () => base);

  scaleOutTests(config);

  it('cluster:down leaves no process, container, mount, network namespace, cgroup, iptables rule, ipset or bridge behind', async () => {
    await down(config, false, () => undefined);
    const pids = clusterPaths(config).pids;
    const running = readdirSync(pids).filter((file) => isRunning(readRecord(join(pids, file))));
    const rules = ['iptables-save', 'ip6tables-save'].flatMap((save) =>
      execFileSync(save, { encoding: 'utf8' })
        .split('\n')
        .filter((l) => /KUBE-|rate-real-node/.test(l)),
    );
    const bridge = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).includes(`${BRIDGE}:`);
    const sets = execFileSync('ipset', ['list', '-n'], { encoding: 'utf8' })
      .split('\n')
      .filter((name) => name.startsWith('KUBE-'));
    expect({
      running,
      shims: strayShims(config),
      mounts: nodeMounts(config),
      netns: podNetns().filter((name) => !netnsBefore.includes(name)),
      cgroups: existsSync('/sys/fs/cgroup/cpu/kubepods') || existsSync('/sys/fs/cgroup/memory/kubepods'),
      rules,
      sets,
      bridge,
    }).toEqual({ running: [], shims: [], mounts: [], netns: [], cgroups: false, rules: [], sets: [], bridge: false });
  });
});
