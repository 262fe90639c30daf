import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ClusterConfig } from '../harness/cluster';
import { ROOT } from '../harness/stack';
import { eventually, kubectlResult, ok, restrictedNamespace } from '../cluster/test-cluster';
import { call } from './http';

/**
 * The chart's NetworkPolicies as the real node enforces them (kube-router's controller): each
 * probe connects from inside a pod, and the whole matrix is compared with what the policies say.
 * The same probes with `networkPolicy.enabled=false` must get through, or the test proves nothing.
 */
const NAMESPACE = 'rate';
const OUTSIDE = 'rate-netpol-probe';
const PROBE = 'netpol-probe';
/** The probe pod listens on 53 (TCP), where only the cluster DNS may be reached from the apps. */
const PROBE_PORT = 53;

/**
 * Run with `node -e` inside a pod: `<host> <port> [path]` connects (or GETs the path) and prints
 * `open` or the status; `<name> dns` resolves a name; anything that fails prints its error code.
 */
const CONNECT = `
const [host, port, path] = process.argv.slice(1);
const done = (result) => { console.log(result); process.exit(0); };
setTimeout(() => done('timeout'), 4000);
if (port === 'dns') require('dns').lookup(host, (e, address) => done(e ? e.code : 'resolved ' + address));
else if (path) require('http').get({ host, port: Number(port), path }, (res) => done(String(res.statusCode))).on('error', (e) => done(e.code));
else require('net').connect(Number(port), host).on('connect', () => done('open')).on('error', (e) => done(e.code));
`;
const SERVE = `require('net').createServer((socket) => socket.end()).listen(${PROBE_PORT}); setInterval(() => {}, 1 << 30);`;

const reached = (answer: string) => /^(open|\d{3}|resolved .*)$/.test(answer);

function probePod(namespace: string, image: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: PROBE, namespace, labels: { 'app.kubernetes.io/name': PROBE } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 1,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
        // A safe sysctl (allowed by the restricted standard): the probe listens on 53 unprivileged.
        sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      },
      containers: [
        {
          name: 'probe',
          image,
          imagePullPolicy: 'Never',
          args: ['-e', SERVE],
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '96Mi' } },
        },
      ],
    },
  };
}

export interface Probe {
  from: string;
  to: string;
  /** Whether the chart's policies let it through. */
  allowed: boolean;
  run: () => Promise<string>;
}

export class PolicyMatrix {
  private probes: Probe[] = [];
  constructor(private readonly config: ClusterConfig) {}

  private kubectl(args: string[], input?: string): Promise<string> {
    return ok(kubectlResult(this.config, args, input));
  }

  private async exec(namespace: string, pod: string, args: string[]): Promise<string> {
    const result = await kubectlResult(this.config, ['exec', '-n', namespace, pod, '--', 'node', '-e', CONNECT, ...args]);
    return result.code === 0 ? result.stdout.trim() : `exec failed: ${result.stderr.trim().slice(0, 120)}`;
  }

  /** A running pod of the component, not one on its way out (an upgrade may roll them). */
  private async podOf(component: string): Promise<string> {
    const pods = JSON.parse(
      await this.kubectl(['get', 'pods', '-n', NAMESPACE, '-l', `app.kubernetes.io/component=${component}`, '-o', 'json']),
    ) as { items: { metadata: { name: string; deletionTimestamp?: string }; status: { phase: string } }[] };
    const pod = pods.items.find((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
    if (!pod) throw new Error(`no running ${component} pod`);
    return pod.metadata.name;
  }

  /** A probe pod in the release's namespace (no label a policy admits) and one in another namespace. */
  private async startProbePods(): Promise<void> {
    const values = parse(readFileSync(join(ROOT, 'k8s', 'local-images-values.yaml'), 'utf8'));
    const image = `${values.image.api.repository}:${values.image.api.tag}`;
    await restrictedNamespace(this.config, OUTSIDE);
    for (const namespace of [NAMESPACE, OUTSIDE]) {
      await kubectlResult(this.config, ['delete', 'pod', PROBE, '-n', namespace, '--ignore-not-found', '--wait=true']);
      await this.kubectl(['apply', '-f', '-'], JSON.stringify(probePod(namespace, image)));
    }
    for (const namespace of [NAMESPACE, OUTSIDE])
      await this.kubectl(['wait', '--for=condition=Ready', `pod/${PROBE}`, '-n', namespace, '--timeout=120s']);
  }

  /** Starts the probe pods and lists the probes: who connects to what, and whether the policies allow it. */
  async start(): Promise<void> {
    await this.startProbePods();
    // Addresses, not names, for the probes' targets: a probe tests one policy, not DNS as well.
    const ip = (kind: string, name: string, path: string) => this.kubectl(['get', kind, name, '-n', NAMESPACE, '-o', `jsonpath={${path}}`]);
    const api = { ip: await ip('service', 'rate-api', '.spec.clusterIP'), port: await ip('service', 'rate-api', '.spec.ports[0].port') };
    const consumer = await ip('service', 'rate-consumer', '.spec.clusterIP');
    const kafka = await ip('service', 'rate-kafka', '.spec.clusterIP');
    const redis = await ip('service', 'rate-redis', '.spec.clusterIP');
    const probe = await ip('pod', PROBE, '.status.podIP');

    const denied: [string, string[]][] = [
      ["the API's /metrics", [api.ip, api.port, '/metrics']],
      ["the consumer's health port (/metrics)", [consumer, '3001', '/metrics']],
      ['Kafka', [kafka, '9092']],
      ['Redis', [redis, '6379']],
    ];
    for (const [from, namespace] of [
      ['a pod outside the allowed set, same namespace', NAMESPACE],
      ['a pod in another namespace', OUTSIDE],
    ])
      for (const [to, args] of denied) this.probes.push({ from, to, allowed: false, run: () => this.exec(namespace, PROBE, args) });

    const edge = `http://127.0.0.1:${this.config.ingressPort}`;
    const host = parse(readFileSync(join(ROOT, 'k8s', 'real-node-values.yaml'), 'utf8')).ingress.host as string;
    this.probes.push(
      {
        from: 'the ingress controller (Traefik)',
        to: 'POST /rate',
        allowed: true,
        run: async () => String((await call('POST', `${edge}/rate?rate=3&subject=netpol-probe.${Date.now()}`, host)).status),
      },
      ...[
        ['the API', 'api'],
        ['the consumer', 'consumer'],
      ].flatMap(([app, component]) => {
        const from = (args: string[]) => async () => this.exec(NAMESPACE, await this.podOf(component), args);
        return [
          { from: app, to: 'the cluster DNS', allowed: true, run: from(['rate-kafka', 'dns']) },
          { from: app, to: 'Kafka', allowed: true, run: from([kafka, '9092']) },
          { from: app, to: 'Redis', allowed: true, run: from([redis, '6379']) },
          {
            from: app,
            to: `port ${PROBE_PORT} of a pod that is not the cluster DNS`,
            allowed: false,
            run: from([probe, String(PROBE_PORT)]),
          },
        ];
      }),
      // The control for the row above: the probe's port is open to a pod no policy restricts.
      {
        from: 'a pod in another namespace',
        to: `port ${PROBE_PORT} of the probe pod`,
        allowed: true,
        run: () => this.exec(OUTSIDE, PROBE, [probe, String(PROBE_PORT)]),
      },
    );
  }

  /** Runs every probe: `from → to: answer`, and whether each got through. */
  async measure(): Promise<{ probe: Probe; answer: string; through: boolean }[]> {
    const rows = [];
    for (const probe of this.probes) {
      const answer = await probe.run();
      rows.push({ probe, answer, through: reached(answer) });
    }
    return rows;
  }

  /** Waits until every probe gets through exactly when `through(probe)` says (the controller syncs after each change). */
  async expectMatrix(through: (probe: Probe) => boolean, label: string): Promise<string> {
    let rows: Awaited<ReturnType<PolicyMatrix['measure']>> = [];
    const table = () =>
      [
        `| from | to | ${label} |`,
        '|---|---|---|',
        ...rows.map((row) => `| ${row.probe.from} | ${row.probe.to} | ${row.through ? 'through' : 'refused'} (${row.answer}) |`),
      ].join('\n');
    await eventually(
      `the policy matrix ${label}`,
      async () => {
        rows = await this.measure();
        return rows.every((row) => row.through === through(row.probe));
      },
      async () => table(),
      90_000,
    );
    return table();
  }

  async stop(): Promise<void> {
    await kubectlResult(this.config, ['delete', 'pod', PROBE, '-n', NAMESPACE, '--ignore-not-found', '--wait=true']);
    await kubectlResult(this.config, ['delete', 'namespace', OUTSIDE, '--ignore-not-found', '--wait=true']);
  }
}
