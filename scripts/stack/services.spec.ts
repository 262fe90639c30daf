import { join } from 'node:path';
import {
  apiService,
  brokerList,
  brokerName,
  brokerPort,
  consumerService,
  durabilityEnv,
  kafkaProperties,
  topicDurability,
} from './services';
import { ROOT, stackConfig } from './stack-config';

const config = stackConfig({ RATE_RUN_DIR: '/tmp/rate-services-spec' });

function properties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('stack services', () => {
  it('puts broker n on 19092 + 2(n-1) and its controller on the next port', () => {
    expect([1, 2, 3].map((n) => brokerPort(config, n))).toEqual([19092, 19094, 19096]);
    expect(brokerList(config, 3)).toBe('127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096');
    expect([1, 2, 3].map(brokerName)).toEqual(['kafka', 'kafka-2', 'kafka-3']);
    const moved = stackConfig({ RATE_RUN_DIR: '/tmp/x', RATE_KAFKA_PORT: '29092' });
    expect(brokerList(moved, 2)).toBe('127.0.0.1:29092,127.0.0.1:29094');
  });

  it('configures a single node exactly as before: its own quorum, no replication', () => {
    const p = properties(kafkaProperties(config, '/data'));
    expect(p).toMatchObject({
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:19093',
      listeners: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
      'offsets.topic.replication.factor': '1',
      'min.insync.replicas': '1',
    });
  });

  it('configures node 2 of 3 as one quorum of three, everything replicated 3 / min ISR 2', () => {
    const p = properties(kafkaProperties(config, '/data', 2, 3));
    expect(p).toMatchObject({
      'node.id': '2',
      'controller.quorum.voters': '1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097',
      listeners: 'PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:19094',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
    });
  });

  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [3, 3, 2],
    [5, 3, 2],
  ])('%i broker(s): RF %i, min ISR %i', (brokers, replicationFactor, minInsyncReplicas) => {
    expect(topicDurability(brokers)).toEqual({ replicationFactor, minInsyncReplicas });
  });

  it('passes RF and min ISR to the apps only where there is more than one broker', () => {
    expect(durabilityEnv(1)).toEqual({});
    expect(durabilityEnv(3)).toEqual({ KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    const env = apiService(config, 2, { LOG_LEVEL: 'warn' }, 3).launch().env;
    expect(env).toMatchObject({
      PORT: '8082',
      REPLICA_NAME: 'api-2',
      KAFKA_BROKERS: '127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096',
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
      LOG_LEVEL: 'warn',
    });
  });

  it('gives consumer i its own health port 9101 + i - 1', () => {
    const specs = [1, 2, 3].map((i) => consumerService(config, {}, i));
    expect(specs.map((s) => [s.name, s.port, s.launch().env.HEALTH_PORT, s.launch().env.REPLICA_NAME])).toEqual([
      ['consumer', 9101, '9101', 'consumer-1'],
      ['consumer-2', 9102, '9102', 'consumer-2'],
      ['consumer-3', 9103, '9103', 'consumer-3'],
    ]);
    expect(specs[1].liveUrl).toBe('http://127.0.0.1:9102/health/live');
  });

  it('passes node flags (NODE_OPTIONS refuses --cpu-prof) before the entry point of both apps', () => {
    const flags = ['--cpu-prof', '--cpu-prof-dir=/tmp/p'];
    for (const spec of [apiService(config, 1, {}, 1, flags), consumerService(config, {}, 1, 1, flags)]) {
      const { command, args } = spec.launch();
      expect(command).toBe(process.execPath);
      expect(args).toEqual([...flags, expect.stringMatching(/dist\/apps\/rate-(api|consumer)\/src\/main\.js$/)]);
    }
    expect(apiService(config, 1, {}).launch().args).toHaveLength(1);
  });

  it("gives the API replicas the values file's api.nodeFlags, as the chart gives its pods", () => {
    const experiment = stackConfig({
      RATE_RUN_DIR: '/tmp/x',
      RATE_VALUES_FILE: join(ROOT, 'charts', 'rate', 'ci', 'experiment-values.yaml'),
    });
    expect(apiService(experiment, 1, {}, 1, ['--cpu-prof']).launch().args).toEqual([
      '--single-threaded-gc',
      '--cpu-prof',
      expect.stringMatching(/rate-api\/src\/main\.js$/),
    ]);
    expect(consumerService(experiment, {}, 1).launch().args).toHaveLength(1);
  });
});
