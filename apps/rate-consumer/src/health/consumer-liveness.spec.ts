import { loadConfig } from '@rate/config';
import { AggregationService } from '../aggregation/aggregation.service';
import { ConsumerState } from '../kafka/consumer-state';
import { ConsumerLiveness } from './consumer-liveness';

const config = loadConfig('rate-consumer', { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379', CONSUMER_STALL_S: '60' });
const NOW = 1_000_000_000;

describe('ConsumerLiveness', () => {
  let state: ConsumerState;
  let backlog: jest.Mock<Promise<number>, [string, number[] | null]>;
  let liveness: ConsumerLiveness;

  beforeEach(() => {
    state = new ConsumerState();
    state.joinedGroup([1, 4], NOW - 120_000);
    backlog = jest.fn(async (_topic: string, _partitions: number[] | null) => 25);
    liveness = new ConsumerLiveness(config, state, { backlog } as unknown as AggregationService);
  });

  it('fails when the consumer crashed', async () => {
    state.progressed(NOW);
    state.crashed = 'Failed to find group coordinator';
    expect(await liveness.problem(NOW)).toBe('consumer crashed: Failed to find group coordinator');
  });

  it('fails when nothing was applied for CONSUMER_STALL_S while records wait in its partitions', async () => {
    expect(await liveness.problem(NOW)).toBe('no progress for 120 s with 25 records waiting');
    expect(backlog).toHaveBeenCalledWith('rates', [1, 4]);
  });

  it('looks at the whole topic when the member is out of its group', async () => {
    state.joined = false;
    expect(await liveness.problem(NOW)).toMatch(/no progress/);
    expect(backlog).toHaveBeenCalledWith('rates', null);
  });

  it('is alive while progress is recent, without measuring anything', async () => {
    state.progressed(NOW - 59_000);
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
    state.stopping = true;
    expect(await liveness.problem(NOW)).toBeNull();
  });
});
