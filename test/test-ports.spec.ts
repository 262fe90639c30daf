import { CHAOS_STACK_ENV, CHAOS_TEST_STACK_ENV, chaosConfig, DEFAULT_EPHEMERAL_LOW, listeningPorts } from './harness/chaos';
import { baselinePorts } from './harness/experiment';
import { PROFILE_ENV } from './harness/experiment';
import { SOAK_STACK_ENV, SOAK_TEST_STACK_ENV } from './harness/soak';
import { doorPort } from './harness/stack';
import { KAFKA_AUTH_TEST_PORT, TEST_CLUSTERS, TEST_STACKS } from './test-ports';

// The largest shape any suite gives its stack: 3 API replicas, 3 brokers, the group scaled to 3, a 3-node Redis Cluster.
const SHAPE = { replicas: 3, brokers: 3, consumers: 3, redisNodes: 3 };

function stackPorts(env: Record<string, string>): number[] {
  const config = chaosConfig(env);
  const baseline = baselinePorts(config);
  // The experiment's front doors to 1 and 2 of its 3 replicas.
  return [...listeningPorts(config, SHAPE), baseline.nginx, baseline.replica, doorPort(config, 1), doorPort(config, 2)];
}

describe('test suites listen on ports of their own', () => {
  const owners: [string, number[]][] = [
    ...Object.entries(TEST_STACKS).map(([name, env]): [string, number[]] => [`stack ${name}`, stackPorts(env)]),
    ['stack default (npm run stack:up)', stackPorts({})],
    ['stack chaos (jest)', stackPorts(CHAOS_TEST_STACK_ENV)],
    ['stack chaos (npm run chaos)', stackPorts(CHAOS_STACK_ENV)],
    ['stack profile (npm run experiment -- --profile)', stackPorts(PROFILE_ENV)],
    ['stack soak (npm run soak)', stackPorts(SOAK_STACK_ENV)],
    ['stack soak (jest)', stackPorts(SOAK_TEST_STACK_ENV)],
    ['SASL broker', [KAFKA_AUTH_TEST_PORT, KAFKA_AUTH_TEST_PORT + 1, KAFKA_AUTH_TEST_PORT + 2]],
    ...Object.entries(TEST_CLUSTERS).map(([name, env]): [string, number[]] => [`cluster ${name}`, Object.values(env).map(Number)]),
  ];

  it('no port belongs to two of them (the interrupted experiment once put its Redis on the control plane etcd port)', () => {
    const seen = new Map<number, string>();
    const shared: string[] = [];
    for (const [owner, ports] of owners) {
      for (const port of new Set(ports)) {
        const other = seen.get(port);
        if (other !== undefined) shared.push(`${port}: ${other} and ${owner}`);
        seen.set(port, owner);
      }
    }
    expect(shared).toEqual([]);
  });

  it('all of them below the ephemeral range', () => {
    expect(owners.flatMap(([owner, ports]) => ports.filter((p) => p >= DEFAULT_EPHEMERAL_LOW).map((p) => `${owner} ${p}`))).toEqual([]);
  });
});
