import { find, K8sObject, render } from './render';

/** kafka.replicas: a KRaft quorum from the chart, with its durability derived, and the default left alone. */
const env = (objects: K8sObject[]) =>
  Object.fromEntries(
    find(objects, 'StatefulSet', 'rate-kafka').spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
  );

describe('scale-out values', () => {
  const three = render('ci/scale-out-values.yaml');
  const one = render();

  it('runs kafka.replicas KRaft nodes: node id from the pod ordinal, voters by their stable names, started together', () => {
    const set = find(three, 'StatefulSet', 'rate-kafka');
    expect(set.spec).toMatchObject({ replicas: 3, podManagementPolicy: 'Parallel', serviceName: 'rate-kafka-headless' });
    const broker = env(three);
    expect(broker.POD_INDEX).toEqual({ fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } });
    expect(broker.KAFKA_NODE_ID).toBe('$(POD_INDEX)');
    expect(broker.KAFKA_ADVERTISED_LISTENERS).toBe('PLAINTEXT://$(POD_NAME).rate-kafka-headless.rate.svc.cluster.local:9092');
    expect(broker.KAFKA_CONTROLLER_QUORUM_VOTERS.split(',')).toEqual(
      [0, 1, 2].map((i) => `${i}@rate-kafka-${i}.rate-kafka-headless.rate.svc.cluster.local:9093`),
    );
    // Pod DNS names resolve before the brokers are ready: the quorum needs them to form.
    expect(find(three, 'Service', 'rate-kafka-headless').spec.publishNotReadyAddresses).toBe(true);
  });

  it('derives replication factor 3 and min.insync.replicas 2 for the topics, the internal topics and the apps’ start-time check', () => {
    const broker = env(three);
    for (const name of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_DEFAULT_REPLICATION_FACTOR',
    ])
      expect({ name, value: broker[name] }).toEqual({ name, value: '3' });
    for (const name of ['KAFKA_TRANSACTION_STATE_LOG_MIN_ISR', 'KAFKA_MIN_INSYNC_REPLICAS'])
      expect({ name, value: broker[name] }).toEqual({ name, value: '2' });
    expect(broker.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE).toBe('false');
    for (const app of ['rate-api', 'rate-consumer']) {
      expect(find(three, 'ConfigMap', app).data).toMatchObject({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    }
    // An explicit value still wins over the derived one.
    expect(find(render('ci/scale-out-values.yaml', 'config.kafkaMinInsyncReplicas=3'), 'ConfigMap', 'rate-api').data).toMatchObject({
      KAFKA_MIN_INSYNC_REPLICAS: '3',
    });
  });

  it('lets one broker at a time go, spreads the brokers over nodes, and lets them reach each other through the policy', () => {
    expect(find(three, 'PodDisruptionBudget', 'rate-kafka').spec.maxUnavailable).toBe(1);
    expect(find(three, 'StatefulSet', 'rate-kafka').spec.template.spec.topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 1 }),
    ]);
    const policy = find(three, 'NetworkPolicy', 'rate-kafka').spec;
    const peers = { podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'kafka' }) } };
    const ports = [
      { port: 'kafka', protocol: 'TCP' },
      { port: 'controller', protocol: 'TCP' },
    ];
    expect(policy.ingress).toContainEqual({ from: [peers], ports });
    expect(policy.egress).toContainEqual({ to: [peers], ports });
  });

  it('counts a broker ready once it is in sync: a broker-sync sidecar from the consumer image answers its readiness probe', () => {
    const pod = find(three, 'StatefulSet', 'rate-kafka').spec.template.spec;
    const [kafka, sync] = pod.containers;
    expect(sync).toMatchObject({
      name: 'broker-sync',
      image: find(three, 'Deployment', 'rate-consumer').spec.template.spec.containers[0].image,
      args: ['dist/libs/kafka/src/broker-sync-main.js', '--node-id', '$(POD_INDEX)', '--port', '9094'],
      ports: [{ name: 'broker-sync', containerPort: 9094 }],
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
    expect(sync.env).toEqual([{ name: 'POD_INDEX', valueFrom: env(three).POD_INDEX }]);
    expect(kafka.readinessProbe.httpGet).toEqual({ path: '/ready', port: 9094 });
    // The port is a value; the broker's own ports are refused for it.
    expect(
      find(render('ci/scale-out-values.yaml', 'kafka.brokerSync.port=9100'), 'StatefulSet', 'rate-kafka').spec.template.spec.containers[0]
        .readinessProbe.httpGet.port,
    ).toBe(9100);
    expect(() => render('ci/scale-out-values.yaml', 'kafka.brokerSync.port=9092')).toThrow(/brokerSync\/port/);
    // One node has no peers to be in sync with: its port opening is enough.
    const single = find(one, 'StatefulSet', 'rate-kafka').spec.template.spec;
    expect(single.containers.map((c: { name: string }) => c.name)).toEqual(['kafka']);
    expect(single.containers[0].readinessProbe.tcpSocket).toEqual({ port: 'kafka' });
  });

  it('keeps the default a one-node install: node id 1, no PDB, no peer rules, the broker default replication', () => {
    const broker = env(one);
    expect(find(one, 'StatefulSet', 'rate-kafka').spec.replicas).toBe(1);
    expect(broker).toMatchObject({
      KAFKA_NODE_ID: '1',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    });
    expect(broker.KAFKA_MIN_INSYNC_REPLICAS).toBeUndefined();
    expect(one.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'rate-kafka')).toBe(false);
    expect(find(one, 'NetworkPolicy', 'rate-kafka').spec.ingress).toHaveLength(1);
    expect(find(one, 'ConfigMap', 'rate-api').data).toMatchObject({ KAFKA_REPLICATION_FACTOR: '-1', KAFKA_MIN_INSYNC_REPLICAS: '-1' });
  });
});
