import { parseStackArgs } from './stack-args';

describe('stack CLI arguments', () => {
  it('reads the counts of stack:up in both spellings', () => {
    expect(parseStackArgs(['up', '--replicas', '3', '--brokers=3', '--consumers', '2'])).toEqual({
      command: 'up',
      replicas: 3,
      brokers: 3,
      consumers: 2,
      purge: false,
    });
  });

  it('reads the size of a Redis Cluster', () => {
    expect(parseStackArgs(['up', '--redis-cluster', '3'])).toEqual({ command: 'up', redisCluster: 3, purge: false });
  });

  it('leaves unset counts to the previous state or the defaults', () => {
    expect(parseStackArgs(['up'])).toEqual({ command: 'up', purge: false });
  });

  it.each([
    [['up', '--brokers', '0'], '--brokers takes a positive integer, got "0"'],
    [['up', '--consumers'], '--consumers takes a positive integer, got ""'],
    [['up', '--replicas', 'zero'], '--replicas takes a positive integer, got "zero"'],
    [['up', '--brokers=2.5'], '--brokers takes a positive integer, got "2.5"'],
    [['up', '--nodes', '3'], 'unknown option --nodes'],
    [['status', '--brokers', '3'], '--replicas, --brokers, --consumers and --redis-cluster belong to stack:up'],
    [['down', '--redis-cluster', '3'], '--replicas, --brokers, --consumers and --redis-cluster belong to stack:up'],
    [['up', '--redis-cluster', 'yes'], '--redis-cluster takes a positive integer, got "yes"'],
    [['up', '--purge'], '--purge belongs to stack:down'],
  ])('rejects %p', (argv, message) => {
    expect(() => parseStackArgs(argv)).toThrow(message);
  });

  it('takes --purge for stack:down', () => {
    expect(parseStackArgs(['down', '--purge'])).toEqual({ command: 'down', purge: true });
  });
});
