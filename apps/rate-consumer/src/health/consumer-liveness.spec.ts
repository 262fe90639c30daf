import { loadConfig } from '@rate/config';
import { AggregateRepository } from '@rate/redis';
import { AggregationService } from '../aggregation/aggregation.service';
import { ConsumerState } from '../kafka/consumer-state';
import { ConsumerLiveness } from './consumer-liveness';

const config = loadConfig('rate-consumer', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379', CONSUMER_STALL_S: '60' });
const NOW = 1_000_000_000;

describe('ConsumerLiveness', () => {
  let state: ConsumerState;
  let backlog: jest.Mock<Promise<number>, [string, number[] | null]>;
  let refusing: Set<number>;
  let liveness: ConsumerLiveness;

  beforeEach(() => {
    state = new ConsumerState(config);
    state.joinedGroup([1, 4], NOW - 120_000);
    backlog = jest.fn(async (_topic: string, _partitions: number[] | null) => 25);
    refusing = new Set();
    const aggregates = { refusesWrites: (p: number) => refusing.has(p) } as unknown as AggregateRepository;
    liveness = new ConsumerLiveness(config, state, { backlog } as unknown as AggregationService, aggregates);
  });

  it('fails when the consumer crashed', async () => {
    state.applied(1, NOW);
    state.applied(4, NOW);
    state.crashedWith('Failed to find group coordinator');
    expect(await liveness.problem(NOW)).toBe('consumer crashed: Failed to find group coordinator');
  });

  it('fails when nothing was applied for CONSUMER_STALL_S while records wait in its partitions', async () => {
    expect(await liveness.problem(NOW)).toBe('partitions 1, 4: no progress for 120 s with 25 records waiting');
    expect(backlog).toHaveBeenCalledWith('rates', [1, 4]);
  });

  it('judges each partition: one stuck while another progresses fails (#19)', async () => {
    state.applied(4, NOW - 1_000);
    expect(await liveness.problem(NOW)).toBe('partitions 1: no progress for 120 s with 25 records waiting');
    expect(backlog).toHaveBeenCalledWith('rates', [1]);
  });

  it('does not count a seek or a rejoin as progress (#19)', async () => {
    state.joinedGroup([1, 4], NOW - 10_000);
    expect(await liveness.problem(NOW)).toMatch(/^partitions 1, 4: no progress for 120 s/);
  });

  it('gives a newly assigned partition its own time', async () => {
    state.joinedGroup([1, 4, 5], NOW - 10_000);
    state.applied(1, NOW);
    state.applied(4, NOW);
    expect(await liveness.problem(NOW)).toBeNull();
    expect(backlog).not.toHaveBeenCalled();
  });

  it('stays alive while Redis refuses writes (OOM): readiness says so, a restart cannot help (#19)', async () => {
    refusing.add(1);
    refusing.add(4);
    expect(await liveness.problem(NOW)).toBeNull();
    refusing.delete(4);
    expect(await liveness.problem(NOW)).toMatch(/^partitions 4: /);
  });

  it('does not measure the whole topic during a short rebalance, whatever its lag (#19)', async () => {
    state.leftGroup(NOW - 5_000);
    expect(await liveness.problem(NOW)).toBeNull();
    expect(backlog).not.toHaveBeenCalled();
  });

  it('fails when out of its group for CONSUMER_STALL_S while the topic has records waiting', async () => {
    state.leftGroup(NOW - 61_000);
    expect(await liveness.problem(NOW)).toBe('out of its group for 61 s with 25 records waiting');
    expect(backlog).toHaveBeenCalledWith('rates', null);
  });

  it('is alive with no partitions (more members than partitions)', async () => {
    state.joinedGroup([], NOW - 500_000);
    expect(await liveness.problem(NOW)).toBeNull();
  });

  it('is alive while progress is recent, without measuring anything', async () => {
    state.applied(1, NOW - 59_000);
    state.applied(4, NOW - 59_000);
    expect(await liveness.problem(NOW)).toBeNull();
    expect(backlog).not.toHaveBeenCalled();
  });

  it('is alive when idle with nothing waiting (a quiet topic)', async () => {
    backlog.mockResolvedValue(0);
    expect(await liveness.problem(NOW)).toBeNull();
  });

  it('is alive when the backlog cannot be measured (Kafka or Redis down: readiness says so, a restart would not help)', async () => {
    backlog.mockRejectedValue(new Error('Redis down'));
    expect(await liveness.problem(NOW)).toBeNull();
  });

  it('is alive while shutting down', async () => {
    state.beginStopping();
    expect(await liveness.problem(NOW)).toBeNull();
  });
});

describe('ConsumerState readiness', () => {
  it('takes "no fetch for too long" from CONSUMER_STALL_S (#19)', () => {
    const state = new ConsumerState(
      loadConfig('rate-consumer', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379', CONSUMER_STALL_S: '300' }),
    );
    state.connectionChanged(true);
    state.joinedGroup([0], NOW - 200_000);
    expect(state.problem(NOW)).toBeNull();
    expect(state.problem(NOW + 101_000)).toBe('no fetch from Kafka for 301 s');
  });
});
