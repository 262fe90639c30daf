import { integrityOf, readinessProblem, redisHeadroomProblem } from './integrity';

describe('integrity check after drain', () => {
  it('counts a shortfall as lost while the consumer is ready', () => {
    expect(integrityOf(1000, 997, null)).toEqual({
      accepted: 1000,
      aggregated: 997,
      lost: 3,
      duplicated: 0,
      waiting: 0,
      waitingReason: null,
    });
  });

  it('does not call ratings lost that wait in Kafka because the consumer says it cannot write', () => {
    const oom = "Redis refused the last batch: OOM command not allowed when used memory > 'maxmemory'.";
    expect(integrityOf(10872, 0, oom)).toEqual({
      accepted: 10872,
      aggregated: 0,
      lost: 0,
      duplicated: 0,
      waiting: 10872,
      waitingReason: oom,
    });
  });

  it('ignores a not-ready consumer when nothing is missing, and still counts duplicates', () => {
    expect(integrityOf(10, 12, 'slow')).toEqual({ accepted: 10, aggregated: 12, lost: 0, duplicated: 2, waiting: 0, waitingReason: null });
  });

  it("reads the reason out of terminus' readiness answer", () => {
    const body = {
      status: 'error',
      info: { kafka: { status: 'up' } },
      error: { redis: { status: 'down', message: 'Redis refused the last batch: OOM' } },
    };
    expect(readinessProblem(503, body)).toBe('redis: Redis refused the last batch: OOM');
    expect(readinessProblem(200, { status: 'ok', error: {} })).toBeNull();
    expect(readinessProblem(503, 'not json')).toBe('readiness answered 503');
  });
});

describe('Redis headroom before a run', () => {
  const info = (used: number, max: number) => `# Memory\r\nused_memory:${used}\r\nused_memory_human:x\r\nmaxmemory:${max}\r\n`;

  it('refuses a Redis that is already mostly full, naming how to free it', () => {
    const problem = redisHeadroomProblem(info(190 * 2 ** 20, 192 * 2 ** 20));
    expect(problem).toMatch(/^Redis holds 190 MB of its 192 MB maxmemory \(99 %\)/);
    expect(problem).toContain('npm run stack:down -- --purge');
  });

  it('accepts a Redis with room, or one without a memory limit', () => {
    expect(redisHeadroomProblem(info(20 * 2 ** 20, 192 * 2 ** 20))).toBeNull();
    expect(redisHeadroomProblem(info(500 * 2 ** 20, 0))).toBeNull();
  });
});
