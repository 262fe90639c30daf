import { CHAOS_STACK_ENV, CHAOS_TEST_STACK_ENV, chaosConfig, DEFAULT_EPHEMERAL_LOW, listeningPorts } from './chaos-ports';

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

  it('the two never share a port, nor with the default and integration stacks', () => {
    const taken = [
      listeningPorts(chaosConfig({}), SHAPE),
      listeningPorts(chaosConfig({ RATE_NGINX_PORT: '18080', RATE_API_BASE_PORT: '18081', RATE_KAFKA_PORT: '29092', RATE_REDIS_PORT: '26379', RATE_CONSUMER_PORT: '19101' }), SHAPE),
      listeningPorts(chaosConfig({ RATE_NGINX_PORT: '28080', RATE_API_BASE_PORT: '28081', RATE_KAFKA_PORT: '27092', RATE_REDIS_PORT: '27379', RATE_CONSUMER_PORT: '29101' }), SHAPE),
    ].flat();
    const chaos = listeningPorts(chaosConfig(CHAOS_STACK_ENV), SHAPE);
    const test = listeningPorts(chaosConfig(CHAOS_TEST_STACK_ENV), SHAPE);
    expect(chaos.filter((p) => test.includes(p) || taken.includes(p))).toEqual([]);
    expect(test.filter((p) => taken.includes(p))).toEqual([]);
  });
});
