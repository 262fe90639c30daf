import { healAction, instanceIndex, validateShape } from './stack';

describe('stack supervision', () => {
  it('starts what is not running, restarts what says it is not live, leaves the rest', () => {
    expect(healAction(false, null)).toBe('start');
    expect(healAction(true, 200)).toBe('keep');
    // Silence may be a process still starting: never restart on it.
    expect(healAction(true, null)).toBe('keep');
    expect(healAction(true, 503)).toBe('restart');
    expect(healAction(true, 500)).toBe('restart');
  });

  it('recognises instance names', () => {
    expect(instanceIndex('consumer', 'consumer', true)).toBe(1);
    expect(instanceIndex('consumer-3', 'consumer', true)).toBe(3);
    expect(instanceIndex('api-12', 'api', false)).toBe(12);
    expect(instanceIndex('api', 'api', false)).toBeNull();
    expect(instanceIndex('kafka-cluster', 'kafka', true)).toBeNull();
  });

  it.each([
    [{ replicas: 0, brokers: 1, consumers: 1 }, '--replicas must be an integer from 1 to 16, got 0'],
    [{ replicas: 3, brokers: 6, consumers: 1 }, '--brokers must be an integer from 1 to 5, got 6'],
    [{ replicas: 3, brokers: 3, consumers: 7 }, '--consumers must be an integer from 1 to 6, got 7'],
  ])('rejects %p', (shape, message) => {
    expect(() => validateShape(shape)).toThrow(message);
  });
});
