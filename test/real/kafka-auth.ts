import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, SASLOptions } from 'kafkajs';
import { ClusterConfig } from '../harness/cluster';
import { eventually, kubectlResult, ok } from '../cluster/test-cluster';
import { call, expectAggregated } from './http';
import { upgradeRelease } from './release';

const NAMESPACE = 'rate';

/** Asks the broker at `ip` for the cluster's brokers; "ok" or the error (every advertised name is dialled at `ip`). */
async function describeCluster(ip: string, sasl?: SASLOptions): Promise<string> {
  const kafka = new Kafka({
    clientId: 'rate-real-auth',
    brokers: [`${ip}:9092`],
    sasl,
    socketFactory: ({ port, onConnect }) => connect({ host: ip, port }, onConnect),
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return 'ok';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The in-chart Kafka with SCRAM on the real node: `helm upgrade --set kafka.auth.enabled=true` of
 * the running release. The apps log in as the Job-created user and every rating is aggregated; a
 * client without the password (or with a wrong one) is refused, the right one gets through.
 */
export function kafkaAuthTests(config: ClusterConfig, base: () => string): void {
  it('with kafka.auth.enabled=true the apps log in with SCRAM; a client without the password is refused', async () => {
    const kubectl = (args: string[]) => ok(kubectlResult(config, ['-n', NAMESPACE, ...args]));
    await upgradeRelease(config, ['kafka.auth.enabled=true']);
    await kubectl(['wait', '--for=condition=complete', 'job', '-l', 'app.kubernetes.io/component=kafka-user', '--timeout=300s']);

    const run = randomUUID().slice(0, 8);
    const accepted = new Map<string, number>();
    let last = '';
    const post = async (i: number) => {
      const subject = `real-auth-${run}-${i}`;
      const answer = await call('POST', `${base()}/rate?rate=2&subject=${subject}`);
      last = `${answer.status} ${answer.body.slice(0, 120)}`;
      if (answer.status === 202) accepted.set(subject, 2);
      return answer.status === 202;
    };
    // The apps roll onto the new listener. An API pod of the old revision still draining can no
    // longer produce (the broker now asks for SCRAM) and answers 503, never 202: the 40 requests
    // that must all be accepted start once only the new pods are left.
    const apiPods = async () =>
      (
        JSON.parse(await kubectl(['get', 'pods', '-l', 'app.kubernetes.io/component=api', '-o', 'json'])) as {
          items: { metadata: { deletionTimestamp?: string }; status: { conditions?: { type: string; status: string }[] } }[];
        }
      ).items;
    const ready = (pod: Awaited<ReturnType<typeof apiPods>>[number]) =>
      !pod.metadata.deletionTimestamp && !!pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    const settled = async () => {
      const pods = await apiPods();
      return pods.length === 3 && pods.every(ready);
    };
    await eventually('only the 3 new API pods, ready', settled, async () => JSON.stringify(await apiPods()), 180_000);
    await eventually(
      'a 202 with SCRAM',
      () => post(0),
      async () => last,
      180_000,
    );
    for (let i = 1; i <= 40; i++) expect({ i, answer: (await post(i)) ? 202 : last }).toEqual({ i, answer: 202 });
    await expectAggregated(base(), accepted);

    const ip = await kubectl(['get', 'pod', 'rate-kafka-0', '-o', 'jsonpath={.status.podIP}']);
    const secret = await kubectl(['get', 'secret', 'rate-kafka-auth', '-o', 'jsonpath={.data.password}']);
    const password = Buffer.from(secret, 'base64').toString();
    const answers = {
      none: await describeCluster(ip),
      wrong: await describeCluster(ip, { mechanism: 'scram-sha-512', username: 'rate', password: `${password}-wrong` }),
      right: await describeCluster(ip, { mechanism: 'scram-sha-512', username: 'rate', password }),
    };
    console.log(`kafka.auth on the real node: ${accepted.size} ratings through the apps; a client on 9092 ${JSON.stringify(answers)}`);
    expect(answers.right).toBe('ok');
    expect(answers.none).not.toBe('ok');
    expect(answers.wrong).toMatch(/SASL|[Aa]uthentication/);
  });
}
