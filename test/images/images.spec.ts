import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../harness/stack';
import { CHART, K8sObject, run, TOOL } from '../chart/render';
import { ChartPod, chartPods, docker, dockerRunArgs, imageArgs, probeCommand } from './chart-pods';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The images built from the project's Dockerfile (on local bases: no registry here) run the
 * chart's pods under `docker run` with the chart's own security contexts — non-root, read-only
 * root filesystem, all capabilities dropped, no privilege escalation — beside the local Kafka and
 * Redis images, reached by their Service DNS names. A rating goes in through each API replica and
 * comes out aggregated, and the chart's `helm test` pod passes. Needs a Docker engine (root): where
 * scripts/images/build.sh cannot start or reach one, the build step fails and says why.
 */
const NAMESPACE = 'rate';
const RUN_ID = randomUUID().slice(0, 8);
const NETWORK = `rate-smoke-${RUN_ID}`;
const LABEL = `rate.smoke=${RUN_ID}`;
const PREFIX = `smoke-${RUN_ID}`;
const PROBER = `${PREFIX}-prober`;
const API_REPLICAS = 2;
const VOLUMES = mkdtempSync(join(tmpdir(), 'rate-smoke-volumes-'));
const RUN_OPTIONS = { namespace: NAMESPACE, network: NETWORK, prefix: PREFIX, label: LABEL, volumesDir: VOLUMES };

const containerName = (pod: ChartPod) => `${PREFIX}-${pod.name}`;

function render(): K8sObject[] {
  const args = [
    'template',
    'rate',
    CHART,
    '--namespace',
    NAMESPACE,
    '-f',
    join(ROOT, 'k8s', 'local-images-values.yaml'),
    '--set',
    `replicas=${API_REPLICAS}`,
    // The spec names each answering replica by its x-replica header, off by default in the chart.
    '--set',
    'config.replicaHeader=true',
  ];
  const result = run(TOOL('helm'), args);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function must(result: ReturnType<typeof docker>, what: string) {
  if (result.status !== 0) throw new Error(`${what} failed (${result.status}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

function logsOf(name: string): string {
  const logs = docker(['logs', '--tail', '40', name]);
  return `--- docker logs ${name} ---\n${logs.stdout}\n${logs.stderr}`;
}

/**
 * Waits for the pod's readinessProbe, acting as the kubelet meanwhile: once the startupProbe (if
 * any) passed and initialDelaySeconds are over, a livenessProbe failing failureThreshold times in
 * a row (one try per periodSeconds) restarts the container.
 * Returns how many times it was restarted.
 */
async function untilReady(pod: ChartPod, timeoutMs = 300_000): Promise<number> {
  const name = containerName(pod);
  const { readinessProbe: readiness, livenessProbe: liveness, startupProbe: startup } = pod.container;
  if (!readiness) throw new Error(`pod ${pod.name} has no readinessProbe`);
  const deadline = Date.now() + timeoutMs;
  let started = !startup;
  let livenessFailures = 0;
  // Liveness is first checked initialDelaySeconds after the container (re)started, then every period.
  const firstLiveness = () => Date.now() + ((liveness?.initialDelaySeconds ?? 0) - (liveness?.periodSeconds ?? 10)) * 1000;
  let lastLiveness = firstLiveness();
  let restarts = 0;
  for (;;) {
    if (!started) started = docker(probeCommand(pod, startup, name, PROBER), 30_000).status === 0;
    if (started && docker(probeCommand(pod, readiness, name, PROBER), 30_000).status === 0) return restarts;
    if (started && liveness && Date.now() - lastLiveness >= (liveness.periodSeconds ?? 10) * 1000) {
      lastLiveness = Date.now();
      livenessFailures = docker(probeCommand(pod, liveness, name, PROBER), 30_000).status === 0 ? 0 : livenessFailures + 1;
      if (livenessFailures >= (liveness.failureThreshold ?? 3)) {
        console.log(`pod ${pod.name}: livenessProbe failed ${livenessFailures} times, restarting it as the kubelet would\n${logsOf(name)}`);
        must(docker(['restart', name]), `docker restart ${name}`);
        restarts++;
        livenessFailures = 0;
        lastLiveness = firstLiveness();
        started = !startup;
      }
    }
    const state = docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]).stdout;
    if (!/^(running|restarting)/.test(state) || Date.now() > deadline) {
      throw new Error(
        `pod ${pod.name} not ready (${state}, ${restarts} restarts) by its readinessProbe ${JSON.stringify(readiness)}\n${logsOf(name)}`,
      );
    }
    await sleep(2000);
  }
}

function start(objects: K8sObject[], pod: ChartPod, image: string) {
  const args = dockerRunArgs(objects, pod, RUN_OPTIONS);
  // restartPolicy Always, as for every Deployment and StatefulSet pod.
  must(docker(['run', '-d', '--restart', 'always', ...args, image, ...imageArgs(pod)]), `docker run ${pod.name}`);
}

/** What the kernel says about the container's main process: uid, capabilities, no_new_privs, seccomp, root mount. */
function processSecurity(name: string) {
  const pid = must(docker(['inspect', '-f', '{{.State.Pid}}', name]), 'docker inspect');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status)?.[1].split(/\s+/) ?? [];
  const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === '/');
  return {
    uid: field('Uid')[0],
    capEff: field('CapEff')[0],
    capBnd: field('CapBnd')[0],
    noNewPrivs: field('NoNewPrivs')[0],
    seccomp: field('Seccomp')[0],
    rootReadOnly: rootMount?.split(' ')[5].split(',').includes('ro'),
  };
}

describe('images under docker run with the chart pod settings', () => {
  const objects = render();
  const pods = chartPods(objects);
  const byComponent = (component: string) => pods.filter((p) => p.component === component);
  const imageOf = (pod: ChartPod) => pod.container.image as string;

  beforeAll(() => {
    // Builds the local bases once and the app images from the project's Dockerfile (layer cache).
    execFileSync('bash', [join(ROOT, 'scripts', 'images', 'build.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60 * 60_000 });
    must(docker(['network', 'create', '--label', LABEL, NETWORK]), 'docker network create');
    must(
      docker([
        'run',
        '-d',
        '--name',
        PROBER,
        '--network',
        NETWORK,
        '--label',
        LABEL,
        '--entrypoint',
        'sleep',
        'rate-local/curl:bookworm',
        'infinity',
      ]),
      'prober',
    );
  }, 60 * 60_000);

  afterAll(() => {
    const ids = docker(['ps', '-aq', '--filter', `label=${LABEL}`])
      .stdout.split('\n')
      .filter(Boolean);
    if (ids.length) docker(['rm', '-f', ...ids]);
    docker(['network', 'rm', NETWORK]);
    rmSync(VOLUMES, { recursive: true, force: true });
  }, 120_000);

  it('renders the pods this test runs: Kafka, Redis, the consumer, the API replicas and the helm test', () => {
    expect(pods.map((p) => p.component).sort()).toEqual(['api', 'api', 'consumer', 'kafka', 'redis', 'test']);
    expect(byComponent('api')).toHaveLength(API_REPLICAS);
  });

  it('starts Kafka and Redis from the local images until their readiness probes pass', async () => {
    for (const pod of [...byComponent('kafka'), ...byComponent('redis')]) start(objects, pod, imageOf(pod));
    for (const pod of [...byComponent('kafka'), ...byComponent('redis')]) await untilReady(pod);
  }, 600_000);

  it('starts the consumer and the API replicas, which reach Kafka and Redis by Service DNS name, until ready', async () => {
    for (const pod of [...byComponent('consumer'), ...byComponent('api')]) start(objects, pod, imageOf(pod));
    for (const pod of [...byComponent('consumer'), ...byComponent('api')]) await untilReady(pod);
  }, 600_000);

  it('runs the app processes as the chart says: uid 65532, no capabilities, no_new_privs, seccomp, read-only root', () => {
    for (const pod of [...byComponent('consumer'), ...byComponent('api')]) {
      expect({ pod: pod.name, ...processSecurity(containerName(pod)) }).toEqual({
        pod: pod.name,
        uid: '65532',
        capEff: '0000000000000000',
        capBnd: '0000000000000000',
        noNewPrivs: '1',
        seccomp: '2',
        rootReadOnly: true,
      });
    }
  });

  it('accepts a rating on every API replica (202, x-replica = pod name) and aggregates each', async () => {
    const subject = `smoke-${RUN_ID}`;
    for (const pod of byComponent('api')) {
      const out = must(
        docker([
          'exec',
          PROBER,
          'curl',
          '-sS',
          '--max-time',
          '30',
          '-D',
          '-',
          '-o',
          '/dev/null',
          '-X',
          'POST',
          `http://${containerName(pod)}:3000/rate?rate=7&subject=${subject}`,
        ]),
        'POST /rate',
      );
      expect({ pod: pod.name, status: out.split(' ')[1], replica: /^x-replica: (\S+)/im.exec(out)?.[1] }).toEqual({
        pod: pod.name,
        status: '202',
        replica: pod.name,
      });
    }
    const api = containerName(byComponent('api')[0]);
    let aggregate: { count?: number; sum?: number } = {};
    for (let i = 0; i < 60 && aggregate.count !== API_REPLICAS; i++) {
      aggregate = JSON.parse(
        must(docker(['exec', PROBER, 'curl', '-sS', '--max-time', '10', `http://${api}:3000/rate?subject=${subject}`]), 'GET /rate'),
      );
      if (aggregate.count !== API_REPLICAS) await sleep(1000);
    }
    expect(aggregate).toMatchObject({ count: API_REPLICAS, sum: 7 * API_REPLICAS });
  }, 120_000);

  it("passes the chart's helm test pod (curl image, its own security context) against the API Service", () => {
    const [pod] = byComponent('test');
    const args = dockerRunArgs(objects, pod, RUN_OPTIONS);
    const result = docker(['run', ...args, imageOf(pod), ...imageArgs(pod)], 120_000);
    expect({ status: result.status, out: result.stdout, err: result.stderr }).toMatchObject({
      status: 0,
      out: expect.stringContaining('rating aggregated'),
    });
  }, 150_000);
});
