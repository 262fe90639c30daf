import { connect } from 'node:net';
import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterConfig } from '../harness/cluster';
import { CHART, eventually, helm, kubectlResult, ok, restrictedNamespace } from '../cluster/test-cluster';
import { auditedLoop, AuditedLoop, expectAggregated } from './http';
import { REAL_NODE_VALUES } from './release';

const NAMESPACE = 'rate-scale';
const RUN = Date.now().toString(36);

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { conditions?: { type: string; status: string }[] };
}

/** The scale-out release: kubectl and redis-cli (exec in its pods), and a Kafka admin client on its brokers. */
class ScaleOutRelease {
  base = '';
  constructor(private readonly config: ClusterConfig) {}

  kubectl(args: string[]): Promise<string> {
    return ok(kubectlResult(this.config, ['-n', NAMESPACE, ...args]));
  }

  async readyCount(component: string): Promise<number> {
    const list = JSON.parse(await this.kubectl(['get', 'pods', '-l', `app.kubernetes.io/component=${component}`, '-o', 'json'])) as {
      items: Pod[];
    };
    const ready = (p: Pod) => !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return list.items.filter(ready).length;
  }

  async waitReady(component: string, count: number): Promise<void> {
    const described = async () => `${await this.readyCount(component)} ready`;
    await eventually(`${count} ${component} pods ready`, async () => (await this.readyCount(component)) === count, described, 300_000);
  }

  /**
   * An admin client on the brokers from this host: the names they advertise resolve inside the
   * cluster only, so each is dialled at its pod's current address (pods come back under new ones).
   */
  async withKafka<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const list = JSON.parse(await this.kubectl(['get', 'pods', '-l', 'app.kubernetes.io/component=kafka', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { podIP?: string } }[];
    };
    const ips = new Map(list.items.filter((p) => p.status.podIP).map((p) => [p.metadata.name, p.status.podIP!]));
    const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) =>
      connect({ host: ips.get(host.split('.')[0]) ?? host, port }, onConnect);
    const kafka = new Kafka({
      clientId: 'rate-real-test',
      brokers: [`${[...ips.values()][0]}:9092`],
      socketFactory,
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /** `rates` as its brokers describe it: replicas, in-sync replicas and min.insync.replicas. */
  describeTopic(): Promise<{ replicas: number[]; isr: number[]; minInsync: string }> {
    return this.withKafka(async (admin) => {
      const [partition] = (await admin.fetchTopicMetadata({ topics: ['rates'] })).topics[0].partitions;
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: 'rates' }],
      });
      const minInsync = configs.resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')!.configValue;
      return { replicas: partition.replicas, isr: partition.isr, minInsync };
    });
  }

  /** Partitions of every topic that `nodeId` replicates but is not in sync for. */
  outOfSync(nodeId: number): Promise<string[]> {
    return this.withKafka(async (admin) =>
      (await admin.fetchTopicMetadata()).topics.flatMap((topic) =>
        topic.partitions.filter((p) => p.replicas.includes(nodeId) && !p.isr.includes(nodeId)).map((p) => `${topic.name}-${p.partitionId}`),
      ),
    );
  }

  redisCli(args: string[]): Promise<string> {
    return this.kubectl(['exec', 'rate-redis-0', '--', 'redis-cli', ...args]);
  }

  /** The partition of `rates` with the most records, and the node id (= pod ordinal) leading it. */
  busiestPartition(): Promise<{ partition: number; leader: number }> {
    return this.withKafka(async (admin) => {
      const ends = await admin.fetchTopicOffsets('rates');
      const { partition } = ends.sort((x, y) => Number(BigInt(y.high) - BigInt(x.high)))[0];
      const metadata = await admin.fetchTopicMetadata({ topics: ['rates'] });
      return { partition, leader: metadata.topics[0].partitions.find((p) => p.partitionId === partition)!.leader };
    });
  }

  /** The pod of the Redis primary serving a partition's slot (its Service's address is the one it announces). */
  async primaryOf(partition: number): Promise<{ slot: number; pod: string }> {
    const slot = Number((await this.redisCli(['cluster', 'keyslot', `rate:{p${partition}}:offset`])).trim());
    const serves = (range: string) =>
      range.includes('-') ? slot >= Number(range.split('-')[0]) && slot <= Number(range.split('-')[1]) : Number(range) === slot;
    const owner = (await this.redisCli(['cluster', 'nodes']))
      .split('\n')
      .map((line) => line.split(' '))
      .find((f) => f[2]?.includes('master') && f.slice(8).some(serves));
    if (!owner) throw new Error(`no primary serves slot ${slot}`);
    const services = JSON.parse(await this.kubectl(['get', 'services', '-l', 'app.kubernetes.io/component=redis', '-o', 'json'])) as {
      items: { metadata: { name: string }; spec: { clusterIP: string } }[];
    };
    return { slot, pod: services.items.find((s) => s.spec.clusterIP === owner[1].split(':')[0])!.metadata.name };
  }

  /** Stops the load, checks every 202 is aggregated once; returns the statuses of the other answers. */
  async finish(load: AuditedLoop, what: string): Promise<string[]> {
    await load.stop();
    const statuses = [...new Set(load.other.map((o) => o.answer.split(' ')[0]))];
    const examples = statuses.map((status) => load.other.find((o) => o.answer.startsWith(`${status} `))!);
    console.log(
      `${what}: ${load.sent()} requests, ${load.accepted.size} accepted, ${load.other.length} not${examples.map((o) => `; ${o.subject}: ${o.answer}`).join('')}`,
    );
    await expectAggregated(this.base, load.accepted);
    return statuses;
  }
}

const SCALE_OUT_VALUES = [
  'replicas=3',
  'ingress.enabled=false',
  'gateway.enabled=false',
  'kafka.replicas=3',
  'kafka.heapOpts=-Xms256m -Xmx256m',
  'kafka.resources.requests.cpu=100m',
  'kafka.resources.requests.memory=512Mi',
  'redis.mode=cluster',
  'redis.cluster.replicasPerPrimary=1',
  'redis.resources.requests.cpu=20m',
];

async function installScaleOut(release: ScaleOutRelease, config: ClusterConfig): Promise<void> {
  await ok(helm(config, ['uninstall', 'rate', '-n', 'rate', '--ignore-not-found', '--wait', '--timeout', '5m']));
  await restrictedNamespace(config, NAMESPACE);
  const sets = SCALE_OUT_VALUES.flatMap((s) => ['--set', s]);
  const install = await helm(config, [
    'install',
    'rate',
    CHART,
    '-n',
    NAMESPACE,
    ...REAL_NODE_VALUES,
    ...sets,
    '--wait',
    '--timeout',
    '12m',
  ]);
  if (install.code !== 0) {
    const state = await kubectlResult(config, ['get', 'pods,jobs', '-n', NAMESPACE, '-o', 'wide']);
    throw new Error(`helm install failed: ${install.stderr}\n${state.stdout}`);
  }
  await release.kubectl(['wait', '--for=condition=complete', 'job', '-l', 'app.kubernetes.io/component=redis-init', '--timeout=300s']);
  const service = JSON.parse(await release.kubectl(['get', 'service', 'rate-api', '-o', 'json'])) as {
    spec: { clusterIP: string; ports: { port: number }[] };
  };
  release.base = `http://${service.spec.clusterIP}:${service.spec.ports[0].port}`;
}

async function deleteBusiestBroker(release: ScaleOutRelease): Promise<void> {
  const load = auditedLoop(release.base, `scale-${RUN}-kafka`);
  await sleep(5000);
  const { partition, leader } = await release.busiestPartition();
  console.log(`deleting rate-kafka-${leader}, leader of partition ${partition}`);
  await release.kubectl(['delete', 'pod', `rate-kafka-${leader}`]);
  await release.waitReady('kafka', 3);
  // Ready means caught up (the broker-sync sidecar's probe), not merely listening.
  expect(await release.outOfSync(leader)).toEqual([]);
  await sleep(5000);
  const statuses = await release.finish(load, `rate-kafka-${leader} deleted`);
  expect(load.accepted.size).toBeGreaterThan(50);
  expect(statuses.filter((s) => s !== '503')).toEqual([]);
}

async function deleteBusiestPrimary(release: ScaleOutRelease): Promise<void> {
  const load = auditedLoop(release.base, `scale-${RUN}-redis`);
  await sleep(5000);
  const { partition } = await release.busiestPartition();
  const { slot, pod } = await release.primaryOf(partition);
  console.log(`deleting ${pod}, primary of slot ${slot} (partition ${partition})`);
  await release.kubectl(['delete', 'pod', pod]);
  await release.waitReady('redis', 6);
  const info = () => release.redisCli(['cluster', 'info']);
  await eventually('cluster_state:ok', async () => /cluster_state:ok/.test(await info()), info, 120_000);
  await sleep(5000);
  const statuses = await release.finish(load, `${pod} deleted`);
  expect(load.accepted.size).toBeGreaterThan(50);
  // Producing needs Kafka only: Redis going away refuses no POST.
  expect(statuses).toEqual([]);
}

async function deleteTwoBrokers(release: ScaleOutRelease): Promise<void> {
  const load = auditedLoop(release.base, `scale-${RUN}-quorum`);
  await sleep(3000);
  await release.kubectl(['delete', 'pod', 'rate-kafka-1', 'rate-kafka-2', '--wait=false']);
  const refused = async () => `${load.other.length} refused`;
  await eventually('a 503 without an in-sync quorum', async () => load.other.some((o) => o.answer.startsWith('503')), refused, 120_000);
  await release.waitReady('kafka', 3);
  const back = load.accepted.size;
  await eventually(
    '202s again',
    async () => load.accepted.size > back + 20,
    async () => `${load.accepted.size - back} accepted since`,
    180_000,
  );
  const statuses = await release.finish(load, 'two brokers deleted');
  expect(statuses).toContain('503');
  expect(statuses.filter((s) => s !== '503')).toEqual([]);
}

/**
 * The scale-out shape on the real node, after the default release is gone (the node has two
 * cores): three API replicas, three KRaft brokers (RF 3, min ISR 2) and a Redis Cluster of three primaries with a
 * replica each, in a restricted namespace. Under audited load, the broker leading the busiest
 * partition is deleted, then the Redis primary serving it, then two brokers at once (no in-sync
 * quorum): every 202 must be aggregated exactly once, and without a quorum the API says 503.
 */
export function scaleOutTests(config: ClusterConfig): void {
  const release = new ScaleOutRelease(config);

  it('helm install --set replicas=3,kafka.replicas=3,redis.mode=cluster forms a KRaft quorum and a Redis Cluster in a restricted namespace', async () => {
    await installScaleOut(release, config);
    expect(await release.readyCount('api')).toBe(3);
    expect(await release.readyCount('kafka')).toBe(3);
    expect(await release.readyCount('redis')).toBe(6);
    const cluster = await release.redisCli(['cluster', 'info']);
    expect(cluster).toMatch(/cluster_state:ok/);
    expect(cluster).toMatch(/cluster_known_nodes:6/);
    expect(cluster).toMatch(/cluster_size:3/);
    const topic = await release.describeTopic();
    expect(topic).toMatchObject({ minInsync: '2' });
    expect(topic.replicas).toHaveLength(3);
  });

  it('deletes the broker leading the busiest partition under audited load: each 202 counted once, nothing but 503 refused', () =>
    deleteBusiestBroker(release));

  it('deletes the Redis primary serving the busiest partition: its replica takes over, each 202 counted once', () =>
    deleteBusiestPrimary(release));

  it('answers 503, never a false 202, while two of the three brokers are away', () => deleteTwoBrokers(release));
}
