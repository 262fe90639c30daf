import { find, K8sObject, render, template } from './render';
import { routed } from './routing';

/** The chart with default values, rendered once for the tests that only read it. */
let rendered: K8sObject[] | undefined;
const defaults = (): K8sObject[] => (rendered ??= render());

/** The env entries of a workload's first container, by name. */
function envOf(objects: K8sObject[], kind: string, name: string): Record<string, any> {
  const container = find(objects, kind, name).spec.template.spec.containers[0];
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e]));
}

describe('exposure: only /rate is public', () => {
  const PRIVATE = ['/metrics', '/health/live', '/health/ready', '/openapi.json', '/', '/rate/x', '/ratex'];

  it('routes only /rate through the Ingress', () => {
    const ingress = find(defaults(), 'Ingress', 'rate');
    expect(routed(ingress, '/rate')).toBe(true);
    expect(PRIVATE.filter((path) => routed(ingress, path))).toEqual([]);
  });

  it('routes only /rate through the HTTPRoute', () => {
    const route = find(render('ci/gateway-values.yaml'), 'HTTPRoute', 'rate');
    expect(routed(route, '/rate')).toBe(true);
    expect(PRIVATE.filter((path) => routed(route, path))).toEqual([]);
  });

  it('keeps probes and scraping on the pod port, not through the route', () => {
    const objects = defaults();
    const api = find(objects, 'Deployment', 'rate-api').spec.template.spec.containers[0];
    expect(api.readinessProbe.httpGet.port).toBe('http');
    expect(find(objects, 'Service', 'rate-api').spec.ports[0].targetPort).toBe('http');
  });
});

describe('Redis password', () => {
  it('generates a Secret and hands it to Redis and both apps by secretKeyRef, never by ConfigMap', () => {
    const objects = defaults();
    const secret = find(objects, 'Secret', 'rate-redis');
    const password = Buffer.from(secret.data!['redis-password'], 'base64').toString();
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const [kind, name] of [
      ['Deployment', 'rate-api'],
      ['Deployment', 'rate-consumer'],
      ['StatefulSet', 'rate-redis'],
    ]) {
      expect(envOf(objects, kind, name).REDIS_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'rate-redis', key: 'redis-password' });
    }
    const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
    expect(configMaps.filter((c) => JSON.stringify(c.data).includes(password))).toEqual([]);
    expect(configMaps.filter((c) => 'REDIS_PASSWORD' in (c.data ?? {}))).toEqual([]);
  });

  it('uses an existing Secret instead of generating one', () => {
    const objects = render('ci/existing-secret-values.yaml');
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(envOf(objects, 'Deployment', 'rate-api').REDIS_PASSWORD.valueFrom.secretKeyRef).toEqual({
      name: 'rate-redis-auth',
      key: 'password',
    });
    expect(envOf(objects, 'StatefulSet', 'rate-redis').REDIS_PASSWORD.valueFrom.secretKeyRef).toEqual({
      name: 'rate-redis-auth',
      key: 'password',
    });
  });

  it('starts Redis with requirepass from the environment (not its command line), protected, with a memory limit that never evicts', () => {
    const redis = find(defaults(), 'StatefulSet', 'rate-redis').spec.template.spec.containers[0];
    const script = [...(redis.command ?? []), ...(redis.args ?? [])].join(' ');
    expect(script).toMatch(/requirepass "\$REDIS_PASSWORD"/);
    expect(script).toMatch(/exec redis-server - /);
    expect(script).toContain('--maxmemory 192mb');
    expect(script).toContain('--maxmemory-policy noeviction');
    expect(script).toContain('--protected-mode yes');
    expect(
      find(render(undefined, 'redis.maxmemory=1gb'), 'StatefulSet', 'rate-redis').spec.template.spec.containers[0].args.join(' '),
    ).toContain('--maxmemory 1gb');
  });

  it('probes Redis with the password, and fails the probe on NOAUTH', () => {
    const redis = find(defaults(), 'StatefulSet', 'rate-redis').spec.template.spec.containers[0];
    expect(envOf(defaults(), 'StatefulSet', 'rate-redis').REDISCLI_AUTH.valueFrom.secretKeyRef).toEqual({
      name: 'rate-redis',
      key: 'redis-password',
    });
    expect(redis.readinessProbe.exec.command.join(' ')).toMatch(/redis-cli ping \| grep -q PONG/);
  });

  it('rolls Redis and the apps together when the password changes', () => {
    const annotation = (objects: K8sObject[], kind: string, name: string) =>
      find(objects, kind, name).spec.template.metadata.annotations['checksum/redis-auth'];
    const objects = defaults();
    expect(annotation(objects, 'StatefulSet', 'rate-redis')).toBeDefined();
    expect(annotation(objects, 'Deployment', 'rate-api')).toBe(annotation(objects, 'StatefulSet', 'rate-redis'));
    expect(annotation(objects, 'Deployment', 'rate-consumer')).toBe(annotation(objects, 'StatefulSet', 'rate-redis'));
  });

  it('refuses a password inside the external Redis URL, and an external Redis with auth but no Secret', () => {
    const inUrl = template(
      undefined,
      'redis.enabled=false',
      'redis.external.url=redis://:hunter2@redis.data:6379',
      'redis.auth.existingSecret=x',
    );
    expect(inUrl.status).not.toBe(0);
    expect(inUrl.stderr).toContain('redis.external.url must not carry a password');
    expect(inUrl.stderr).not.toContain('hunter2');
    const noSecret = template(undefined, 'redis.enabled=false', 'redis.external.url=redis://redis.data:6379');
    expect(noSecret.stderr).toContain('an external Redis with redis.auth.enabled needs redis.auth.existingSecret');
  });

  it('never runs the in-chart Redis without a password', () => {
    const result = template(undefined, 'redis.auth.enabled=false');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('redis.auth.enabled=false is only for an external Redis');
  });
});

describe('Kafka SASL/SCRAM and TLS for external clusters', () => {
  it('passes the mechanism and user by ConfigMap, the password by Secret and the CA as a mounted file', () => {
    const objects = render('ci/kafka-sasl-values.yaml');
    for (const app of ['rate-api', 'rate-consumer']) {
      const data = find(objects, 'ConfigMap', app).data!;
      expect(data).toMatchObject({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'rate',
        KAFKA_SSL_CA_FILE: '/etc/rate/kafka-tls/ca.crt',
      });
      expect(data.KAFKA_SASL_PASSWORD).toBeUndefined();
      expect(envOf(objects, 'Deployment', app).KAFKA_SASL_PASSWORD.valueFrom.secretKeyRef).toEqual({
        name: 'kafka-credentials',
        key: 'password',
      });
      const pod = find(objects, 'Deployment', app).spec.template.spec;
      expect(pod.volumes).toContainEqual({
        name: 'kafka-tls',
        secret: { secretName: 'kafka-ca', defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
      });
      expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'kafka-tls', mountPath: '/etc/rate/kafka-tls', readOnly: true });
    }
  });

  it('sets no Kafka auth variables for the in-chart broker, and refuses SASL values for it', () => {
    const data = find(defaults(), 'ConfigMap', 'rate-api').data!;
    expect(Object.keys(data).filter((k) => /SASL|SSL/.test(k))).toEqual([]);
    const result = template(undefined, 'kafka.external.sasl.mechanism=plain');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('kafka.external.sasl and kafka.external.tls apply to an external Kafka');
  });

  it('needs a password Secret for a SASL mechanism', () => {
    const result = template(
      undefined,
      'kafka.enabled=false',
      'kafka.external.brokers=k:9093',
      'kafka.external.sasl.mechanism=scram-sha-256',
      'kafka.external.sasl.username=u',
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      'kafka.external.sasl.mechanism needs kafka.external.sasl.username and kafka.external.sasl.existingSecret',
    );
  });
});

const clusterDns = {
  to: [
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    },
  ],
  ports: [
    { port: 53, protocol: 'UDP' },
    { port: 53, protocol: 'TCP' },
  ],
};

describe('NetworkPolicy (on by default)', () => {
  const objects = defaults();
  const policy = (name: string) => find(objects, 'NetworkPolicy', name).spec;

  it('exists for every component by default', () => {
    expect(
      objects
        .filter((o) => o.kind === 'NetworkPolicy')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['rate-api', 'rate-consumer', 'rate-kafka', 'rate-redis']);
    for (const name of ['rate-api', 'rate-consumer', 'rate-kafka', 'rate-redis'])
      expect(policy(name).policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('lets only the ingress controller, the helm test and monitoring reach the API port', () => {
    const controllers = [
      'ingress-nginx',
      'traefik',
      'haproxy-controller',
      'kong',
      'projectcontour',
      'nginx-gateway',
      'envoy-gateway-system',
      'istio-ingress',
    ];
    expect(policy('rate-api').ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: controllers }] } },
          {
            podSelector: {
              matchLabels: {
                'app.kubernetes.io/name': 'rate',
                'app.kubernetes.io/instance': 'rate',
                'app.kubernetes.io/component': 'test',
              },
            },
          },
        ],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
    ]);
  });

  it('lets only monitoring reach the consumer, and only the apps reach Kafka and Redis', () => {
    expect(policy('rate-consumer').ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }],
        ports: [{ port: 'health', protocol: 'TCP' }],
      },
    ]);
    for (const [name, port] of [
      ['rate-kafka', 'kafka'],
      ['rate-redis', 'redis'],
    ]) {
      const rules = policy(name).ingress;
      expect(rules).toHaveLength(1);
      expect(rules[0].ports).toEqual([{ port, protocol: 'TCP' }]);
      // The helm test pod deletes its own subject from Redis afterwards.
      expect(rules[0].from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/component']).sort()).toEqual(
        name === 'rate-redis' ? ['api', 'consumer', 'test'] : ['api', 'consumer'],
      );
    }
  });

  it('lets the apps out only to DNS, Kafka and Redis', () => {
    for (const app of ['rate-api', 'rate-consumer']) {
      const egress = policy(app).egress;
      expect(egress).toContainEqual(clusterDns);
      const targets = egress
        .filter((r: any) => r.to && r !== egress.find((d: any) => d.ports[0].port === 53))
        .map((r: any) => [r.to[0].podSelector.matchLabels['app.kubernetes.io/component'], r.ports[0].port]);
      expect(targets).toEqual([
        ['kafka', 'kafka'],
        ['redis', 'redis'],
      ]);
      expect(egress).toHaveLength(3);
    }
    expect(policy('rate-redis').egress).toEqual([clusterDns]);
  });

  it('limits DNS, and an external Kafka and Redis, to the peers given', () => {
    const anyDns = find(render(undefined, 'networkPolicy.dns=null'), 'NetworkPolicy', 'rate-api').spec.egress;
    expect(anyDns).toContainEqual({ ports: clusterDns.ports });
    const external = render(
      'ci/external-values.yaml',
      'networkPolicy.externalKafka[0].ipBlock.cidr=10.20.0.0/24',
      'networkPolicy.externalRedis[0].ipBlock.cidr=10.30.0.5/32',
    );
    const egress = find(external, 'NetworkPolicy', 'rate-consumer').spec.egress;
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/24' } }], ports: [{ port: 9092, protocol: 'TCP' }] });
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.30.0.5/32' } }], ports: [{ port: 6379, protocol: 'TCP' }] });
  });

  it('refuses a Gateway the policy would block, and lets the one named in gatewayFrom through', () => {
    expect(() => render('ci/gateway-values.yaml', 'networkPolicy.gatewayFrom=null')).toThrow(
      /gateway.enabled with networkPolicy.enabled needs networkPolicy.gatewayFrom/,
    );
    expect(render('ci/gateway-values.yaml', 'networkPolicy.gatewayFrom=null', 'networkPolicy.enabled=false').length).toBeGreaterThan(0);
    const from = find(render('ci/gateway-values.yaml'), 'NetworkPolicy', 'rate-api').spec.ingress[0].from;
    expect(from).toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } } });
    // An earlier values file's single ingressController peer still counts.
    const legacy = find(
      render(undefined, 'networkPolicy.ingressController.namespaceSelector.matchLabels.team=edge'),
      'NetworkPolicy',
      'rate-api',
    );
    expect(legacy.spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { team: 'edge' } } });
  });

  it('opens the external Kafka and Redis ports when they run outside the release', () => {
    const egress = find(render('ci/external-values.yaml'), 'NetworkPolicy', 'rate-consumer').spec.egress;
    expect(egress).toContainEqual({ ports: [{ port: 9092, protocol: 'TCP' }] });
    expect(egress).toContainEqual({ ports: [{ port: 6379, protocol: 'TCP' }] });
  });

  it('takes configurable selectors and extra peers', () => {
    const spec = find(render('ci/networkpolicy-values.yaml'), 'NetworkPolicy', 'rate-api').spec;
    expect(spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } },
      podSelector: { matchLabels: { 'gateway.envoyproxy.io/owning-gateway-name': 'eg' } },
    });
    expect(spec.ingress[0].from).toContainEqual({ ipBlock: { cidr: '172.18.0.0/16' } });
    expect(spec.ingress[1].from[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'observability' } });
    expect(spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 4318, protocol: 'TCP' }] });
  });

  it('can be turned off', () => {
    expect(render(undefined, 'networkPolicy.enabled=false').some((o) => o.kind === 'NetworkPolicy')).toBe(false);
  });
});
