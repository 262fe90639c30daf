import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_CLUSTER_JOB_HOSTS } from '../test-ports';
import { find, K8sObject, render, template, TOOL } from './render';

const clustered = render(undefined, 'redis.mode=cluster');
const jobOf = (objects: K8sObject[]) => objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('rate-redis-cluster-'));

describe('redis.mode=cluster in the chart', () => {
  it('gives each node a Service of its own, which it announces, and the apps every node as a seed', () => {
    expect(find(clustered, 'StatefulSet', 'rate-redis').spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel' });
    for (const i of [0, 1, 2]) {
      const service = find(clustered, 'Service', `rate-redis-${i}`).spec;
      expect(service.selector['statefulset.kubernetes.io/pod-name']).toBe(`rate-redis-${i}`);
      expect(service.ports.map((p: { port: number }) => p.port)).toEqual([6379, 16379]);
    }
    const script = find(clustered, 'StatefulSet', 'rate-redis').spec.template.spec.containers[0].args[0];
    expect(script).toContain('eval "announce=\\${RATE_REDIS_${HOSTNAME##*-}_SERVICE_HOST:-}"');
    expect(script).toContain('--cluster-enabled yes --cluster-config-file /data/nodes.conf');
    expect(script).toContain('--cluster-announce-ip "$announce"');
    expect(script).toContain('masterauth "$REDIS_PASSWORD"');
    const seeds = [0, 1, 2].map((i) => `redis://rate-redis-${i}.rate.svc.cluster.local:6379`).join(',');
    for (const app of ['rate-api', 'rate-consumer']) {
      expect(find(clustered, 'ConfigMap', app).data).toMatchObject({ REDIS_MODE: 'cluster', REDIS_URL: seeds });
    }
    expect(
      find(
        render(undefined, 'redis.mode=cluster', 'redis.cluster.primaries=4', 'redis.cluster.replicasPerPrimary=1'),
        'StatefulSet',
        'rate-redis',
      ).spec.replicas,
    ).toBe(8);
  });

  it('lets the nodes gossip and the Job reach them, and nothing else', () => {
    const redis = find(clustered, 'NetworkPolicy', 'rate-redis').spec;
    const peers = { podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'redis' }) } };
    const job = { podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'redis-init' }) } };
    expect(redis.ingress[0].from).toContainEqual(job);
    expect(redis.ingress).toContainEqual({
      from: [peers],
      ports: [
        { port: 'redis', protocol: 'TCP' },
        { port: 'bus', protocol: 'TCP' },
      ],
    });
    const init = find(clustered, 'NetworkPolicy', 'rate-redis-init').spec;
    expect(init.ingress).toBeUndefined();
    expect(init.egress).toContainEqual({ to: [peers], ports: [{ port: 'redis', protocol: 'TCP' }] });
    expect(jobOf(clustered)!.spec.template.metadata.labels['app.kubernetes.io/component']).toBe('redis-init');
    expect(jobOf(render())).toBeUndefined();
  });

  it('refuses a cluster without volumes and a seed list without cluster mode; takes an external cluster by its seeds', () => {
    const noVolume = template(undefined, 'redis.mode=cluster', 'redis.persistence.enabled=false');
    expect(noVolume.stderr).toContain('redis.mode=cluster needs redis.persistence.enabled');
    const list = 'redis.external.url=redis://a:7000\\,redis://b:7001';
    const external = ['redis.enabled=false', 'redis.auth.existingSecret=r', list];
    expect(template(undefined, ...external).stderr).toContain(
      'redis.external.url lists several nodes: a list of seed nodes needs redis.mode=cluster',
    );
    const objects = render(undefined, ...external, 'redis.mode=cluster', 'networkPolicy.enabled=true');
    expect(find(objects, 'ConfigMap', 'rate-api').data).toMatchObject({
      REDIS_MODE: 'cluster',
      REDIS_URL: 'redis://a:7000,redis://b:7001',
    });
    const egress = find(objects, 'NetworkPolicy', 'rate-api').spec.egress.map((r: { ports: { port: number }[] }) => r.ports[0].port);
    expect(egress).toEqual(expect.arrayContaining([7000, 7001]));
    expect(jobOf(objects)).toBeUndefined();
  });
});

/**
 * The Job's own script, run by /bin/sh against three real redis-server processes on loopback
 * addresses of their own (the Services' addresses stand in for Kubernetes' service links).
 */
describe('the Redis Cluster Job script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rate-redis-job-'));
  const servers: ChildProcess[] = [];
  const script = jobOf(clustered)!.spec.template.spec.containers[0].args[0] as string;
  const env = {
    PATH: `${join(TOOL('redis-cli'), '..')}:/usr/bin:/bin`,
    REDISCLI_AUTH: 'job-test-password',
    ...Object.fromEntries(REDIS_CLUSTER_JOB_HOSTS.map((host, i) => [`RATE_REDIS_${i}_SERVICE_HOST`, host])),
  };
  const cli = (host: string, ...args: string[]) => spawnSync(TOOL('redis-cli'), ['-h', host, ...args], { env, encoding: 'utf8' }).stdout;
  const runJob = () => spawnSync('/bin/sh', ['-ec', script], { env, encoding: 'utf8', timeout: 60_000 });

  beforeAll(async () => {
    for (const [i, host] of REDIS_CLUSTER_JOB_HOSTS.entries()) {
      // Announced like the chart's nodes announce their Service: outgoing bus connections leave from 127.0.0.1.
      const conf = [
        '--bind',
        host,
        '--port',
        '6379',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${i}.conf`,
        '--cluster-announce-ip',
        host,
      ];
      servers.push(
        spawn(TOOL('redis-server'), [...conf, '--requirepass', env.REDISCLI_AUTH, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }),
      );
    }
    for (const host of REDIS_CLUSTER_JOB_HOSTS) while (!cli(host, 'ping').includes('PONG')) await sleep(100);
  });
  afterAll(() => {
    for (const server of servers) server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the cluster from empty nodes, finds it formed on a rerun, and refuses a half-formed one', async () => {
    const created = runJob();
    expect({ status: created.status, out: created.stdout + created.stderr }).toMatchObject({ status: 0 });
    expect(created.stdout).toContain('[OK] All 16384 slots covered');
    for (const host of REDIS_CLUSTER_JOB_HOSTS) {
      for (let i = 0; !cli(host, 'cluster', 'info').includes('cluster_state:ok') && i < 100; i++) await sleep(100);
      expect(cli(host, 'cluster', 'info')).toContain('cluster_known_nodes:3');
    }
    expect(runJob()).toMatchObject({ status: 0, stdout: expect.stringContaining('the Redis Cluster is formed') });

    // A node that lost its state: the others still count it, it knows only itself.
    cli(REDIS_CLUSTER_JOB_HOSTS[2], 'flushall');
    cli(REDIS_CLUSTER_JOB_HOSTS[2], 'cluster', 'reset', 'hard');
    const half = runJob();
    expect(half.status).toBe(1);
    expect(half.stderr).toContain('the Redis Cluster is half formed (2 of 3 nodes see it whole, 1 are empty)');
  });
});
