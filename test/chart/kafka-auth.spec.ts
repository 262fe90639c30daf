import { find, K8sObject, render, template } from './render';

const AUTH = 'ci/kafka-auth-values.yaml';
const envOf = (container: { env?: { name: string; value?: string; valueFrom?: unknown }[] }) =>
  Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const container = (objects: K8sObject[], kind: string, name: string, index = 0) =>
  find(objects, kind, name).spec.template.spec.containers[index];

describe('the in-chart Kafka with SCRAM (kafka.auth)', () => {
  const objects = render(AUTH);
  const secretRef = { secretKeyRef: { name: 'rate-kafka-auth', key: 'password' } };

  it('asks clients for SCRAM-SHA-512 on 9092 and keeps replication and the quorum on listeners of their own', () => {
    const env = envOf(container(objects, 'StatefulSet', 'rate-kafka'));
    expect(env).toMatchObject({
      KAFKA_LISTENERS: 'CLIENT://:9092,CONTROLLER://:9093,REPLICATION://:9095',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,REPLICATION:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'REPLICATION',
      KAFKA_SASL_ENABLED_MECHANISMS: 'SCRAM-SHA-512',
      KAFKA_LISTENER_NAME_CLIENT_SCRAM___SHA___512_SASL_JAAS_CONFIG: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    });
    expect(env.KAFKA_ADVERTISED_LISTENERS).toMatch(
      /^CLIENT:\/\/\$\(POD_NAME\)\.rate-kafka-headless\.rate\.svc\.cluster\.local:9092,REPLICATION:\/\/\$\(POD_NAME\)\..*:9095$/,
    );
    // The readiness sidecar has no credentials: it asks over the replication listener.
    expect(container(objects, 'StatefulSet', 'rate-kafka', 1).args).toEqual(expect.arrayContaining(['--broker', 'localhost:9095']));
  });

  it('gives the apps the mechanism, the user and the password from the generated Secret, kept on uninstall', () => {
    for (const app of ['rate-api', 'rate-consumer']) {
      expect(find(objects, 'ConfigMap', app).data).toMatchObject({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'rate' });
      expect(envOf(container(objects, 'Deployment', app)).KAFKA_SASL_PASSWORD).toEqual(secretRef);
      expect(find(objects, 'Deployment', app).spec.template.metadata.annotations['checksum/kafka-auth']).toMatch(/^[0-9a-f]{64}$/);
    }
    const secret = find(objects, 'Secret', 'rate-kafka-auth');
    expect(secret.metadata.annotations).toMatchObject({ 'helm.sh/resource-policy': 'keep' });
    expect(Buffer.from(secret.data!.password, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it('creates the user with a Job over the replication listener, the password in a file, named after user and password', () => {
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('rate-kafka-user-'))!;
    const create = job.spec.template.spec.containers[0];
    expect(envOf(create).KAFKA_PASSWORD).toEqual(secretRef);
    expect(create.args[0]).toContain('--bootstrap-server rate-kafka-0.rate-kafka-headless.rate.svc.cluster.local:9095');
    expect(create.args[0]).toContain('--add-config-file /tmp/scram.properties');
    // In a file the credential takes no brackets: with them, kafka-configs refuses it (seen on the real node).
    expect(create.args[0]).toContain("printf 'SCRAM-SHA-512=iterations=8192,password=%s\\n'");
    expect(create.args[0]).not.toMatch(/password=[^%]/);
    const other = render(AUTH, 'kafka.auth.password=another-one').find(
      (o) => o.kind === 'Job' && o.metadata.name.startsWith('rate-kafka-user-'),
    )!;
    expect(other.metadata.name).not.toBe(job.metadata.name);
  });

  it('lets only Kafka pods and the user Job onto the replication listener, and the apps onto 9092 only', () => {
    const ingress = find(objects, 'NetworkPolicy', 'rate-kafka').spec.ingress as { from: unknown[]; ports: { port: string }[] }[];
    const portsFrom = (component: string) =>
      ingress
        .filter((rule) => JSON.stringify(rule.from).includes(`"app.kubernetes.io/component":"${component}"`))
        .flatMap((rule) => rule.ports.map((p) => p.port))
        .sort();
    expect(portsFrom('api')).toEqual(['kafka']);
    expect(portsFrom('kafka-user')).toEqual(['replication']);
    expect(portsFrom('kafka')).toEqual(['controller', 'kafka', 'replication']);
    const job = find(objects, 'NetworkPolicy', 'rate-kafka-user').spec;
    expect(job.ingress).toBeUndefined();
    expect(job.egress[1].ports).toEqual([{ port: 'replication', protocol: 'TCP' }]);
  });

  it('changes nothing without it: PLAINTEXT, no Secret, no Job', () => {
    const plain = render();
    expect(envOf(container(plain, 'StatefulSet', 'rate-kafka')).KAFKA_LISTENERS).toBe('PLAINTEXT://:9092,CONTROLLER://:9093');
    expect(plain.filter((o) => o.metadata.name.startsWith('rate-kafka-user') || o.metadata.name === 'rate-kafka-auth')).toEqual([]);
    expect(find(plain, 'ConfigMap', 'rate-api').data!.KAFKA_SASL_MECHANISM).toBeUndefined();
  });

  it.each([
    [['kafka.auth.enabled=true', 'networkPolicy.enabled=false'], /kafka.auth.enabled needs networkPolicy.enabled/],
    [['kafka.auth.enabled=true', 'kafka.enabled=false', 'kafka.external.brokers=k:9092'], /kafka.auth applies to the in-chart Kafka/],
    [['kafka.auth.enabled=true', 'kafka.auth.password=a]b'], /password/],
    [['kafka.brokerSync.port=9095'], /brokerSync/],
  ])('refuses %j with a clear message', (sets, message) => {
    const result = template(undefined, ...sets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});
