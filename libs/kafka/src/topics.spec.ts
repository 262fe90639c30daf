import { durabilityProblems } from './topics';

describe('durabilityProblems', () => {
  const wanted = { replicationFactor: 3, minInsyncReplicas: 2 };

  it('accepts a topic that keeps the configured guarantee, or a stronger one', () => {
    expect(durabilityProblems('rates', { replicationFactor: 3, minInsyncReplicas: 2 }, wanted)).toEqual([]);
    expect(durabilityProblems('rates', { replicationFactor: 5, minInsyncReplicas: 3 }, wanted)).toEqual([]);
  });

  it('names a replication factor below the configured one', () => {
    expect(
      durabilityProblems('rates', { replicationFactor: 1, minInsyncReplicas: 1 }, { replicationFactor: 3, minInsyncReplicas: -1 }),
    ).toEqual(['topic "rates" has replication factor 1, below KAFKA_REPLICATION_FACTOR=3']);
  });

  it('names a min.insync.replicas below the configured one', () => {
    expect(durabilityProblems('rates.dlq', { replicationFactor: 3, minInsyncReplicas: 1 }, wanted)).toEqual([
      'topic "rates.dlq" has min.insync.replicas=1, below KAFKA_MIN_INSYNC_REPLICAS=2',
    ]);
  });

  it('checks nothing but consistency when the broker defaults are configured', () => {
    const brokerDefaults = { replicationFactor: -1, minInsyncReplicas: -1 };
    expect(durabilityProblems('rates', { replicationFactor: 1, minInsyncReplicas: 1 }, brokerDefaults)).toEqual([]);
    expect(durabilityProblems('rates', { replicationFactor: 1, minInsyncReplicas: 2 }, brokerDefaults)).toEqual([
      'topic "rates" has min.insync.replicas=2 above its replication factor 1: no acks=all write can succeed',
    ]);
  });
});
