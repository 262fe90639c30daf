import { CHAOS_STACK_ENV, CHAOS_TEST_STACK_ENV, chaosConfig, DEFAULT_EPHEMERAL_LOW, listeningPorts } from './chaos-ports';

// Overlap with every other suite's ports is checked in test/test-ports.spec.ts.

// The largest shape a chaos run takes: 3 API replicas, 3 brokers, the group scaled to 3.
const SHAPE = { replicas: 3, brokers: 3, consumers: 3 };

describe('chaos stacks listen outside the ephemeral port range', () => {
  // A chaos run once died starting its 3-broker stack: kafka-3 could not bind 49096 ("Address
  // already in use"), a port of the ephemeral range (32768–60999) held by an outgoing connection.
  it.each([
    ['npm run chaos', CHAOS_STACK_ENV],
    ['the chaos jest project', CHAOS_TEST_STACK_ENV],
  ])('%s', (_name, env) => {
    const ports = listeningPorts(chaosConfig(env), SHAPE);
    expect(ports.filter((p) => p >= DEFAULT_EPHEMERAL_LOW)).toEqual([]);
    expect(new Set(ports).size).toBe(ports.length);
  });
});
